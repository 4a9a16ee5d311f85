// RESULTS.md's media section (bench/media-chromium.mjs): time from the last
// page's joinRoom({video: true}) to a rendered frame of remote video, skymesh
// against the same call in raw RTCPeerConnection code.
import { fmtSummary } from './lib/stats.mjs';

const S = (s, d = 2, u = '') => fmtSummary(s, d, u);

export function mediaReport(md, table) {
  const out = ['## 9. Media: join with video to the first remote frame (Chromium, fake camera)', ''];
  if (!md?.ok || !md.summary) {
    out.push(md ? (md.skipped || md.error || 'failed') : 'not run', '');
    return out;
  }
  const rows = [];
  for (const [n, s] of Object.entries(md.summary)) {
    rows.push([n, 'first remote frame', S(s.firstMs.skymesh, 1, 'ms'), S(s.firstMs.raw, 1, 'ms'), S(s.firstMs.ratio, 2, '×')]);
    if (Number(n) > 2) rows.push([n, `every remote video (${n - 1})`, S(s.allMs.skymesh, 1, 'ms'), S(s.allMs.raw, 1, 'ms'), S(s.allMs.ratio, 2, '×')]);
  }
  out.push(table(['N pages', 'until', 'skymesh joinRoom({video: true})', 'raw RTCPeerConnection', 'ratio'], rows));
  out.push('');
  out.push(`${md.config.reps} repetition${md.config.reps === 1 ? '' : 's'} per figure, the two sides alternating which goes first; ` +
    'one browser context per page, Chromium\'s fake camera (`--use-fake-device-for-media-stream`), pages on the server\'s http://127.0.0.1 origin. ' +
    'N-1 pages join first, one after another, each until it renders everyone before it; the clock runs on the last page from its join (skymesh: `joinRoom(room, {video: true})` after `init` completed; ' +
    'raw: `getUserMedia({video: true})` then join over a socket already open and welcomed) to `requestVideoFrameCallback` on a `<video>` of the remote stream. ' +
    'Raw speaks the same wire protocol by hand (the newcomer offers its track and one data channel to every peer, the answerer adds its track before answering, candidates queued until the remote description).');
  out.push('');
  return out;
}

// Within the weight section: what media and transfers add (bench/lib/feature-cost.mjs).
export function featureCostReport(fc, sky, table) {
  if (!fc) return [];
  if (fc.error) return ['', `Per-feature weight not measured: ${fc.error}`];
  const kb = (b) => (b == null ? 'n/a' : `${(b / 1024).toFixed(1)} KiB`);
  const rows = [];
  let raw = 0; let gzip = 0;
  for (const [name, f] of Object.entries(fc.features)) {
    rows.push([name, `${f.sources.map((s) => `\`${s.split('/').pop()}\``).join(' + ')}: ${f.wasm.functions} functions`, kb(f.wasm.raw), kb(f.wasm.gzipSaved),
      `\`${f.js.file.split('/').pop()}\``, kb(f.js.raw), kb(f.js.gzipSaved)]);
    raw += f.wasm.raw + f.js.raw; gzip += f.wasm.gzipSaved + (f.js.gzipSaved || 0);
  }
  const out = ['', 'What each feature adds (no chat-only build exists: measured inside the real one, see `bench/lib/feature-cost.mjs`):', ''];
  out.push(table(['feature', 'C (its functions in the .wasm)', 'wasm raw', 'wasm gzip saved without', 'JS glue', 'JS raw', 'JS gzip saved without'], rows));
  if (sky) {
    out.push('');
    out.push(`With media and transfers: ${kb(sky.gzip)} gzip (${sky.name}). Without both, about ${kb(sky.gzip - gzip)} gzip ` +
      `(${kb(sky.raw - raw)} raw): the sum of the savings above, each measured alone, so an estimate.`);
  }
  return out;
}
