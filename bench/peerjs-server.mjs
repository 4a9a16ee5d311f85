// The PeerJS server (npm `peer` 1.0.2) started programmatically, for the load
// generator: no per-connection console logging (its bin logs every connect),
// concurrent_limit raised so the bound is the machine, not the default 5000.
// argv: port (0: a free one), concurrent_limit, alive_timeout in ms (default 600000).
// Prints "listening on PORT". On an IPC "gc" message it collects garbage and replies
// with its memory, so its resident size is measured at its best.
import { PeerServer } from 'peer';

const port = Number(process.argv[2] || 0);
const limit = Number(process.argv[3] || 20000);
const aliveTimeout = Number(process.argv[4] || 600000);
const server = PeerServer({
  port,
  host: '127.0.0.1',
  concurrent_limit: limit,
  alive_timeout: aliveTimeout,
  expire_timeout: 5000,
}, (http) => {
  process.stdout.write(`listening on ${http.address().port}\n`);
});
server.on('error', () => {});
process.on('message', (m) => {
  if (m === 'gc') {
    if (global.gc) { global.gc(); global.gc(); }
    process.send({ gc: true, mem: process.memoryUsage() });
  }
});
process.on('SIGTERM', () => process.exit(0));
