// Runs a command with a fresh redis-server (Debian's, on a free port, no
// persistence) and SKYMESH_TEST_REDIS pointing at it, so every server the
// command's suites start (tests/helpers/server.mjs) is an instance on Redis.
// Redis is always stopped; the exit status is the command's.
//   node tests/helpers/with-redis.mjs node --test tests/hostile/*.test.mjs
import { spawn } from 'node:child_process';
import { startRedis } from './redis.mjs';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: with-redis.mjs COMMAND [ARGS...]');
  process.exit(2);
}
const redis = await startRedis();
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, SKYMESH_TEST_REDIS: redis.url } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await redis.stop();
process.exit(code);
