// What media and data transfers add to the client (issue 12), and what each
// part of the module costs (issue 14).
//   builds  the chat build (dist/skymesh-chat.*) against the full one
//           (dist/skymesh.*): each loader + its .wasm, raw and gzip -9, and the
//           difference: what transfers and media together really cost.
//   byFile  each build's code bytes per source file (the name section below;
//           "(libc/runtime)": emscripten's libc and malloc), with the data
//           section and the rest of the module, to see what costs most.
// Each feature's own share, measured inside the full build:
//   wasm  scripts/build-wasm's objects linked again exactly as for dist/, plus
//         --profiling-funcs (a name section: the code is the same); each code
//         body is attributed to the source file whose object defines that
//         function (llvm-nm), and a feature's cost is its bodies' bytes, raw,
//         and what gzip -9 of the .wasm saves without them.
//   JS    js-glue/<feature>.js (and its src/wasm/<feature>_pre.js) minified
//         alone by terser as src/wasm/assemble-dist.mjs minifies dist/: raw
//         and gzip -9 (dist/ minifies the whole file at once, so the part
//         cannot be cut out of it; builds.transfersAndMedia is the exact
//         figure for both features together).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { minify } from 'terser';
import { ROOT, WORK } from './util.mjs';

const FEATURES = {
  media: { c: ['src/core/media.c', 'src/wasm/media_bridge.c'], js: ['js-glue/media.js', 'src/wasm/media_pre.js'] },
  transfers: { c: ['src/core/transfer.c', 'src/core/xfer_frame.c', 'src/wasm/xfer_bridge.c'], js: ['js-glue/transfer.js', 'src/wasm/xfer_pre.js'] },
};
// Link targets (src/wasm/CMakeLists.txt) and what of dist/ they make.
const BUILDS = {
  full: { target: 'skymesh', files: ['skymesh.js', 'skymesh.wasm'] },
  chat: { target: 'skymesh_chat', files: ['skymesh-chat.js', 'skymesh-chat.wasm'] },
};

const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;

function leb(buf, at) {
  let v = 0; let shift = 0; let b;
  do { b = buf[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [v, at];
}

// The code bodies of a .wasm with a name section: [{name, start, end}], and
// where that section is (buf.names).
function wasmFunctions(buf) {
  let at = 8; let imported = 0; const bodies = []; const names = new Map();
  const sectionStart = () => start;
  let start = 8;
  while (at < buf.length) {
    start = at;
    const id = buf[at];
    let size; [size, at] = leb(buf, at + 1);
    const end = at + size;
    if (id === 2) { // imports: functions among them take the first indices
      let n; let p; [n, p] = leb(buf, at);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 2; k++) { let len; [len, p] = leb(buf, p); p += len; }
        const kind = buf[p++];
        if (kind === 0) { imported++; [, p] = leb(buf, p); } else if (kind === 1) { p += 1; let f; [f, p] = leb(buf, p); [, p] = leb(buf, p); if (f & 1) [, p] = leb(buf, p); } else if (kind === 2) { let f; [f, p] = leb(buf, p); [, p] = leb(buf, p); if (f & 1) [, p] = leb(buf, p); } else { p += 1; p += 1; }
      }
    } else if (id === 11) {
      bodies.dataBytes = end - start;
    } else if (id === 10) {
      let n; let p; [n, p] = leb(buf, at);
      for (let i = 0; i < n; i++) { let len; [len, p] = leb(buf, p); bodies.push({ start: p, end: p + len }); p += len; }
    } else if (id === 0) {
      let len; let p; [len, p] = leb(buf, at);
      if (buf.toString('utf8', p, p + len) === 'name') {
        bodies.names = [sectionStart(), end];
        p += len;
        while (p < end) {
          const sub = buf[p]; let sz; [sz, p] = leb(buf, p + 1);
          if (sub === 1) {
            let n; let q; [n, q] = leb(buf, p);
            for (let i = 0; i < n; i++) { let idx; let l; [idx, q] = leb(buf, q); [l, q] = leb(buf, q); names.set(idx, buf.toString('utf8', q, q + l)); q += l; }
          }
          p += sz;
        }
      }
    }
    at = end;
  }
  const fns = bodies.map((b, i) => ({ ...b, name: names.get(imported + i) || `#${imported + i}` }));
  fns.names = bodies.names || [buf.length, buf.length];
  fns.dataBytes = bodies.dataBytes || 0;
  return fns;
}

// Function symbols each object defines (static ones included).
function definedIn(obj) {
  const out = execFileSync('llvm-nm', ['--defined-only', obj]).toString();
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^[tT]$/.test(f[1])).map((f) => f[2]));
}

const objectOf = (dir, src) => objectsOf(dir, 'skymesh').find((f) => f.endsWith(`/${path.basename(src)}.o`));

async function glueMinified(files) {
  const text = files.map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
  return (await minify(text, { compress: { passes: 2 }, mangle: true })).code;
}

// The objects a link target uses: its own, the core's, cJSON's, and (chat) the
// no-op feature hooks.
function objectsOf(build, target) {
  return fs.readdirSync(build, { recursive: true }).map(String)
    .filter((x) => x.endsWith('.c.o') && (/(^|\/)(skymesh_core|cjson)\.dir\//.test(x) || x.includes(`/${target}.dir/`)
      || (target.includes('chat') && x.includes('/skymesh_features_none.dir/'))))
    .map((x) => path.join(build, x));
}

// Links target again with --profiling-funcs into WORK/profiling-funcs/<target>:
// its functions (with names) and the .wasm without the name section.
function relink(build, target) {
  const linkDir = path.join(build, 'src/wasm');
  const linkTxt = path.join(linkDir, `CMakeFiles/${target}.dir/link.txt`);
  if (!fs.existsSync(linkTxt)) return null;
  const out = path.join(WORK, 'profiling-funcs', target);
  fs.mkdirSync(out, { recursive: true });
  const cmd = fs.readFileSync(linkTxt, 'utf8').trim().split(/\s+/)
    .map((a, i, all) => (all[i - 1] === '-o' ? path.join(out, 'm.js') : a));
  execFileSync(cmd[0], [...cmd.slice(1), '--profiling-funcs'], { cwd: linkDir, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') } });
  const named = fs.readFileSync(path.join(out, 'm.wasm'));
  const fns = wasmFunctions(named);
  const wasm = Buffer.concat([named.subarray(0, fns.names[0]), named.subarray(fns.names[1])]);
  return { fns, wasm };
}

// Code bytes per source file of a relinked target, largest first, and the
// largest functions.
function byFile(build, target, fns, wasm) {
  const owner = new Map();
  for (const o of objectsOf(build, target)) {
    const file = path.basename(o).replace(/\.o$/, '');
    for (const n of definedIn(o)) owner.set(n, owner.has(n) ? '(name in several files)' : file);
  }
  const files = {};
  for (const f of fns) {
    const file = owner.get(f.name) || '(libc/runtime)';
    files[file] = (files[file] || 0) + f.end - f.start;
  }
  const codeBytes = fns.reduce((s, f) => s + f.end - f.start, 0);
  return {
    wasmBytes: wasm.length, codeBytes, dataBytes: fns.dataBytes, otherBytes: wasm.length - codeBytes - fns.dataBytes,
    files: Object.fromEntries(Object.entries(files).sort((a, b) => b[1] - a[1])),
    largest: [...fns].sort((a, b) => (b.end - b.start) - (a.end - a.start)).slice(0, 15)
      .map((f) => ({ name: f.name, file: owner.get(f.name) || '(libc/runtime)', bytes: f.end - f.start })),
  };
}

// dist/'s chat and full builds side by side.
function builds() {
  const out = {};
  for (const [name, b] of Object.entries(BUILDS)) {
    const parts = b.files.map((f) => path.join(ROOT, 'dist', f));
    if (!parts.every((f) => fs.existsSync(f))) continue;
    const each = parts.map((f) => { const buf = fs.readFileSync(f); return { file: `dist/${path.basename(f)}`, raw: buf.length, gzip: gz(buf) }; });
    out[name] = { files: each, raw: each.reduce((s, f) => s + f.raw, 0), gzip: each.reduce((s, f) => s + f.gzip, 0) };
  }
  if (out.chat && out.full) out.transfersAndMedia = { raw: out.full.raw - out.chat.raw, gzip: out.full.gzip - out.chat.gzip };
  return out;
}

// { features: {name: {wasm: {functions, raw, gzipSaved}, js: {raw, gzipSaved}}}, wasm: {...} } or { error }.
export async function featureCost() {
  const build = path.join(ROOT, 'build/wasm');
  const full = relink(build, 'skymesh');
  if (!full) return { error: 'build/wasm has no objects: run scripts/build-wasm first' };
  const { fns, wasm } = full;
  const codeBytes = fns.reduce((s, f) => s + f.end - f.start, 0);
  const result = { wasm: { functions: fns.length, codeBytes, distWasmBytes: fs.statSync(path.join(ROOT, 'dist/skymesh.wasm')).size,
    gzip: gz(wasm) }, features: {}, builds: builds(), byFile: { full: byFile(build, 'skymesh', fns, wasm) } };
  const chat = relink(build, 'skymesh_chat');
  if (chat) result.byFile.chat = byFile(build, 'skymesh_chat', chat.fns, chat.wasm);
  // A static name two objects define (peer_by_pc, ...) cannot be told apart in
  // the name section: left out of every feature.
  const objects = objectsOf(build, 'skymesh');
  const seen = new Map();
  for (const o of objects) for (const n of definedIn(o)) seen.set(n, (seen.get(n) || 0) + 1);
  result.wasm.ambiguousNames = [...seen].filter(([, k]) => k > 1).map(([n]) => n);
  for (const [name, f] of Object.entries(FEATURES)) {
    const names = new Set();
    for (const src of f.c) {
      const obj = objectOf(build, src);
      if (obj) for (const s of definedIn(obj)) if (seen.get(s) === 1) names.add(s);
    }
    const mine = fns.filter((fn) => names.has(fn.name));
    // The .wasm without these bodies (not a valid module: a measure of what they cost compressed).
    const keep = [];
    let at = 0;
    for (const fn of mine.sort((a, b) => a.start - b.start)) { keep.push(wasm.subarray(at, fn.start)); at = fn.end; }
    keep.push(wasm.subarray(at));
    const js = Buffer.from(await glueMinified(f.js));
    result.features[name] = {
      sources: f.c,
      wasm: { functions: mine.length, raw: mine.reduce((s, fn) => s + fn.end - fn.start, 0), gzipSaved: gz(wasm) - gz(Buffer.concat(keep)) },
      js: { file: f.js.join(' + '), raw: js.length, gzip: gz(js), gzipSaved: null },
    };
  }
  return result;
}
