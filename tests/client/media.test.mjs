// Media between node peers (issue 12): @roamhq/wrtc's nonstandard
// RTCVideoSource as a synthetic camera, sent with sendStream; the other peer
// gets incomingStream and real frames arrive (RTCVideoSink). One stream in the
// first handshake, one added mid-call (a renegotiation the core makes), then
// stopped (streamEnded) while chat keeps flowing. node-datachannel's polyfill
// has no media: a peer on it still chats with a peer sending video.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { makePeers, waitUntil, waitMesh, startTestServer, exitWhenDone, TestPeer } from './peers.mjs';

const require = createRequire(import.meta.url);
const wrtc = require('@roamhq/wrtc');
const { RTCVideoSource, RTCVideoSink, RTCAudioSource, RTCAudioSink } = wrtc.nonstandard;
after(exitWhenDone);
// @roamhq/wrtc crashes in its native teardown when a process that sent video
// exits normally (SIGSEGV after the last line; two bare RTCPeerConnections and an
// RTCVideoSource are enough): leave without that teardown. stdout is a pipe,
// written synchronously on Linux, so the test report is complete by then.
process.on('exit', (code) => process.reallyExit(code));

const W = 160;
const H = 120;

// A synthetic camera and microphone: an I420 frame every 40 ms, 10 ms of a
// 48 kHz tone every 10 ms, until stopped.
function camera() {
  const video = new RTCVideoSource();
  const audio = new RTCAudioSource();
  const tracks = [video.createTrack(), audio.createTrack()];
  const data = new Uint8ClampedArray(W * H * 1.5).fill(128);
  const samples = Int16Array.from({ length: 480 }, (_, k) => Math.round(8000 * Math.sin(k / 7)));
  const timers = [
    setInterval(() => video.onFrame({ width: W, height: H, data }), 40),
    setInterval(() => audio.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1,
      numberOfFrames: 480 }), 10),
  ];
  return {
    stream: new wrtc.MediaStream(tracks),
    stop: () => { timers.forEach(clearInterval); tracks.forEach((t) => t.stop()); },
  };
}

// Records media events on a TestPeer and counts the frames of every incoming video.
function watchMedia(p) {
  p.media = [];
  p.frames = {};
  p.sinks = [];
  p.sound = {};
  p.sky.on('incomingStream', (id, stream, self, info, screen, sid) => {
    p.media.push(['incomingStream', id, self, sid]);
    if (self) return;
    const [video] = stream.getVideoTracks();
    const [audio] = stream.getAudioTracks();
    p.frames[sid] = [];
    p.sound[sid] = 0;
    if (video) {
      const sink = new RTCVideoSink(video);
      p.sinks.push(sink);
      sink.onframe = ({ frame }) => p.frames[sid].push([frame.width, frame.height]);
    }
    if (audio) {
      const sink = new RTCAudioSink(audio);
      p.sinks.push(sink);
      // Enough heard: stopped at once (wrtc crashes at exit with an audio sink still live when its connection closes).
      sink.ondata = ({ samples }) => {
        p.sound[sid] += samples.length;
        if (p.sound[sid] >= 4800) sink.stop();
      };
    }
  });
  p.sky.on('streamEnded', (id, info, self, screen, sid) => p.media.push(['streamEnded', id, self, sid]));
}

const incoming = (p, from) => p.media.filter((e) => e[0] === 'incomingStream' && e[1] === from.id);

describe('media over wrtc', { timeout: 60000 }, () => {
  let server;
  let live = [];
  const cams = [];
  before(async () => { server = await startTestServer(); });
  // The sources stop feeding first, then the sinks, then the connections close.
  afterEach(() => {
    for (const c of cams.splice(0)) c.stop();
    for (const p of live) { (p.sinks || []).forEach((s) => s.stop()); p.close(); }
    live = [];
  });
  after(() => server.stop());

  it('a synthetic camera reaches the other peer, frames arrive; one added mid-call renegotiates', async () => {
    const [a, b] = await makePeers(2, 'wrtc', server, 'm');
    live.push(a, b);
    watchMedia(a);
    watchMedia(b);
    const camA = camera();
    cams.push(camA);
    a.sky.sendStream(camA.stream); // before joining: the first handshake carries it
    await a.join('media-wrtc', { userData: { name: 'a' } });
    const t0 = Date.now();
    await b.join('media-wrtc', { userData: { name: 'b' } });
    await waitMesh([a, b]);
    await waitUntil(() => incoming(b, a).length === 1 && (b.frames[camA.stream.id] || []).length >= 5,
      'frames of a\'s camera at b', 15000, [a, b]);
    const firstFramesMs = Date.now() - t0;
    assert.deepEqual(b.frames[camA.stream.id][0], [W, H]);
    await waitUntil(() => b.sound[camA.stream.id] >= 4800, 'a\'s microphone at b', 10000, [a, b]);
    const info = b.sky.getPeerInfo(a.id);
    // settings.video mirrors what a's track says of itself (wrtc: its fixed 640x480 at 30).
    const own = camA.stream.getVideoTracks()[0].getSettings();
    assert.deepEqual([info.settings.audio, info.settings.video, info.mediaStatus],
      [true, { screenshare: false, resolution: { width: own.width, height: own.height }, frameRate: own.frameRate },
        { audioMuted: false, videoMuted: false }]);

    // b adds its camera mid-call: the same connection, no channel closed.
    const closedBefore = a.events('dataChannelState').filter((e) => e.args[0] === 'closed').length;
    const camB = camera();
    cams.push(camB);
    b.sky.sendStream(camB.stream);
    await waitUntil(() => incoming(a, b).length === 1 && (a.frames[camB.stream.id] || []).length >= 5,
      'frames of b\'s camera at a', 15000, [a, b]);
    await waitUntil(() => a.sound[camB.stream.id] >= 4800, 'b\'s microphone at a', 10000, [a, b]);
    assert.equal(a.events('dataChannelState').filter((e) => e.args[0] === 'closed').length, closedBefore);
    assert.equal(a.events('peerRestart').length + b.events('peerRestart').length, 0, 'not an ICE restart');

    // b stops: streamEnded at a, once; chat still flows.
    b.sky.stopStream();
    await waitUntil(() => a.media.some((e) => e[0] === 'streamEnded' && e[1] === b.id), 'streamEnded at a', 15000, [a, b]);
    b.sky.sendP2PMessage('after the renegotiations');
    await waitUntil(() => a.received().some((m) => m[0] === 'after the renegotiations'), 'chat at a', 10000, [a, b]);
    assert.equal(a.media.filter((e) => e[0] === 'streamEnded' && e[1] === b.id).length, 1);
    assert.equal(incoming(b, a).length, 1, 'incomingStream once');
    console.log(`# media (wrtc): b joined -> 5 frames of a's camera at b: ${firstFramesMs} ms`);
  });

  it('node-datachannel: no media, but a peer on it chats with one sending video', async () => {
    const [a] = await makePeers(1, 'wrtc', server, 'v');
    const nd = new TestPeer('nd', 'node-datachannel', server);
    await nd.init();
    live.push(a, nd);
    watchMedia(nd);
    const cam = camera();
    cams.push(cam);
    a.sky.sendStream(cam.stream);
    await a.join('media-mixed', { userData: { name: 'a' } });
    await nd.join('media-mixed', { userData: { name: 'nd' } });
    await waitMesh([a, nd]);
    a.sky.sendP2PMessage('video and chat');
    await waitUntil(() => nd.received().some((m) => m[0] === 'video and chat'), 'chat at nd', 10000, [a, nd]);
    assert.equal(incoming(nd, a).length, 0, 'node-datachannel receives no media');
  });
});
