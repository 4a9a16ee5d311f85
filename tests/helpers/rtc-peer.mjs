// A bare WebRTC peer (no skymesh) in a child process, driven over stdio with
// JSON lines: the parent relays SDP and candidates between two of these, each
// possibly in its own network namespace (nat.test.mjs). Usage:
//
//   node rtc-peer.mjs STACK            STACK: node-datachannel | wrtc
//
// stdin:  {op:'start', offerer, config}   config: RTCConfiguration
//         {op:'description', type, sdp}   {op:'candidate', candidate, sdpMid}
//         {op:'send', data}               {op:'stats'}
// stdout: {ev:'description'|'candidate'|'gathering'|'ice'|'connection'|'open'|
//          'message'|'candidateError'|'stats'|'error', t: Date.now(), ...}
// Exits when stdin ends.
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(ROOT, 'package.json'));
const stack = process.argv[2];
const RTCPeerConnection = stack === 'wrtc'
  ? require('@roamhq/wrtc').RTCPeerConnection
  : require('node-datachannel/polyfill').RTCPeerConnection;

const emit = (ev, fields = {}) => process.stdout.write(`${JSON.stringify({ ev, t: Date.now(), ...fields })}\n`);

let pc;
let channel;
const pending = [];
let remoteSet = false;

function wire(dc) {
  channel = dc;
  dc.onopen = () => emit('open', { label: dc.label });
  dc.onmessage = (e) => emit('message', { data: typeof e.data === 'string' ? e.data : `[binary ${e.data.byteLength}]` });
  dc.onclose = () => emit('close');
}

// The selected pair's candidate types, from getStats (both stacks implement
// the standard entries: transport.selectedCandidatePairId, or a succeeded
// nominated candidate-pair, and its local/remote candidates).
async function selectedPair() {
  const report = await pc.getStats();
  const all = new Map();
  report.forEach((v, k) => all.set(k, v));
  const stats = [...all.values()];
  let pair;
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  if (transport) pair = all.get(transport.selectedCandidatePairId);
  if (!pair) pair = stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
  if (!pair) pair = stats.find((s) => s.type === 'candidate-pair' && s.selected);
  if (!pair) return null;
  const cand = (id) => {
    const c = all.get(id);
    return c && { type: c.candidateType, address: c.address ?? c.ip, port: c.port, protocol: c.protocol, relayProtocol: c.relayProtocol };
  };
  return { local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId), state: pair.state };
}

async function handle(msg) {
  switch (msg.op) {
    case 'start': {
      pc = new RTCPeerConnection(msg.config);
      pc.onicecandidate = (e) => {
        if (e.candidate && e.candidate.candidate) emit('candidate', { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid });
        else emit('candidate', { candidate: null });
      };
      pc.onicecandidateerror = (e) => emit('candidateError', { url: e.url, errorCode: e.errorCode, errorText: e.errorText });
      pc.onicegatheringstatechange = () => emit('gathering', { state: pc.iceGatheringState });
      pc.oniceconnectionstatechange = () => emit('ice', { state: pc.iceConnectionState });
      pc.onconnectionstatechange = () => emit('connection', { state: pc.connectionState });
      pc.ondatachannel = (e) => wire(e.channel);
      if (msg.offerer) {
        wire(pc.createDataChannel('chat'));
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        emit('description', { type: offer.type, sdp: offer.sdp });
      }
      break;
    }
    case 'description': {
      await pc.setRemoteDescription({ type: msg.type, sdp: msg.sdp });
      remoteSet = true;
      for (const c of pending.splice(0)) await pc.addIceCandidate(c);
      if (msg.type === 'offer') {
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        emit('description', { type: answer.type, sdp: answer.sdp });
      }
      break;
    }
    case 'candidate': {
      if (!msg.candidate) break;
      const c = { candidate: msg.candidate, sdpMid: msg.sdpMid ?? '0' };
      if (remoteSet) await pc.addIceCandidate(c); else pending.push(c);
      break;
    }
    case 'send':
      channel.send(msg.data);
      break;
    case 'stats':
      emit('stats', { pair: await selectedPair() });
      break;
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

// Commands run one at a time, in order.
let chain = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  chain = chain.then(() => handle(msg)).catch((e) => emit('error', { op: msg.op, message: String(e?.message || e) }));
});
process.stdin.on('end', () => {
  try { pc?.close(); } catch { /* closing */ }
  process.exit(0);
});
