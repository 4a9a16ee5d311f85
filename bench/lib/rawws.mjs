// A minimal WebSocket client on a raw TCP socket, for the relay load generator.
// The `ws` package writes one syscall per frame and costs ~30 us per message on this
// machine, which made the generator, not the server, the bottleneck. This client
// batches: every frame received in one TCP read is handed over at once, and the frames
// sent in reply go out in one write. Text frames only, no extensions; frames from the
// client are masked with a zero key (valid per RFC 6455 5.3; the payload is unchanged,
// which saves a copy). Ping is answered with pong; close ends the socket.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const ZERO_MASK = Buffer.alloc(4);

export function encodeText(str) {
  const payload = Buffer.from(str, 'utf8');
  return encodeFrame(0x1, payload);
}

function encodeFrame(opcode, payload) {
  const len = payload.length;
  let head;
  if (len < 126) { head = Buffer.alloc(2); head[1] = 0x80 | len; }
  else if (len < 65536) { head = Buffer.alloc(4); head[1] = 0x80 | 126; head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(len), 2); }
  head[0] = 0x80 | opcode;
  return Buffer.concat([head, ZERO_MASK, payload]);
}

export class RawWs {
  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.onBatch = () => {};   // (array of Buffer payloads of text frames)
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (d) => this._data(d));
    socket.on('close', () => { this.closed = true; });
    socket.on('error', () => { this.closed = true; });
  }

  // Resolves once the HTTP upgrade succeeded.
  static connect(url, { timeoutMs = 10000 } = {}) {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(u.port), u.hostname);
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('raw ws connect timeout')); }, timeoutMs);
      let head = Buffer.alloc(0);
      socket.on('error', (e) => { clearTimeout(timer); reject(e); });
      socket.on('connect', () => {
        socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      const onData = (d) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!/ 101 /.test(status)) { socket.destroy(); reject(new Error(`upgrade refused: ${status}`)); return; }
        const ws = new RawWs(socket);
        const rest = head.subarray(end + 4);
        resolve(ws);
        if (rest.length) setImmediate(() => ws._data(rest));
      };
      socket.on('data', onData);
    });
  }

  _data(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const out = [];
    let off = 0;
    const b = this.buf;
    while (b.length - off >= 2) {
      const op = b[off] & 0x0f;
      let len = b[off + 1] & 0x7f;
      let hl = 2;
      if (len === 126) { if (b.length - off < 4) break; len = b.readUInt16BE(off + 2); hl = 4; }
      else if (len === 127) { if (b.length - off < 10) break; len = Number(b.readBigUInt64BE(off + 2)); hl = 10; }
      if (b.length - off < hl + len) break;
      const payload = b.subarray(off + hl, off + hl + len);
      off += hl + len;
      if (op === 0x1 || op === 0x2 || op === 0x0) out.push(payload);
      else if (op === 0x9) this.socket.write(encodeFrame(0xA, Buffer.from(payload)));
      else if (op === 0x8) { this.closed = true; this.socket.end(); }
    }
    this.buf = off === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
    if (out.length) this.onBatch(out);
  }

  send(str) { if (!this.closed) this.socket.write(encodeText(str)); }
  // Many frames in one write.
  sendMany(strs) { if (!this.closed && strs.length) this.socket.write(Buffer.concat(strs.map(encodeText))); }
  close() { this.closed = true; this.socket.destroy(); }
}

// Waits for the first text frame for which pred(parsedJson) is true.
export function nextMessage(ws, pred, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.onBatch = () => {}; reject(new Error('raw ws: no reply in time')); }, timeoutMs);
    ws.onBatch = (frames) => {
      for (const f of frames) {
        let m;
        try { m = JSON.parse(f.toString()); } catch { continue; }
        if (pred(m)) { clearTimeout(timer); ws.onBatch = () => {}; resolve(m); return; }
      }
    };
  });
}
