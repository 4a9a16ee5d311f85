// Wraps the emscripten factories with the JS API (js-glue/) into dist/:
//   dist/skymesh.js       UMD: require() in node, AMD, or the globals `Skyway` and `Skylink` (the
//                         same class, SkylinkJS's name) from a <script> tag
//   dist/skymesh.mjs      ES module for browsers and bundlers (no node code inside)
//   dist/skymesh.node.mjs ES module entry for node (loads skymesh.js)
//   dist/skymesh.wasm     found next to the script (override: options.locateFile / wasmBinary)
//   dist/skymesh.d.ts     TypeScript declarations
// Usage: node src/wasm/assemble-dist.mjs <build/wasm> <dist>
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

// The glue without its comment lines and indentation (no minifier is
// available: emscripten 3.1.6 here has no closure compiler).
// skyway.js (the class) first, then the other js-glue/*.js that extend it.
const glueFiles = ['skyway.js', ...fs.readdirSync(path.join(ROOT, 'js-glue'))
  .filter((f) => f.endsWith('.js') && f !== 'skyway.js').sort()];
const glue = glueFiles.map((f) => fs.readFileSync(path.join(ROOT, 'js-glue', f), 'utf8')).join('\n').split('\n')
  .map((line) => line.trim()).filter((line) => line && !line.startsWith('//') && !line.startsWith('/*')).join('\n');
const header = '/*! skymesh 0.1.0 | MIT | peer-to-peer WebRTC rooms and chat, core in C/WebAssembly */\n';

const umd = `${header}(function (root, factory) {
  if (typeof module == 'object' && module.exports) module.exports = factory();
  else if (typeof define == 'function' && define.amd) define([], factory);
  else root.Skyway = root.Skylink = factory();
}(typeof self != 'undefined' ? self : this, function () {
var skyScriptUrl = typeof document != 'undefined' && document.currentScript ? document.currentScript.src : '';
${factory(path.join(wasmDir, 'skymesh.js'))}
${glue}
Skyway.Skyway = Skyway;
Skyway.Skylink = Skyway; // SkylinkJS 0.6's name for the same class
Skyway.default = Skyway; // TypeScript's require() of a default export, without esModuleInterop
return Skyway;
}));
`;

// The browser ES module has no node branch: bundlers must not meet require('fs').
const webGlue = glue.replace(/^.*require\('fs'\).*$/m, 'void 0;');
if (webGlue === glue) throw new Error('assemble-dist: the node-only line of js-glue/skyway.js moved');

const esm = `${header}var skyScriptUrl = import.meta.url;
${factory(path.join(wasmDir, 'web/skymesh.js'))}
${webGlue}
export default Skyway;
export { Skyway, Skyway as Skylink };
`;

const nodeEsm = `${header}import { createRequire } from 'node:module';
const Skyway = createRequire(import.meta.url)('./skymesh.js');
export default Skyway;
export { Skyway, Skyway as Skylink };
`;

fs.mkdirSync(dist, { recursive: true });
fs.writeFileSync(path.join(dist, 'skymesh.js'), umd);
fs.writeFileSync(path.join(dist, 'skymesh.mjs'), esm);
fs.writeFileSync(path.join(dist, 'skymesh.node.mjs'), nodeEsm);
fs.copyFileSync(path.join(wasmDir, 'skymesh.wasm'), path.join(dist, 'skymesh.wasm'));
fs.copyFileSync(path.join(ROOT, 'js-glue/skyway.d.ts'), path.join(dist, 'skymesh.d.ts'));
