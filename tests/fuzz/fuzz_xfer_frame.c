/* Fuzzes data transfers from a malicious peer: the transfer frame decoder
 * (src/core/xfer_frame.h) and the receiving side of the transfer state
 * machine (src/core/transfer.c).
 *
 * The first input byte picks a mode:
 *   0: the rest is one frame. Whatever sky_xf_decode accepts encodes back to
 *      exactly the same bytes (a DATA frame: its header, then its payload), so
 *      the decoder accepts one shape per frame and nothing looser (but for a
 *      cancel's unknown reason, which reads as SKY_XF_R_ERROR).
 *   1: the rest is a program run against a client core in a room with one
 *      connected peer: each step is an opcode byte, then its arguments:
 *        0..3: a frame from the peer (u16 length, then that many bytes; the
 *              first byte is forced to SKY_XF_KIND when opcode is 0 or 1,
 *              so most reach the state machine),
 *        4: accept, 5: reject, 6: cancel the transfer numbered by the next
 *           byte, 7: the clock moves by the next byte in seconds.
 *      Properties: no crash, no leak, no undefined behaviour; sink writes come
 *      in order, without gaps, within the size the sink was made for; at most
 *      SKY_XF_FROM_PEER_MAX downloads are held; every event is valid JSON;
 *      getCurrentDataTransfers is valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client.h"
#include "client_internal.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "protocol.h"
#include "transfer.h"
#include "xfer_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SELF_ID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PEER_ID "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SINKS 64

static struct {
  uint64_t now;
  uint64_t sink_size[SINKS];
  uint64_t sink_written[SINKS];
  bool sink_made[SINKS];
} E;

static int op_socket_open(void *u, const char *url) { (void)u; (void)url; return 0; }
static int op_socket_send(void *u, const char *t, size_t n) { (void)u; (void)t; (void)n; return 0; }
static void op_socket_close(void *u) { (void)u; }
static int op_pc_create(void *u, int pc, const char *cfg) { (void)u; (void)pc; (void)cfg; return 0; }
static void op_pc(void *u, int pc) { (void)u; (void)pc; }
static void op_set_remote(void *u, int pc, sky_sdp_type t, const char *s, bool r) { (void)u; (void)pc; (void)t; (void)s; (void)r; }
static void op_add_cand(void *u, int pc, const char *c, const char *m, int l) { (void)u; (void)pc; (void)c; (void)m; (void)l; }
static int op_dc_send(void *u, int pc, const char *d, size_t n) { (void)u; (void)pc; (void)d; (void)n; return 0; }
static int op_dc_send_binary(void *u, int pc, const char *d, size_t n) {
  (void)u;
  (void)pc;
  sky_xf_frame f;
  if (n && (unsigned char)d[0] == SKY_XF_KIND) CHECK(sky_xf_decode((const unsigned char *)d, n, &f)); /* ours decode */
  return 0;
}
static size_t op_buffered(void *u, int pc) { (void)u; (void)pc; return 0; }
static void op_set_timer(void *u, uint32_t ms) { (void)u; (void)ms; }
static uint64_t op_now(void *u) { (void)u; return E.now; }
static void op_emit(void *u, const char *name, const char *args) {
  (void)u;
  CHECK(name && *name);
  cJSON *j = cJSON_Parse(args);
  CHECK(cJSON_IsArray(j));
  cJSON_Delete(j);
}
static int op_sink_write(void *u, int sink, uint64_t size, uint64_t offset, const char *d, size_t n) {
  (void)u;
  (void)d;
  CHECK(sink > 0 && sink < SINKS);
  if (!E.sink_made[sink]) {
    E.sink_made[sink] = true;
    E.sink_size[sink] = size;
  }
  CHECK(E.sink_size[sink] == size && offset == E.sink_written[sink] && n >= 1 && offset + n <= size);
  E.sink_written[sink] += n;
  return 0;
}

static const sky_client_ops OPS = {
  .socket_open = op_socket_open, .socket_send = op_socket_send, .socket_close = op_socket_close,
  .pc_create = op_pc_create, .pc_close = op_pc, .pc_create_offer = op_pc, .pc_create_answer = op_pc,
  .pc_set_remote = op_set_remote, .pc_add_candidate = op_add_cand, .dc_send = op_dc_send,
  .dc_send_binary = op_dc_send_binary, .dc_buffered = op_buffered, .set_timer = op_set_timer,
  .now_ms = op_now, .emit = op_emit, .xfer_sink_write = op_sink_write,
};

static void feed(sky_client *c, const sky_msg *m) {
  char *text = sky_msg_encode(m);
  CHECK(text);
  sky_client_on_socket_text(c, text, strlen(text));
  free(text);
}

/* A client in room1 with PEER_ID connected; its connection handle in *pc. */
static sky_client *in_room(int *pc) {
  sky_client *c = sky_client_new(&OPS, NULL);
  CHECK(c && sky_client_init(c, "ws://127.0.0.1:1/signaling", "app", NULL) == SKY_OK);
  sky_client_on_socket_open(c);
  sky_msg m = {0};
  m.type = SKY_MSG_WELCOME;
  m.u.welcome.version = 1;
  strcpy(m.u.welcome.peer_id, SELF_ID);
  sky_limits_default(&m.u.welcome.limits);
  feed(c, &m);
  CHECK(sky_client_join(c, "room1") == SKY_OK);
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_JOINED;
  strcpy(m.u.joined.room, "room1");
  strcpy(m.u.joined.peer_id, SELF_ID);
  feed(c, &m);
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_PEER_JOINED;
  strcpy(m.u.peer.peer_id, PEER_ID);
  feed(c, &m);
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_OFFER;
  strcpy(m.u.sdp.from, PEER_ID);
  strcpy(m.u.sdp.to, SELF_ID);
  m.u.sdp.sdp = (char *)"v=0 offer";
  feed(c, &m);
  *pc = sky_client_peer_handle(c, PEER_ID);
  sky_client_on_remote_description_set(c, *pc, true);
  sky_client_on_local_description(c, *pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  sky_client_on_pc_state(c, *pc, SKY_PCS_CHANNEL, "open");
  return c;
}

static void roundtrip(const uint8_t *data, size_t size) {
  sky_xf_frame f;
  if (!sky_xf_decode(data, size, &f)) return;
  static unsigned char out[SKY_XF_CONTROL_MAX];
  size_t n = sky_xf_encode(&f, out, sizeof out);
  CHECK(n > 0);
  if (f.op == SKY_XF_DATA) {
    CHECK(n == SKY_XF_DATA_HEADER && n + f.data_len == size && f.data == data + n);
    CHECK(memcmp(out, data, n) == 0);
  } else if (f.op == SKY_XF_CANCEL_UP || f.op == SKY_XF_CANCEL_DOWN) {
    /* an unknown reason reads as an error (and is sent as one) */
    CHECK(n == size && memcmp(out, data, n - 1) == 0);
    CHECK(out[n - 1] == data[n - 1] || (data[n - 1] > SKY_XF_R_BUSY && out[n - 1] == SKY_XF_R_ERROR));
  } else {
    CHECK(n == size && memcmp(out, data, n) == 0);
  }
}

static size_t downloads(const sky_client *c) {
  char *list = sky_client_data_transfers((sky_client *)c);
  cJSON *j = cJSON_Parse(list);
  CHECK(cJSON_IsObject(j));
  size_t n = (size_t)cJSON_GetArraySize(j);
  cJSON_Delete(j);
  free(list);
  return n;
}

static void run(in *i) {
  memset(&E, 0, sizeof E);
  E.now = 1000;
  int pc;
  sky_client *c = in_room(&pc);
  static unsigned char frame[SKY_XF_FRAME_MAX + 16];
  for (int steps = 0; i->n && steps < 256; steps++) {
    uint8_t op = u8(i) % 8;
    if (op <= 3) {
      size_t len = (size_t)u8(i) | (size_t)u8(i) << 8;
      if (len > i->n) len = i->n;
      memcpy(frame, i->p, len);
      i->p += len;
      i->n -= len;
      if (op <= 1 && len) frame[0] = SKY_XF_KIND;
      sky_client_on_channel_message(c, pc, (const char *)frame, len, false);
    } else if (op <= 6) {
      char tid[64];
      snprintf(tid, sizeof tid, "%s-%u", PEER_ID, (unsigned)u8(i));
      if (op == 6) sky_client_cancel_data(c, PEER_ID, tid);
      else sky_client_respond_data(c, PEER_ID, tid, op == 4);
    } else {
      E.now += (uint64_t)u8(i) * 1000;
      sky_client_on_timer(c);
    }
    CHECK(downloads(c) <= SKY_XF_FROM_PEER_MAX);
  }
  sky_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  if (data[0] % 2 == 0) {
    roundtrip(data + 1, size - 1);
  } else {
    in i = {data + 1, size - 1};
    run(&i);
  }
  return 0;
}
