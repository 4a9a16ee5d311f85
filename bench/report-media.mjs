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
  const out = [];
  const b = fc.builds || {};
  if (b.chat && b.full) {
    out.push('', 'The chat build against the full one (script tag + its .wasm; `bench/lib/feature-cost.mjs`):', '');
    out.push(table(['build', 'files', 'raw', 'gzip -9'], ['chat', 'full'].map((n) => [n,
      b[n].files.map((f) => `\`${f.file.split('/').pop()}\` ${kb(f.raw)} / ${kb(f.gzip)}`).join(' + '), kb(b[n].raw), kb(b[n].gzip)])));
    out.push('', `Transfers and media together: ${kb(b.transfersAndMedia.gzip)} gzip, ${kb(b.transfersAndMedia.raw)} raw.`);
  }
  const rows = [];
  for (const [name, f] of Object.entries(fc.features)) {
    rows.push([name, `${f.sources.map((s) => `\`${s.split('/').pop()}\``).join(' + ')}: ${f.wasm.functions} functions`, kb(f.wasm.raw), kb(f.wasm.gzipSaved),
      f.js.file.split(' + ').map((x) => `\`${x.split('/').pop()}\``).join(' + '), kb(f.js.raw), kb(f.js.gzip)]);
  }
  out.push('', 'Each feature inside the full build:', '');
  out.push(table(['feature', 'C (its functions in the .wasm)', 'wasm raw', 'wasm gzip saved without', 'JS (minified alone)', 'JS raw', 'JS gzip'], rows));
  for (const n of ['chat', 'full']) {
    const f = fc.byFile?.[n];
    if (!f) continue;
    out.push('', `Code of the ${n} build's .wasm by source file (${kb(f.wasmBytes)}: code ${kb(f.codeBytes)}, data ${kb(f.dataBytes)}, rest ${kb(f.otherBytes)}): ` +
      Object.entries(f.files).map(([k, v]) => `${k} ${kb(v)}`).join(', ') + '.');
  }
  if (sky && !(b.chat && b.full)) out.push('', `With media and transfers: ${kb(sky.gzip)} gzip (${sky.name}).`);
  return out;
}
