/*! skymesh 0.1.0 | MIT | peer-to-peer WebRTC rooms and chat, core in C/WebAssembly */
import { createRequire } from 'node:module';
const Skyway = createRequire(import.meta.url)('./skymesh-chat.js');
export default Skyway;
export { Skyway, Skyway as Skylink };
