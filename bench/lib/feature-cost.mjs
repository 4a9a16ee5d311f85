// What media and data transfers add to the client (issue 12): there is no
// chat-only build to weigh (the core calls both features' hooks), so each
// feature's share is measured in the real build.
//   wasm  scripts/build-wasm's objects linked again exactly as for dist/, plus
//         --profiling-funcs (a name section: the code is the same); each code
//         body is attributed to the source file whose object defines that
//         function (llvm-nm), and a feature's cost is its bodies' bytes, raw,
//         and what gzip -9 of the .wasm saves without them.
//   JS    js-glue/<feature>.js as src/wasm/assemble-dist.mjs puts it into
//         dist/skymesh.js (lines trimmed, comment lines dropped): raw, and what
//         gzip -9 of dist/skymesh.js saves without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, WORK } from './util.mjs';

const FEATURES = {
  media: { c: ['src/core/media.c'], js: 'js-glue/media.js' },
  transfers: { c: ['src/core/transfer.c', 'src/core/xfer_frame.c', 'src/wasm/xfer_bridge.c'], js: 'js-glue/transfer.js' },
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
  return fns;
}

// Function symbols each object defines (static ones included).
function definedIn(obj) {
  const out = execFileSync('llvm-nm', ['--defined-only', obj]).toString();
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^[tT]$/.test(f[1])).map((f) => f[2]));
}

const objectOf = (dir, src) => {
  const base = path.basename(src);
  const hit = fs.readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith(`${base}.o`) && !f.includes('skymesh_web.dir'));
  return hit && path.join(dir, hit);
};

function glueText(file) {
  return fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l && !l.startsWith('//') && !l.startsWith('/*')).join('\n');
}

// { features: {name: {wasm: {functions, raw, gzipSaved}, js: {raw, gzipSaved}}}, wasm: {...} } or { error }.
export function featureCost() {
  const build = path.join(ROOT, 'build/wasm');
  const linkDir = path.join(build, 'src/wasm');
  const linkTxt = path.join(linkDir, 'CMakeFiles/skymesh.dir/link.txt');
  if (!fs.existsSync(linkTxt)) return { error: 'build/wasm has no objects: run scripts/build-wasm first' };
  const out = path.join(WORK, 'profiling-funcs');
  fs.mkdirSync(out, { recursive: true });
  const cmd = fs.readFileSync(linkTxt, 'utf8').trim().split(/\s+/)
    .map((a, i, all) => (all[i - 1] === '-o' ? path.join(out, 'skymesh.js') : a));
  execFileSync(cmd[0], [...cmd.slice(1), '--profiling-funcs'], { cwd: linkDir, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') } });
  const named = fs.readFileSync(path.join(out, 'skymesh.wasm'));
  const fns = wasmFunctions(named);
  // Compressed figures without the name section, as dist/ ships it (it comes last).
  const wasm = Buffer.concat([named.subarray(0, fns.names[0]), named.subarray(fns.names[1])]);
  const codeBytes = fns.reduce((s, f) => s + f.end - f.start, 0);
  const dist = fs.readFileSync(path.join(ROOT, 'dist/skymesh.js'), 'utf8');
  const result = { wasm: { functions: fns.length, codeBytes, distWasmBytes: fs.statSync(path.join(ROOT, 'dist/skymesh.wasm')).size,
    gzip: gz(wasm) }, features: {} };
  // A static name two objects define (peer_by_pc, ...) cannot be told apart in
  // the name section: left out of every feature.
  const objects = fs.readdirSync(build, { recursive: true }).map(String)
    .filter((x) => x.endsWith('.c.o') && !x.includes('skymesh_web.dir')).map((x) => path.join(build, x));
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
    const js = glueText(f.js);
    const without = dist.includes(js) ? dist.replace(js, '') : null;
    result.features[name] = {
      sources: f.c,
      wasm: { functions: mine.length, raw: mine.reduce((s, fn) => s + fn.end - fn.start, 0), gzipSaved: gz(wasm) - gz(Buffer.concat(keep)) },
      js: { file: f.js, raw: Buffer.byteLength(js), gzipSaved: without === null ? null : gz(Buffer.from(dist)) - gz(Buffer.from(without)) },
    };
  }
  return result;
}
