// Client weight: what a page downloads to get the library, raw, gzip -9 and brotli
// (quality 11), for skymesh's dist/ (every .js/.mjs/.wasm file a page loads: the
// script plus its .wasm; type declarations and maps are not downloaded and are not
// counted) against the minified bundles of the alternatives, from node_modules.
// dist/ holds two builds: the chat client (skymesh-chat.*: rooms and chat, the
// issue 5 / 14 target) and the full one (skymesh.*: chat, transfers and media);
// each is reported, the chat build as the headline.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, emit, log, parseArgs } from './lib/util.mjs';
import { featureCost } from './lib/feature-cost.mjs';

const TARGET_GZIP = 16 * 1024;

function sizes(buf) {
  return {
    raw: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

function measureFiles(files) {
  const parts = files.map((f) => ({ file: path.relative(ROOT, f), ...sizes(fs.readFileSync(f)) }));
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const p of parts) for (const k of Object.keys(total)) total[k] += p[k];
  return { files: parts, total };
}

// Which dist/ files make up "the library a page loads". When dist/ holds several
// builds (e.g. a UMD script and an ES module of the same code), the smallest
// complete set is one loader plus the wasm it loads; count each variant separately.
function skymeshVariants() {
  const dist = path.join(ROOT, 'dist');
  if (!fs.existsSync(dist)) return [];
  const all = fs.readdirSync(dist, { recursive: true }).map((f) => path.join(dist, String(f)))
    .filter((f) => fs.statSync(f).isFile());
  const wasm = all.filter((f) => f.endsWith('.wasm'));
  // Node-only entry wrappers (skymesh.node.mjs re-exports skymesh.js) are not what a
  // page loads.
  const loaders = all.filter((f) => /\.(m|c)?js$/.test(f) && !/\.node\.(m|c)?js$/.test(f));
  return loaders.map((l) => {
    // A loader that inlines the wasm (SINGLE_FILE) needs no separate .wasm.
    const text = fs.readFileSync(l, 'utf8');
    const inlined = /data:application\/octet-stream;base64,[A-Za-z0-9+/]{1000}/.test(text);
    const needs = inlined ? [] : wasm.filter((w) => text.includes(path.basename(w)) || wasm.length === 1);
    if (!inlined && !needs.length) return null;
    const build = /-chat\.(m|c)?js$/.test(l) ? 'chat' : 'full';
    return { name: `skymesh ${build} (${path.relative(ROOT, l)}${needs.length ? ' + ' + needs.map((w) => path.basename(w)).join(' + ') : ''})`, files: [l, ...needs], loader: path.relative(ROOT, l), build };
  }).filter(Boolean);
}

const OTHERS = [
  ['peerjs 1.5.5 (peerjs.min.js)', 'node_modules/peerjs/dist/peerjs.min.js'],
  ['simple-peer 9.11.1 (simplepeer.min.js)', 'node_modules/simple-peer/simplepeer.min.js'],
  ['skylinkjs 0.6.37 (skylink.min.js)', 'node_modules/skylinkjs/publish/skylink.min.js'],
  ['skylinkjs 0.6.37 (skylink.complete.min.js)', 'node_modules/skylinkjs/publish/skylink.complete.min.js'],
];

const result = { targetGzipBytes: TARGET_GZIP, libraries: [], notes: [] };
const sk = skymeshVariants();
if (!sk.length) result.notes.push('dist/ has no built module yet: skymesh weight not measured');
// The chat build first: report.mjs's per-file line describes the first one.
sk.sort((a, b) => (a.build === b.build ? 0 : a.build === 'chat' ? -1 : 1));
for (const v of sk) result.libraries.push({ name: v.name, skymesh: true, build: v.build, loader: v.loader, ...measureFiles(v.files) });
for (const [name, rel] of OTHERS) {
  const f = path.join(ROOT, rel);
  if (fs.existsSync(f)) result.libraries.push({ name, skymesh: false, ...measureFiles([f]) });
  else result.notes.push(`${rel} missing (npm ci?)`);
}
// The headline skymesh figure: the smallest complete variant of the chat build
// (of the full build when dist/ has no chat build); skymeshFull: the full build's.
const smallest = (build) => result.libraries.filter((l) => l.skymesh && (!build || l.build === build))
  .sort((a, b) => a.total.gzip - b.total.gzip)[0];
const headline = (l) => ({ name: l.name, ...l.total, targetMet: l.total.gzip <= TARGET_GZIP });
const ratiosOf = (best) => {
  const r = {};
  for (const o of result.libraries.filter((l) => !l.skymesh)) {
    r[o.name] = { raw: best.total.raw / o.total.raw, gzip: best.total.gzip / o.total.gzip, brotli: best.total.brotli / o.total.brotli };
  }
  return r;
};
const chat = smallest('chat') || smallest();
if (chat) {
  result.skymesh = headline(chat);
  result.ratios = ratiosOf(chat);
}
const full = smallest('full');
if (full) {
  result.skymeshFull = headline(full);
  result.ratiosFull = ratiosOf(full);
}
// What media and transfers weigh inside skymesh (a relink: not in --quick).
if (!parseArgs().quick) {
  try { result.featureCost = await featureCost(); } catch (e) { result.featureCost = { error: String(e.message || e).slice(0, 300) }; }
}
for (const l of result.libraries) log(`${l.name}: raw ${l.total.raw} gzip ${l.total.gzip} brotli ${l.total.brotli}`);
emit(result);
