// The two signaling servers under test, seen by a load generator: how each starts,
// how a peer connects and joins, and what a relayed message looks like. The only
// code that differs between skymesh-server and the PeerJS server (server-load.mjs,
// server-scale.mjs).
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { RawWs, nextMessage } from './rawws.mjs';
import { startSkymeshServer, startPeerjsServer } from './servers.mjs';
import { now, withTimeout } from './util.mjs';

const WS_OPTS = { perMessageDeflate: false, handshakeTimeout: 10000 };

const skymesh = {
  name: 'skymesh',
  start: (max = 20000) => startSkymeshServer({ maxConnections: max, rate: 1000000, burst: 1000000, maxRooms: Math.max(20000, max) }),
  // Opens one peer; resolves { ws, id } once it is in `room`. localAddress: the
  // loopback address to connect from (one address has ~28,000 ephemeral ports).
  connect(server, room, localAddress) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(server.wsUrl, { ...WS_OPTS, localAddress });
      let id = null;
      const fail = (e) => { ws.removeAllListeners('message'); ws.terminate(); reject(e); };
      ws.on('error', fail);
      ws.on('close', () => reject(new Error('closed before joined')));
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, appKey: 'bench' })));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'welcome') { id = m.peerId; ws.send(JSON.stringify({ type: 'join', room, userData: {} })); }
        else if (m.type === 'joined') { ws.removeAllListeners('message'); ws.removeAllListeners('close'); ws.on('message', () => {}); resolve({ ws, id }); }
        else if (m.type === 'error') fail(new Error(`server error ${m.code}: ${m.text || ''}`));
      });
    });
  },
  // The same, on the batching raw client used by the relay phase.
  async connectRaw(server, room) {
    const ws = await RawWs.connect(server.wsUrl);
    const isErr = (m) => m.type === 'error';
    let p = nextMessage(ws, (m) => m.type === 'welcome' || isErr(m));
    ws.send(JSON.stringify({ type: 'hello', v: 1, appKey: 'bench' }));
    const w = await p;
    if (isErr(w)) throw new Error(`hello: ${JSON.stringify(w)}`);
    p = nextMessage(ws, (m) => m.type === 'joined' || isErr(m));
    ws.send(JSON.stringify({ type: 'join', room, userData: {} }));
    const j = await p;
    if (isErr(j)) throw new Error(`join: ${JSON.stringify(j)}`);
    return { ws, id: w.peerId };
  },
  relay: (to, seq) => JSON.stringify({ type: 'candidate', to, candidate: `candidate:${seq} 1 udp 2122260223 127.0.0.1 50000 typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 }),
};

const peerjs = {
  name: 'peerjs',
  start: (max = 20000) => startPeerjsServer({ maxConnections: max }),
  connect(server, room, localAddress) {
    return new Promise((resolve, reject) => {
      const id = randomBytes(16).toString('hex');
      const token = randomBytes(8).toString('hex');
      const ws = new WebSocket(`${server.wsBase}?key=peerjs&id=${id}&token=${token}`, { ...WS_OPTS, localAddress });
      const fail = (e) => { ws.removeAllListeners('message'); ws.terminate(); reject(e); };
      ws.on('error', fail);
      ws.on('close', () => reject(new Error('closed before OPEN')));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'OPEN') { ws.removeAllListeners('message'); ws.removeAllListeners('close'); ws.on('message', () => {}); resolve({ ws, id }); }
        else if (m.type === 'ERROR' || m.type === 'ID-TAKEN') fail(new Error(`server error ${JSON.stringify(m.payload)}`));
      });
    });
  },
  async connectRaw(server) {
    const id = randomBytes(16).toString('hex');
    const ws = await RawWs.connect(`${server.wsBase}?key=peerjs&id=${id}&token=${randomBytes(8).toString('hex')}`);
    const m = await nextMessage(ws, () => true);
    if (m.type !== 'OPEN') throw new Error(`peerjs: ${JSON.stringify(m)}`);
    return { ws, id };
  },
  relay: (dst, seq) => JSON.stringify({ type: 'CANDIDATE', dst, payload: { candidate: { candidate: `candidate:${seq} 1 udp 2122260223 127.0.0.1 50000 typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 }, type: 'data', connectionId: 'dc_bench0000000000' } }),
};

export const ADAPTERS = { skymesh, peerjs };

const PORTS_PER_ADDRESS = 20000; // well under the ~28,000 ephemeral ports of one address

// `concurrency` workers open peers one after another into `peers` (rooms of
// roomSize) until n are open or deadlineMs has passed. spreadAddresses: connect
// from 127.0.0.1, 127.0.0.2, ... so more than ~28,000 peers fit.
export async function holdPeers(adapter, server, peers, { n, concurrency, deadlineMs, roomSize, roomPrefix, spreadAddresses = false }) {
  let failures = 0;
  let firstError = null;
  let next = 0;
  const t0 = now();
  const worker = async () => {
    while (next < n && now() - t0 < deadlineMs) {
      const i = next++;
      // An explicit source address makes the kernel pick the port at bind() time,
      // a search that slows with every port in use: only past the first address.
      const from = spreadAddresses && i >= PORTS_PER_ADDRESS ? `127.0.0.${1 + Math.floor(i / PORTS_PER_ADDRESS)}` : undefined;
      try {
        peers.push(await withTimeout(adapter.connect(server, `${roomPrefix}-${Math.floor(i / roomSize)}`, from), 15000, 'connect'));
      } catch (e) {
        failures++;
        firstError ??= String(e.message || e);
        if (failures > 50 && peers.length === 0) break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failures, firstError, rampMs: now() - t0 };
}
