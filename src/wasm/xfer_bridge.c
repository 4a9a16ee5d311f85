/* The data-transfer part of the bridge (listed in bridge.c): the EM_JS
 * functions that move a transfer's bytes, the ops wrappers the core calls, and
 * the entry points of sendBlobData / sendURLData / acceptDataTransfer /
 * cancelDataTransfer / getCurrentDataTransfers (js-glue/transfer.js).
 *
 * The bytes stay in JS (skyXfer, bridge_pre.js): an upload's source is a
 * Uint8Array, or a Blob read by slices on demand, that the API layer
 * registered under a handle it chose; a download's
 * sink is made here on its first write, under the handle the core chose. The
 * core decides which bytes go where and when. Sizes and offsets cross as
 * doubles (exact below 2^53; transfers stop at SKY_XF_SIZE_MAX).
 */
#include <stdlib.h>
#include <string.h>

#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include "bridge.h"
#include "client.h"
#include "transfer.h"

/* header: C-owned, copied at once. Sends header + bytes [offset, offset+len)
 * of source src as one binary frame on h's channel. 0 sent, -1 not open /
 * unknown source / a read failed / the stack refused, 1 (SKY_XF_CHUNK_LATER)
 * those bytes of a Blob are not read yet: nothing sent, h's drain callback
 * comes when they are (skyXferBytes, bridge_pre.js). */
EM_JS(int, sky_js_xfer_chunk, (int h, int src, double offset, int len, const char *header, int header_len), {
  var e = skyPcs[h], s = skyXfer.src[src];
  if (!e || !e.dc || !s || offset + len > s.length) return -1;
  var bytes = skyXferBytes(s, offset, len, h);
  if (bytes === null) return 1;
  if (!bytes) return -1;
  var frame = new Uint8Array(header_len + len);
  frame.set(HEAPU8.subarray(header, header + header_len));
  frame.set(bytes, header_len);
  try {
    e.dc.send(frame);
    return 0;
  } catch (err) {
    return -1;
  }
});

/* data: C-owned, copied at once into sink `sink` (made on first write: a
 * Buffer of size bytes in node, a list of parts for a Blob elsewhere). */
EM_JS(int, sky_js_xfer_sink, (int sink, double size, double offset, const char *data, int len), {
  var k = skyXfer.sink[sink];
  try {
    if (!k) k = skyXfer.sink[sink] = Module.nodeBuffers ? {buf: Buffer.allocUnsafe(size)} : {parts: []};
    if (k.buf) k.buf.set(HEAPU8.subarray(data, data + len), offset);
    else k.parts.push(HEAPU8.slice(data, data + len));
    return 0;
  } catch (err) {
    return -1;
  }
});

/* The largest message h's channel takes, as the stack says (0: unknown). */
EM_JS(int, sky_js_dc_max_message, (int h), {
  var e = skyPcs[h], n = 0;
  try { n = e && e.pc.sctp && e.pc.sctp.maxMessageSize; } catch (err) {}
  return n > 0 && n < 2147483647 ? n | 0 : 0;
});

int sky_bridge_xfer_send_chunk(void *user, int pc, int src, uint64_t offset, size_t len, const char *header,
                               size_t header_len) {
  (void)user;
  return sky_js_xfer_chunk(pc, src, (double)offset, (int)len, header, (int)header_len);
}

int sky_bridge_xfer_sink_write(void *user, int sink, uint64_t size, uint64_t offset, const char *data, size_t len) {
  (void)user;
  return sky_js_xfer_sink(sink, (double)size, (double)offset, data, (int)len);
}

size_t sky_bridge_dc_max_message(void *user, int pc) {
  (void)user;
  return (size_t)sky_js_dc_max_message(pc);
}

/* ---- entry points (strings: JS-owned pointer + length, copied here) ------------ */

static char *copy(const char *s, int len) {
  if (!s || len < 0) return NULL;
  char *d = malloc((size_t)len + 1); /* owner: the caller */
  if (d) {
    memcpy(d, s, (size_t)len);
    d[len] = '\0';
  }
  return d;
}

/* src: the handle JS registered the bytes under. Returns the transfer's number
 * (> 0) or an error code. */
EMSCRIPTEN_KEEPALIVE int sky_send_data(int src, double size, const char *name, int name_len, const char *mime,
                                       int mime_len, int timeout_s, int data_url, const char *targets,
                                       int targets_len) {
  if (size < 0 || timeout_s < 0) return SKY_E_ARG;
  char *n = copy(name, name_len), *m = copy(mime, mime_len), *t = copy(targets, targets_len);
  int rc = sky_client_send_data(sky_wasm_client(), src, (uint64_t)size, n, m, (unsigned)timeout_s, data_url != 0, t);
  free(n);
  free(m);
  free(t);
  return rc;
}

EMSCRIPTEN_KEEPALIVE int sky_respond_data(const char *peer, int peer_len, const char *tid, int tid_len, int accept) {
  char *p = copy(peer, peer_len), *t = copy(tid, tid_len);
  int rc = sky_client_respond_data(sky_wasm_client(), p, t, accept != 0);
  free(p);
  free(t);
  return rc;
}

EMSCRIPTEN_KEEPALIVE int sky_cancel_data(const char *peer, int peer_len, const char *tid, int tid_len) {
  char *p = copy(peer, peer_len), *t = copy(tid, tid_len);
  int rc = sky_client_cancel_data(sky_wasm_client(), p, t);
  free(p);
  free(t);
  return rc;
}

/* getCurrentDataTransfers as JSON text, C-owned until the next call here. */
EMSCRIPTEN_KEEPALIVE const char *sky_data_transfers(void) {
  static char *last; /* owner: here, freed on the next call */
  free(last);
  last = sky_client_data_transfers(sky_wasm_client());
  return last ? last : "{}";
}

void sky_wasm_xfer_ops(sky_client_ops *ops) {
  ops->xfer_send_chunk = sky_bridge_xfer_send_chunk;
  ops->xfer_sink_write = sky_bridge_xfer_sink_write;
  ops->dc_max_message = sky_bridge_dc_max_message;
}
