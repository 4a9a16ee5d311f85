// The raw-JavaScript baseline for "time to mesh": N peers that speak skymesh's
// signaling wire protocol by hand (ws + a plain RTCPeerConnection, no library), on
// the same server, doing what skymesh does and nothing more:
//   hello{v:1, appKey} -> welcome{peerId}; join{room, userData} -> joined{peers}
//   the newcomer offers to every peer already in the room (one ordered reliable data
//   channel per pair), offer/answer/candidate relayed with {to}; candidates that
//   arrive before the remote description are queued.
// runBaselineMesh() resolves with the time from the first socket opening to every
// pair's data channel open on both sides.
//
// CLI: node bench/baseline-mesh.mjs WS_URL N   (prints the time in ms)
import WebSocket from 'ws';
import { now, withTimeout } from './lib/util.mjs';

class RawPeer {
  constructor({ wsUrl, room, RTCPeerConnection, WebSocketImpl = WebSocket, onChannelOpen }) {
    Object.assign(this, { wsUrl, room, RTCPeerConnection, WebSocketImpl, onChannelOpen });
    this.pcs = new Map();       // peerId -> { pc, dc, queue, remoteSet }
    this.open = new Set();      // peerIds whose channel is open
    this.id = null;
  }

  start() {
    this.ws = new this.WebSocketImpl(this.wsUrl);
    this.ws.onopen = () => this.send({ type: 'hello', v: 1, appKey: 'bench' });
    // A failing step is recorded, not thrown: the run then times out and says why.
    this.ws.onmessage = (ev) => this.onSignal(JSON.parse(String(ev.data))).catch((e) => { this.error ??= e; });
    this.ws.onerror = (e) => { this.error = e; };
  }

  send(m) { this.ws.send(JSON.stringify(m)); }

  entry(peerId) {
    let e = this.pcs.get(peerId);
    if (e) return e;
    const pc = new this.RTCPeerConnection({ iceServers: [] });
    e = { pc, dc: null, queue: [], remoteSet: false };
    this.pcs.set(peerId, e);
    pc.onicecandidate = (ev) => {
      if (!ev.candidate || !ev.candidate.candidate) return;
      this.send({ type: 'candidate', to: peerId, candidate: ev.candidate.candidate,
        sdpMid: ev.candidate.sdpMid ?? '0', sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0 });
    };
    pc.ondatachannel = (ev) => this.watch(peerId, e, ev.channel);
    return e;
  }

  watch(peerId, e, dc) {
    e.dc = dc;
    const opened = () => { if (!this.open.has(peerId)) { this.open.add(peerId); this.onChannelOpen(this, peerId); } };
    if (dc.readyState === 'open') opened();
    else dc.onopen = opened;
  }

  async flush(e) {
    e.remoteSet = true;
    for (const c of e.queue.splice(0)) await e.pc.addIceCandidate(c).catch(() => {});
  }

  async onSignal(m) {
    switch (m.type) {
      case 'welcome':
        this.id = m.peerId;
        this.send({ type: 'join', room: this.room, userData: {} });
        break;
      case 'joined':
        for (const p of m.peers) {
          const e = this.entry(p.peerId);
          this.watch(p.peerId, e, e.pc.createDataChannel('skymesh', { ordered: true }));
          const offer = await e.pc.createOffer();
          await e.pc.setLocalDescription(offer);
          this.send({ type: 'offer', to: p.peerId, sdp: e.pc.localDescription.sdp });
        }
        break;
      case 'offer': {
        const e = this.entry(m.from);
        await e.pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        await this.flush(e);
        const answer = await e.pc.createAnswer();
        await e.pc.setLocalDescription(answer);
        this.send({ type: 'answer', to: m.from, sdp: e.pc.localDescription.sdp });
        break;
      }
      case 'answer': {
        const e = this.entry(m.from);
        await e.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        await this.flush(e);
        break;
      }
      case 'candidate': {
        const e = this.entry(m.from);
        const c = { candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex };
        if (e.remoteSet) await e.pc.addIceCandidate(c).catch(() => {});
        else e.queue.push(c);
        break;
      }
      case 'error':
        this.error = new Error(`server error: ${JSON.stringify(m)}`);
        break;
      default:
        break;
    }
  }

  close() {
    for (const e of this.pcs.values()) { try { e.dc?.close(); } catch {} try { e.pc.close(); } catch {} }
    try { this.ws?.close(); } catch {}
  }
}

// Resolves { ms, peers } when all n*(n-1) channel ends are open; the caller closes
// the peers with closeMesh(peers) when done (e.g. after using the channels).
export async function runBaselineMesh({ wsUrl, n, room, RTCPeerConnection, WebSocketImpl, timeoutMs = 30000 }) {
  const peers = [];
  let openEnds = 0;
  const want = n * (n - 1);
  let t0;
  const done = new Promise((resolve) => {
    const onChannelOpen = () => { if (++openEnds === want) resolve(now() - t0); };
    for (let i = 0; i < n; i++) peers.push(new RawPeer({ wsUrl, room, RTCPeerConnection, WebSocketImpl, onChannelOpen }));
  });
  t0 = now();
  for (const p of peers) p.start();
  try {
    const ms = await withTimeout(done, timeoutMs, `baseline mesh n=${n}`)
      .catch((e) => { const pe = peers.find((p) => p.error)?.error; throw pe ? new Error(`${e.message}; first peer error: ${pe.message || pe}`) : e; });
    return { ms, peers };
  } catch (e) {
    closeMesh(peers);
    throw e;
  }
}

export function closeMesh(peers) { for (const p of peers) p.close(); }

if (import.meta.url === `file://${process.argv[1]}`) {
  const { RTCPeerConnection } = await import('node-datachannel/polyfill');
  const [wsUrl, n = '4'] = process.argv.slice(2);
  const { ms, peers } = await runBaselineMesh({ wsUrl, n: Number(n), room: `baseline-${Date.now()}`, RTCPeerConnection });
  console.log(ms.toFixed(1));
  closeMesh(peers);
  setTimeout(() => process.exit(0), 200);
}
