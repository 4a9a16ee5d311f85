// Wraps the emscripten factories with the JS API (js-glue/) into dist/, two builds:
// the full one (chat, data transfers, media: every js-glue/*.js) and the chat one
// (rooms and chat: js-glue/skyway.js only; what the tutorial page loads).
//   dist/skymesh.js       UMD: require() in node, AMD, or the globals `Skyway` and `Skylink` (the
//                         same class, SkylinkJS's name) from a <script> tag
//   dist/skymesh.mjs      ES module for browsers and bundlers (no node code inside)
//   dist/skymesh.node.mjs ES module entry for node (loads skymesh.js)
//   dist/skymesh.wasm     found next to the script (override: options.locateFile / wasmBinary)
//   dist/skymesh-chat.js, .mjs, .node.mjs, .wasm  the same for the chat build ('skymesh/chat')
//   dist/skymesh.d.ts     TypeScript declarations (of the full build)
// Usage: node src/wasm/assemble-dist.mjs <build/wasm> <dist>
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [build, dist] = process.argv.slice(2).map((p) => path.resolve(p));
const wasmDir = path.join(build, 'src/wasm');

// The factory without emscripten's own export lines (we export Skyway instead).
function factory(file) {
  const js = fs.readFileSync(file, 'utf8');
  const cut = js.lastIndexOf("if (typeof exports === 'object' && typeof module === 'object')");
  if (cut < 0) throw new Error(`unexpected emscripten output: ${file}`);
  return js.slice(0, cut).trim();
}

// The glue without its comment lines and indentation; then each whole file
// (emscripten's runtime, the bridge, the glue) goes through terser, a
// devDependency (emscripten 3.1.6 here has no closure compiler): compressed
// and local names mangled; property names, which C, emscripten's exports and
// the public API rely on, are kept.
// skyway.js (the class) first, then the other js-glue/*.js that extend it
// (the full build only).
const trim = (text) => text.split('\n').map((line) => line.trim())
  .filter((line) => line && !line.startsWith('//') && !line.startsWith('/*')).join('\n');
const featureFiles = fs.readdirSync(path.join(ROOT, 'js-glue'))
  .filter((f) => f.endsWith('.js') && f !== 'skyway.js').sort();
const glueOf = (files) => trim(files.map((f) => fs.readFileSync(path.join(ROOT, 'js-glue', f), 'utf8')).join('\n'));
const header = '/*! skymesh 0.1.0 | MIT | peer-to-peer WebRTC rooms and chat, core in C/WebAssembly */\n';

function umdOf(factoryJs, glue) {
  return `${header}(function (root, factory) {
  if (typeof module == 'object' && module.exports) module.exports = factory();
  else if (typeof define == 'function' && define.amd) define([], factory);
  else root.Skyway = root.Skylink = factory();
}(typeof self != 'undefined' ? self : this, function () {
var skyScriptUrl = typeof document != 'undefined' && document.currentScript ? document.currentScript.src : '';
${factoryJs}
${glue}
Skyway.Skyway = Skyway;
Skyway.Skylink = Skyway; // SkylinkJS 0.6's name for the same class
Skyway.default = Skyway; // TypeScript's require() of a default export, without esModuleInterop
return Skyway;
}));
`;
}

// The browser ES module has no node branch: bundlers must not meet require('fs').
function esmOf(factoryJs, glue) {
  const webGlue = glue.replace(/^.*require\('fs'\).*$/m, 'void 0;');
  if (webGlue === glue) throw new Error('assemble-dist: the node-only line of js-glue/skyway.js moved');
  return `${header}var skyScriptUrl = import.meta.url;
${factoryJs}
${webGlue}
export default Skyway;
export { Skyway, Skyway as Skylink };
`;
}

const nodeEsmOf = (name) => `${header}import { createRequire } from 'node:module';
const Skyway = createRequire(import.meta.url)('./${name}.js');
export default Skyway;
export { Skyway, Skyway as Skylink };
`;

const builds = [
  { name: 'skymesh', umd: 'skymesh.js', esm: 'web/skymesh.js', glue: glueOf(['skyway.js', ...featureFiles]) },
  { name: 'skymesh-chat', umd: 'chat/skymesh-chat.js', esm: 'chat-web/skymesh-chat.js', glue: glueOf(['skyway.js']) },
];
// In node the glue reads the .wasm next to the script by name: each build its own.
for (const b of builds) {
  const parts = b.glue.split("'skymesh.wasm'");
  if (parts.length !== 2) throw new Error('assemble-dist: js-glue/skyway.js should name \'skymesh.wasm\' once');
  b.glue = parts.join(`'${b.name}.wasm'`);
}
async function small(code, module) {
  const out = await minify(code, { module, compress: { passes: 2 }, mangle: true, format: { comments: /^!/ } });
  return `${out.code}\n`;
}

fs.mkdirSync(dist, { recursive: true });
for (const b of builds) {
  fs.writeFileSync(path.join(dist, `${b.name}.js`), await small(umdOf(factory(path.join(wasmDir, b.umd)), b.glue), false));
  fs.writeFileSync(path.join(dist, `${b.name}.mjs`), await small(esmOf(factory(path.join(wasmDir, b.esm)), b.glue), true));
  fs.copyFileSync(path.join(wasmDir, path.dirname(b.umd), `${b.name}.wasm`), path.join(dist, `${b.name}.wasm`));
}
for (const b of builds) fs.writeFileSync(path.join(dist, `${b.name}.node.mjs`), nodeEsmOf(b.name));
fs.copyFileSync(path.join(ROOT, 'js-glue/skyway.d.ts'), path.join(dist, 'skymesh.d.ts'));
