// A TCP proxy for fault tests (node `net` only): put it between a client and the
// server, then break the path on purpose.
//
//   const proxy = await startProxy(server.port);
//   new Client(proxy.url) ...
//   proxy.reset();    // every current connection: TCP RST both ways (ECONNRESET)
//   proxy.silence();  // every current connection: nothing passes any more, no FIN,
//                     // no RST, forever (a NAT that forgot the mapping); new
//                     // connections work normally
//   proxy.pause();    // new connections are refused with a RST (server unreachable)
//   proxy.resume();   // ... and accepted again
//   await proxy.close();
import net from 'node:net';

// TCP RST where the platform has it (node >= 18.3), a plain destroy otherwise.
function rst(sock) {
  if (sock.destroyed) return;
  try {
    if (typeof sock.resetAndDestroy === 'function') sock.resetAndDestroy();
    else sock.destroy();
  } catch {
    sock.destroy();
  }
}

// Resolves to { port, url, connections(), reset(), silence(), pause(), resume(), close() }.
// host: where the target listens (127.0.0.1); listenHost: where the proxy listens (127.0.0.1).
export async function startProxy(targetPort, { host = '127.0.0.1', listenHost = '127.0.0.1' } = {}) {
  const pairs = new Set();
  let paused = false;
  let closed = false;

  // Forwards from -> to with back-pressure while the pair is live; while it is
  // silent, reads and drops everything and passes no end or close on.
  function forward(pair, from, to) {
    from.on('data', (d) => {
      if (pair.silent || pair.dead) return;
      if (!to.write(d)) {
        from.pause();
        to.once('drain', () => { if (!pair.silent) from.resume(); });
      }
    });
    from.on('end', () => { if (!pair.silent && !pair.dead) to.end(); });
    // An error (a RST from that side) is mirrored as a RST to the other side;
    // a clean close after both ends were exchanged just closes it.
    from.on('error', () => {
      if (pair.silent || pair.dead) return;
      pair.dead = true;
      rst(to);
    });
    // One side gone without an error: the other gets what is queued, then a FIN.
    from.on('close', () => {
      if (!pair.silent && !pair.dead && !to.destroyed) to.end(() => to.destroy());
      if (pair.client.destroyed && pair.upstream.destroyed) pairs.delete(pair);
    });
  }

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    if (paused || closed) { rst(client); return; }
    const upstream = net.connect({ port: targetPort, host, allowHalfOpen: true });
    const pair = { client, upstream, silent: false, dead: false };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    forward(pair, client, upstream);
    forward(pair, upstream, client);
    client.resume();
  });
  server.on('error', () => {});

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => { server.off('error', reject); resolve(); });
  });
  const port = server.address().port;

  return {
    port,
    url: `http://${listenHost}:${port}/`,
    // Client connections currently held (live or silenced).
    connections: () => [...pairs].filter((p) => !p.client.destroyed).length,
    // Every current connection: RST to the client and to the target.
    reset() {
      for (const pair of pairs) {
        pair.dead = true;
        rst(pair.client);
        rst(pair.upstream);
      }
      pairs.clear();
    },
    // Every current connection stops passing anything, both ways, for good, and
    // nothing is closed. Connections made afterwards are not affected.
    silence() {
      for (const pair of pairs) {
        pair.silent = true;
        // Keep reading so nothing backs up in the kernel; the bytes are dropped.
        pair.client.resume();
        pair.upstream.resume();
      }
    },
    pause() { paused = true; },
    resume() { paused = false; },
    get paused() { return paused; },
    // Stops listening and destroys every connection (silenced ones too).
    close() {
      closed = true;
      for (const pair of pairs) {
        pair.dead = true;
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
