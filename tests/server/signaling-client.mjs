// A small signaling client for the server tests: a real `ws` WebSocket plus
// an inbox, so a test can say "the next peer_joined this client receives".
// Resume tokens are session bookkeeping, not events: they are kept apart (see
// nextToken) so that "nothing else arrived" checks do not trip over them.
import WebSocket from 'ws';

export const PEER_ID = /^[0-9a-f]{32}$/;

export class Client {
  constructor(url, options = {}) {
    this.ws = new WebSocket(url, options.protocols ?? [], options);
    this.inbox = [];
    this.waiters = [];
    this.tokens = [];     // every `token` message, in order (not in the inbox)
    this.tokensTaken = 0; // how many nextToken() has handed out
    this.tokenWaiters = [];
    this.types = [];      // the type of every message received, in order
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {}); // surfaced through `closed` / `opened`
    this.ws.on('message', (data, isBinary) => {
      const msg = isBinary ? { type: '(binary)' } : JSON.parse(data.toString());
      this.types.push(msg.type);
      if (msg.type === 'token') {
        this.tokens.push(msg);
        for (const w of this.tokenWaiters.splice(0)) w();
        return;
      }
      this.inbox.push(msg);
      this.#wake();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  static async connect(url, options) {
    const c = new Client(url, options);
    await c.opened;
    return c;
  }

  // The latest token string received, or undefined.
  get token() { return this.tokens.at(-1)?.token; }

  // The next token message not yet handed out (waiting for it if need be).
  async nextToken(timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    while (this.tokensTaken >= this.tokens.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a token; received: ${this.types.join(',')}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.tokenWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.tokens[this.tokensTaken++];
  }

  // Connects, says hello and resolves once welcomed (c.peerId is set).
  // resume / userData go into the hello when given.
  static async hello(url, { appKey = 'test-key', resume, userData, ...options } = {}) {
    const c = await Client.connect(url, options);
    c.send({ type: 'hello', v: 1, appKey, ...(resume !== undefined && { resume }), ...(userData !== undefined && { userData }) });
    const w = await c.next('welcome');
    c.peerId = w.peerId;
    c.welcome = w;
    return c;
  }

  // hello + join: resolves to the joined message.
  static async joined(url, room, userData = {}, options) {
    const c = await Client.hello(url, options);
    c.send({ type: 'join', room, userData });
    c.joinedMsg = await c.next('joined');
    return c;
  }

  send(msg) {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  // The first received message matching `match` (a type name or a predicate),
  // removed from the inbox. Rejects after timeoutMs.
  next(match, timeoutMs = 3000) {
    const pred = typeof match === 'function' ? match : (m) => m.type === match;
    const found = this.#take(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${typeof match === 'string' ? match : 'a message'}; inbox: ${JSON.stringify(this.inbox)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  // Resolves to the matching messages received within ms (for "nothing arrives").
  async collect(match, ms) {
    await new Promise((r) => setTimeout(r, ms));
    const pred = typeof match === 'function' ? match : (m) => m.type === match;
    const out = this.inbox.filter(pred);
    this.inbox = this.inbox.filter((m) => !pred(m));
    return out;
  }

  // Round trip: everything the server sent before the pong has arrived.
  async sync() {
    const ref = `sync-${Math.random().toString(36).slice(2)}`;
    this.send({ type: 'ping', ref });
    await this.next((m) => m.type === 'pong' && m.ref === ref);
  }

  close() {
    this.ws.close();
    return this.closed;
  }

  #take(pred) {
    const i = this.inbox.findIndex(pred);
    return i < 0 ? null : this.inbox.splice(i, 1)[0];
  }

  #wake() {
    for (const w of [...this.waiters]) {
      const found = this.#take(w.pred);
      if (found) {
        clearTimeout(w.timer);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(found);
      }
    }
  }
}

export function closeAll(...clients) {
  return Promise.all(clients.filter(Boolean).map((c) => {
    if (c.ws.readyState === WebSocket.CLOSED) return c.closed;
    c.ws.terminate();
    return c.closed;
  }));
}

// Stops a server with SIGTERM and checks it went cleanly: exit code 0 and no
// sanitizer report (the suite runs against an ASan + LeakSanitizer build).
export async function stopClean(server) {
  const code = await server.stop();
  const out = server.output();
  if (code !== 0 || /Sanitizer|runtime error:/.test(out)) {
    throw new Error(`server did not stop cleanly (exit ${code}):\n${out}`);
  }
}
