/* Data transfers through the client core (transfer.c), between real client
 * cores wired to each other by a fake channel: every frame one core sends is
 * fed to the other. Byte-exact round trips at the chunk boundaries, the
 * SkylinkJS state sequences, reject, cancel by either side, timeouts, a peer
 * leaving, a group upload, flow control, and a hostile sender. */
#include "client_fake.h"
#include "transfer.h"
#include "xfer_frame.h"

#define SELF_A SELF
#define SELF_B PEER_B
#define SELF_C PEER_C
#define NODES 3
#define CHUNK 2000 /* what the fake channels say they take, minus the header: small, to test many chunks */

/* One client core and everything its fake environment holds. */
typedef struct node {
  fake f;        /* first: the ops' user pointer is the node */
  int idx;
  const char *self;
  int pc_to[NODES];  /* our connection handle towards node j */
  unsigned char *src[8]; /* sources the "API layer" registered, by handle */
  size_t src_len[8];
  unsigned char *sink[64]; /* download sinks, by handle */
  uint64_t sink_size[64];
  uint64_t sink_written[64];
  bool drop_out;     /* the wire loses what this node sends (a stalled peer) */
} node;

static node N[NODES];

/* Frames in flight, in send order. */
typedef struct wire_frame {
  struct wire_frame *next;
  int from, to;
  size_t len;
  unsigned char data[];
} wire_frame;
static wire_frame *wire_head, **wire_tail = &wire_head;
static int data_frames; /* DATA frames sent since the last reset */
static bool record_chunks; /* DATA frames say so in the sender's lines too */
static int later_every;    /* > 0: every later_every-th chunk asked for is not read yet */
static int chunk_asks;     /* chunks asked for since the last reset */

static int peer_of(node *n, int pc) {
  for (int j = 0; j < NODES; j++)
    if (n->pc_to[j] == pc && j != n->idx) return j;
  return -1;
}

static void wire_push(node *n, int pc, const unsigned char *a, size_t alen, const unsigned char *b, size_t blen) {
  int to = peer_of(n, pc);
  assert_true(to >= 0);
  if (n->drop_out) return;
  wire_frame *w = malloc(sizeof *w + alen + blen);
  w->next = NULL;
  w->from = n->idx;
  w->to = to;
  w->len = alen + blen;
  memcpy(w->data, a, alen);
  if (blen) memcpy(w->data + alen, b, blen);
  *wire_tail = w;
  wire_tail = &w->next;
}

static int n_dc_send_binary(void *u, int pc, const char *data, size_t len) {
  f_dc_send_binary(u, pc, data, len);
  wire_push(u, pc, (const unsigned char *)data, len, NULL, 0);
  return 0;
}

static int n_send_chunk(void *u, int pc, int src, uint64_t offset, size_t len, const char *header, size_t hlen) {
  node *n = u;
  assert_true(src > 0 && src < 8 && n->src[src]);
  assert_true(offset + len <= n->src_len[src]);
  assert_true(len >= 1 && len <= CHUNK);
  assert_true(hlen == SKY_XF_DATA_HEADER);
  if (later_every && ++chunk_asks % later_every == 0) return SKY_XF_CHUNK_LATER; /* a Blob slice on its way */
  data_frames++;
  if (record_chunks) record(&n->f, "chunk %d %llu", src, (unsigned long long)offset);
  wire_push(n, pc, (const unsigned char *)header, hlen, n->src[src] + offset, len);
  return 0;
}

static int n_sink_write(void *u, int sink, uint64_t size, uint64_t offset, const char *data, size_t len) {
  node *n = u;
  assert_true(sink > 0 && sink < 64);
  if (!n->sink[sink]) {
    n->sink[sink] = malloc(size ? size : 1);
    n->sink_size[sink] = size;
  }
  assert_int_equal(n->sink_size[sink], size);
  assert_int_equal(offset, n->sink_written[sink]); /* in order, no gaps, no overlap */
  assert_true(offset + len <= size);
  memcpy(n->sink[sink] + offset, data, len);
  n->sink_written[sink] += len;
  return 0;
}

static size_t n_max_message(void *u, int pc) {
  (void)u;
  (void)pc;
  return CHUNK + SKY_XF_DATA_HEADER;
}

/* Delivers frames in flight (and those their delivery causes) until none is
 * left, or at most max of them (0: all). */
static int deliver(int max) {
  int n = 0;
  while (wire_head && (!max || n < max)) {
    wire_frame *w = wire_head;
    wire_head = w->next;
    if (!wire_head) wire_tail = &wire_head;
    node *to = &N[w->to];
    sky_client_on_channel_message(to->f.client, to->pc_to[w->from], (const char *)w->data, w->len, false);
    free(w);
    n++;
  }
  return n;
}

static void wire_clear(void) {
  while (wire_head) {
    wire_frame *w = wire_head;
    wire_head = w->next;
    free(w);
  }
  wire_tail = &wire_head;
}

static sky_client_ops node_ops;

/* Every node in room1, each with an open channel to each other. */
static int setup_nodes(void **state) {
  memset(N, 0, sizeof N);
  wire_clear();
  data_frames = 0;
  later_every = chunk_asks = 0;
  node_ops = fake_ops;
  node_ops.dc_send_binary = n_dc_send_binary;
  node_ops.xfer_send_chunk = n_send_chunk;
  node_ops.xfer_sink_write = n_sink_write;
  node_ops.dc_max_message = n_max_message;
  const char *ids[NODES] = {SELF_A, SELF_B, SELF_C};
  for (int i = 0; i < NODES; i++) {
    node *n = &N[i];
    n->idx = i;
    n->self = ids[i];
    n->f.now = 1000;
    n->f.client = sky_client_new(&node_ops, n);
    sky_client *c = n->f.client;
    assert_int_equal(sky_client_init(c, "ws://127.0.0.1:1/signaling", "app", NULL), SKY_OK);
    sky_client_on_socket_open(c);
    sky_msg m = {0};
    m.type = SKY_MSG_WELCOME;
    m.u.welcome.version = 1;
    strcpy(m.u.welcome.peer_id, ids[i]);
    sky_limits_default(&m.u.welcome.limits);
    feed(c, &m);
    assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
    memset(&m, 0, sizeof m);
    m.type = SKY_MSG_JOINED;
    strcpy(m.u.joined.room, "room1");
    strcpy(m.u.joined.peer_id, ids[i]);
    feed(c, &m);
    for (int j = 0; j < NODES; j++) {
      if (j == i) continue;
      feed_peer(c, SKY_MSG_PEER_JOINED, ids[j], NULL);
      feed_sdp(c, SKY_MSG_OFFER, ids[j], "v=0 offer");
      int pc = sky_client_peer_handle(c, ids[j]);
      sky_client_on_remote_description_set(c, pc, true);
      sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
      sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
      n->pc_to[j] = pc;
    }
    clear_lines(&n->f);
  }
  *state = N;
  return 0;
}

static int teardown_nodes(void **state) {
  (void)state;
  wire_clear();
  for (int i = 0; i < NODES; i++) {
    node *n = &N[i];
    sky_client_free(n->f.client);
    clear_lines(&n->f);
    free(n->f.bin);
    for (int k = 0; k < 8; k++) free(n->src[k]);
    for (int k = 0; k < 64; k++) free(n->sink[k]);
  }
  return 0;
}

static unsigned char *pattern(size_t n, unsigned seed) {
  unsigned char *b = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(i * 131 + seed + (i >> 11));
  return b;
}

/* Registers len pattern bytes as source `src` of node n. */
static void add_source(node *n, int src, size_t len, unsigned seed) {
  free(n->src[src]);
  n->src[src] = pattern(len, seed);
  n->src_len[src] = len;
}

#define TID_A1 SELF_A "-1"
#define TID_A2 SELF_A "-2"

static bool has(node *n, const char *a, const char *b) { return find(&n->f, a, b) >= 0; }

/* The index of the line of state (dataTransferState) for peer, or -1. */
static int state_line(node *n, const char *state, const char *peer) {
  char want[128];
  snprintf(want, sizeof want, "emit dataTransferState [\"%s\",", state);
  return find(&n->f, want, peer);
}

/* ---- round trips ---------------------------------------------------------- */

static void roundtrip(size_t size) {
  node *a = &N[0], *b = &N[1];
  clear_lines(&a->f);
  clear_lines(&b->f);
  add_source(a, 1, size, (unsigned)size);
  int id = sky_client_send_data(a->f.client, 1, size, "f.bin", "application/octet-stream", 0, false,
                                "[\"" SELF_B "\"]");
  assert_true(id > 0);
  /* the sender's own request event, then userRequest */
  EXPECT(&a->f, "emit incomingDataRequest", ",\"" SELF_A "\",{\"name\":\"f.bin\"");
  assert_true(state_line(a, "userRequest", SELF_B) >= 0);
  deliver(0);
  char tid[80];
  snprintf(tid, sizeof tid, "%s-%d", SELF_A, id);
  assert_true(has(b, "emit incomingDataRequest", tid));
  assert_true(has(b, "\"isPrivate\":true", NULL));
  assert_true(has(b, "\"dataType\":\"blob\",\"chunkType\":\"arrayBuffer\"", NULL)); /* binary chunks, SkylinkJS's word */
  assert_true(state_line(b, "request", SELF_A) >= 0);
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, tid, true), SKY_OK);
  assert_true(state_line(b, "downloadStarted", SELF_A) >= 0);
  deliver(0);
  /* every state, in order, at both ends */
  int started = state_line(a, "uploadStarted", SELF_B), done = state_line(a, "uploadCompleted", SELF_B);
  if (!(started >= 0 && done > started)) {
    dump(&a->f);
    fail_msg("size %zu: uploadStarted then uploadCompleted", size);
  }
  int got = state_line(b, "downloadCompleted", SELF_A);
  assert_true(got >= 0);
  assert_true(find_from(&b->f, got, "emit incomingData [null,", "\"$sink\":") > got);
  assert_true(has(b, "\"percentage\":100", NULL));
  /* the bytes, exactly (the last byte included) */
  int sink = 0;
  for (int k = 1; k < 64; k++)
    if (b->sink[k] && b->sink_size[k] == size && b->sink_written[k] == size && size) sink = k;
  if (size) {
    assert_true(sink > 0);
    assert_memory_equal(b->sink[sink], a->src[1], size);
    free(b->sink[sink]);
    b->sink[sink] = NULL;
  }
  /* the sender's summary: its own incomingData, done without errors, the source released */
  EXPECT(&a->f, "emit incomingData [null,", "\"$src\":1");
  EXPECT(&a->f, "emit _xferDone [1,", ",null,");
  EXPECT(&a->f, "emit _xferRelease [1,false]", NULL);
  /* nothing left under way */
  char *list = sky_client_data_transfers(a->f.client);
  assert_string_equal(list, "{}");
  free(list);
  list = sky_client_data_transfers(b->f.client);
  assert_string_equal(list, "{}");
  free(list);
}

static void test_roundtrip_sizes(void **state) {
  (void)state;
  size_t sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 1, 3 * 1024 * 1024 + 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) roundtrip(sizes[i]);
}

/* ---- flow control --------------------------------------------------------- */

static void start_running(size_t size, const char *targets) {
  node *a = &N[0], *b = &N[1];
  add_source(a, 1, size, 7);
  assert_int_equal(sky_client_send_data(a->f.client, 1, size, "big", "", 0, false, targets), 1);
  deliver(0);
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, TID_A1, true), SKY_OK);
}

static void test_window_and_buffer(void **state) {
  (void)state;
  node *a = &N[0];
  start_running(4 * 1024 * 1024, "[\"" SELF_B "\"]");
  data_frames = 0;
  deliver(1); /* the accept only: no ack yet */
  /* at most the channel's share in flight (the fake's buffer never drains) */
  assert_int_equal(data_frames, (SKY_XF_HIGH_WATER + CHUNK + SKY_XF_DATA_HEADER - 1) / (CHUNK + SKY_XF_DATA_HEADER));
  /* and at most the window, however often the buffer drains */
  wire_clear();
  int total = data_frames, more;
  do {
    data_frames = 0;
    sky_client_on_channel_drain(a->f.client, a->pc_to[1]);
    total += more = data_frames;
  } while (more);
  assert_int_equal(total, (SKY_XF_WINDOW + CHUNK - 1) / CHUNK);
  /* a full channel buffer stops data; a chat line still goes at once */
  wire_clear();
  a->f.buffered = SKY_XF_HIGH_WATER;
  clear_lines(&a->f);
  sky_client_on_channel_drain(a->f.client, a->pc_to[1]);
  assert_int_equal(sky_client_send_p2p(a->f.client, "\"hi\"", NULL), SKY_OK);
  EXPECT(&a->f, "dc_send", "\"hi\"");
}

/* Chunks the API layer has not read yet (a browser Blob read by slices): the
 * pump leaves them for the drain call that says they are read, and the bytes
 * still arrive exactly, in order, each once. */
static void test_chunk_read_later(void **state) {
  (void)state;
  node *a = &N[0], *b = &N[1];
  size_t size = 3 * 1024 * 1024 + 5;
  later_every = 3;
  start_running(size, "[\"" SELF_B "\"]");
  int drains = 0;
  for (int round = 0; round < 10000 && state_line(a, "uploadCompleted", SELF_B) < 0; round++) {
    int before = data_frames;
    deliver(0);
    /* nothing more went by itself: only the "read" drain moves it on */
    if (data_frames == before) {
      sky_client_on_channel_drain(a->f.client, a->pc_to[1]);
      drains++;
    }
  }
  assert_true(state_line(a, "uploadCompleted", SELF_B) >= 0);
  assert_true(state_line(b, "downloadCompleted", SELF_A) >= 0);
  assert_true(drains > 0);
  assert_int_equal(data_frames, (size + CHUNK - 1) / CHUNK); /* each chunk sent once */
  int sink = 0;
  for (int k = 1; k < 64; k++)
    if (b->sink[k] && b->sink_written[k] == size) sink = k;
  assert_true(sink > 0);
  assert_memory_equal(b->sink[sink], a->src[1], size);
}

static void test_chat_goes_first(void **state) {
  (void)state;
  node *a = &N[0];
  start_running(4 * 1000 * 1000, "[\"" SELF_B "\"]");
  deliver(1); /* the accept: the channel's share of data goes */
  /* a chat line waiting on a full buffer holds data back too */
  a->f.buffered = SKY_DC_HIGH_WATER;
  assert_int_equal(sky_client_send_p2p(a->f.client, "\"line\"", "[\"" SELF_B "\"]"), SKY_OK);
  data_frames = 0;
  deliver(0); /* B's acknowledgements open the window */
  assert_int_equal(data_frames, 0);
  /* the buffer drains: the chat line first, then data */
  a->f.buffered = 0;
  clear_lines(&a->f);
  record_chunks = true;
  sky_client_on_channel_drain(a->f.client, a->pc_to[1]);
  record_chunks = false;
  int line = find(&a->f, "dc_send", "\"line\""), chunk = find(&a->f, "chunk 1", NULL);
  assert_true(line >= 0 && chunk > line);
  deliver(0);
  EXPECT(&a->f, "uploadCompleted", NULL);
}

/* ---- reject, cancel, timeout, leave --------------------------------------- */

static void test_reject(void **state) {
  (void)state;
  node *a = &N[0], *b = &N[1];
  add_source(a, 1, 5000, 1);
  assert_int_equal(sky_client_send_data(a->f.client, 1, 5000, "r", "", 0, false, NULL), 1);
  deliver(0);
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, TID_A1, false), SKY_OK);
  assert_true(state_line(b, "userRejected", SELF_A) >= 0);
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, TID_A1, true), SKY_E_ARG); /* gone */
  deliver(0);
  assert_true(state_line(a, "rejected", SELF_B) >= 0);
  /* C still has it: nothing summarised yet */
  assert_int_equal(count(&a->f, "emit _xferDone", NULL), 0);
  /* C accepts: the group transfer completes for C, the summary names B */
  node *c = &N[2];
  assert_int_equal(sky_client_respond_data(c->f.client, SELF_A, TID_A1, true), SKY_OK);
  deliver(0);
  assert_true(state_line(a, "uploadCompleted", SELF_C) >= 0);
  EXPECT(&a->f, "emit _xferDone [1,\"" TID_A1 "\",{\"" SELF_B "\":{\"state\":\"rejected\"", NULL);
  EXPECT(&a->f, "emit incomingData [null,", "\"$src\":1");
  EXPECT(&a->f, "emit _xferRelease [1,false]", NULL);
  EXPECT(&c->f, "downloadCompleted", NULL);
}

static void cancel_midway(bool by_sender) {
  node *a = &N[0], *b = &N[1];
  start_running(2000 * 1000, "[\"" SELF_B "\"]");
  deliver(30);
  assert_int_equal(sky_client_cancel_data(by_sender ? a->f.client : b->f.client, by_sender ? SELF_B : SELF_A, TID_A1),
                   SKY_OK);
  deliver(0);
  node *me = by_sender ? a : b, *other = by_sender ? b : a;
  assert_true(state_line(me, "cancel", NULL) >= 0);
  assert_true(state_line(other, "cancel", NULL) >= 0);
  EXPECT(&other->f, "\"code\":\"cancelled\"", NULL);
  EXPECT(&a->f, "emit _xferRelease [1,false]", NULL);
  EXPECT(&b->f, "emit _xferRelease [1,true]", NULL); /* the partial download's sink */
  assert_int_equal(count(&b->f, "downloadCompleted", NULL), 0);
  char *list = sky_client_data_transfers(b->f.client);
  assert_string_equal(list, "{}");
  free(list);
  assert_int_equal(sky_client_cancel_data(a->f.client, SELF_B, TID_A1), SKY_E_ARG);
}

static void test_cancel_by_sender(void **state) {
  (void)state;
  cancel_midway(true);
}

static void test_cancel_by_receiver(void **state) {
  (void)state;
  cancel_midway(false);
}

static void test_timeout(void **state) {
  (void)state;
  node *a = &N[0], *b = &N[1];
  add_source(a, 1, 50 * 1000, 3);
  assert_int_equal(sky_client_send_data(a->f.client, 1, 50 * 1000, "t", "", 2, false, "[\"" SELF_B "\"]"), 1);
  deliver(0);
  assert_true(has(b, "\"timeout\":2", NULL));
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, TID_A1, true), SKY_OK);
  /* the receiver's accept is lost: the sender hears nothing */
  wire_clear();
  for (int i = 0; i < NODES; i++) sky_client_on_timer(N[i].f.client);
  a->f.now += 2100;
  b->f.now += 2100;
  sky_client_on_timer(a->f.client);
  sky_client_on_timer(b->f.client);
  assert_true(state_line(a, "error", SELF_B) >= 0);
  EXPECT(&a->f, "\"code\":\"timeout\"", NULL);
  assert_true(state_line(b, "error", SELF_A) >= 0);
  EXPECT(&b->f, "\"code\":\"timeout\"", NULL);
  EXPECT(&a->f, "emit _xferDone", "\"state\":\"error\",\"code\":\"timeout\"");
}

/* A's upload to B under way, then B gone by `lose` (with the frames in flight):
 * A ends the transfer with peer_left before it says peerLeft. */
static void receiver_lost(void (*lose)(node *a)) {
  node *a = &N[0];
  start_running(300 * 1000, "[\"" SELF_B "\"]");
  deliver(20);
  wire_clear();
  clear_lines(&a->f);
  lose(a);
  int err = state_line(a, "error", SELF_B), left = find(&a->f, "emit peerLeft", SELF_B);
  assert_true(err >= 0 && left > err);
  EXPECT(&a->f, "\"code\":\"peer_left\"", NULL);
  EXPECT(&a->f, "emit _xferRelease [1,false]", NULL);
  char *list = sky_client_data_transfers(a->f.client);
  assert_string_equal(list, "{}");
  free(list);
  wire_clear();
}

static void server_says_left(node *a) { feed_peer_left(a->f.client, SELF_B); }

/* A frozen or vanished browser: silence, and liveness reports it left. */
static void goes_silent(node *a) {
  a->drop_out = true; /* nothing A sends arrives either */
  advance(&a->f, SKY_PEER_SILENCE_MS + 1000);
}

static void test_receiver_leaves(void **state) {
  (void)state;
  receiver_lost(server_says_left);
}

static void test_receiver_silent(void **state) {
  (void)state;
  receiver_lost(goes_silent);
}

static void test_channel_replaced(void **state) {
  (void)state;
  node *b = &N[1];
  start_running(300 * 1000, "[\"" SELF_B "\"]");
  deliver(20);
  wire_clear();
  clear_lines(&b->f);
  /* refreshConnection without an ICE restart: a fresh connection */
  assert_int_equal(sky_client_refresh(b->f.client, "[\"" SELF_A "\"]", false), SKY_OK);
  EXPECT(&b->f, "\"code\":\"channel_replaced\"", NULL);
  EXPECT(&b->f, "emit _xferRelease", ",true]");
}

static void test_three_at_once_and_list(void **state) {
  (void)state;
  node *a = &N[0], *b = &N[1];
  for (int s = 1; s <= 3; s++) {
    add_source(a, s, 40000 + (size_t)s, (unsigned)s);
    assert_int_equal(sky_client_send_data(a->f.client, s, 40000 + (uint64_t)s, "m", "text/plain", 0, false,
                                          "[\"" SELF_B "\"]"), s);
  }
  deliver(0);
  char *list = sky_client_data_transfers(b->f.client);
  assert_non_null(strstr(list, "\"" SELF_A "-3\":{\"transferInfo\":{\"name\":\"m\",\"size\":40003"));
  assert_non_null(strstr(list, "\"isSelf\":false,\"peerId\":\"" SELF_A "\""));
  free(list);
  for (int s = 1; s <= 3; s++) {
    char tid[80];
    snprintf(tid, sizeof tid, "%s-%d", SELF_A, s);
    assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, tid, true), SKY_OK);
  }
  /* interleaved: after a few frames, every transfer has sent data */
  data_frames = 0;
  deliver(0);
  assert_int_equal(count(&a->f, "uploadCompleted", NULL), 3);
  assert_int_equal(count(&b->f, "downloadCompleted", NULL), 3);
  for (int k = 1; k < 64; k++) {
    if (!b->sink[k]) continue;
    int s = (int)(b->sink_size[k] - 40000);
    assert_true(s >= 1 && s <= 3);
    assert_memory_equal(b->sink[k], a->src[s], b->sink_size[k]);
  }
}

/* ---- a hostile sender ------------------------------------------------------ */

/* Feeds B a raw frame from A. */
static void raw(const unsigned char *frame, size_t len) {
  sky_client_on_channel_message(N[1].f.client, N[1].pc_to[0], (const char *)frame, len, false);
}

static size_t offer_frame(unsigned char *out, uint32_t id, uint64_t size, uint32_t chunk) {
  sky_xf_frame f = {.op = SKY_XF_OFFER, .id = id, .size = size, .chunk = chunk, .timeout_s = 5, .name = "x",
                    .name_len = 1};
  return sky_xf_encode(&f, out, SKY_XF_CONTROL_MAX);
}

static size_t data_frame(unsigned char *out, uint32_t id, uint64_t offset, size_t len) {
  sky_xf_frame f = {.op = SKY_XF_DATA, .id = id, .offset = offset};
  size_t n = sky_xf_encode(&f, out, SKY_XF_DATA_HEADER);
  memset(out + n, 0x5a, len);
  return n + len;
}

static void test_hostile_sender(void **state) {
  (void)state;
  node *b = &N[1];
  static unsigned char frame[SKY_XF_FRAME_MAX + 64];
  /* data for a transfer never offered: dropped, nothing said, nothing kept */
  raw(frame, data_frame(frame, 9, 0, 10));
  assert_int_equal(count(&b->f, "dataTransferState", NULL), 0);
  /* malformed frames: dropped */
  unsigned char junk[] = {SKY_XF_KIND, 99, 1, 0, 0, 0};
  raw(junk, sizeof junk);
  raw(frame, offer_frame(frame, 1, 10, 0)); /* chunk 0 */
  assert_int_equal(count(&b->f, "incomingDataRequest", NULL), 0);
  /* data before the user accepted: an error, the peer told */
  raw(frame, offer_frame(frame, 1, 100, 50));
  raw(frame, data_frame(frame, 1, 0, 10));
  EXPECT(&b->f, "\"code\":\"protocol\"", "before the transfer was accepted");
  /* a chunk larger than announced */
  clear_lines(&b->f);
  raw(frame, offer_frame(frame, 2, 100, 50));
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, TID_A2, true), SKY_OK);
  raw(frame, data_frame(frame, 2, 0, 51));
  EXPECT(&b->f, "\"code\":\"protocol\"", "a chunk larger than announced");
  /* data past the announced size (a lying size) */
  clear_lines(&b->f);
  raw(frame, offer_frame(frame, 3, 60, 50));
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, SELF_A "-3", true), SKY_OK);
  raw(frame, data_frame(frame, 3, 0, 50));
  raw(frame, data_frame(frame, 3, 50, 11));
  EXPECT(&b->f, "\"code\":\"protocol\"", "data past the announced size");
  EXPECT(&b->f, "emit _xferRelease", ",true]");
  /* out of order */
  clear_lines(&b->f);
  raw(frame, offer_frame(frame, 4, 100, 50));
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, SELF_A "-4", true), SKY_OK);
  raw(frame, data_frame(frame, 4, 50, 50));
  EXPECT(&b->f, "\"code\":\"protocol\"", "data out of order");
  /* a flood of requests: at most SKY_XF_FROM_PEER_MAX kept, the rest refused as busy */
  clear_lines(&b->f);
  for (uint32_t id = 100; id < 100 + 3 * SKY_XF_FROM_PEER_MAX; id++) raw(frame, offer_frame(frame, id, SKY_XF_SIZE_MAX, 1));
  assert_int_equal(count(&b->f, "emit incomingDataRequest", NULL), SKY_XF_FROM_PEER_MAX);
  assert_int_equal(count(&b->f, "dc_send_binary", NULL), 2 * SKY_XF_FROM_PEER_MAX); /* the busy answers */
  /* a repeated offer id is ignored */
  clear_lines(&b->f);
  raw(frame, offer_frame(frame, 100, 5, 1));
  assert_int_equal(count(&b->f, "incomingDataRequest", NULL), 0);
  /* API misuse */
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, "nonsense", true), SKY_E_ARG);
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_A, SELF_A "-99999", true), SKY_E_ARG);
  assert_int_equal(sky_client_respond_data(b->f.client, SELF_C, SELF_A "-100", true), SKY_E_ARG);
  assert_int_equal(sky_client_cancel_data(b->f.client, SELF_A, SELF_A "-"), SKY_E_ARG);
}

static void test_send_errors(void **state) {
  (void)state;
  node *a = &N[0];
  add_source(a, 1, 10, 1);
  assert_int_equal(sky_client_send_data(a->f.client, 1, SKY_XF_SIZE_MAX + 1, "", "", 0, false, NULL), SKY_E_TOO_LARGE);
  assert_int_equal(sky_client_send_data(a->f.client, 1, 10, "", "", 0, false, "[\"" PEER_D "\"]"), SKY_E_UNKNOWN_PEER);
  assert_int_equal(sky_client_send_data(a->f.client, 1, 10, "", "", 0, false, "[]"), SKY_E_ARG);
  assert_int_equal(sky_client_send_data(a->f.client, 0, 10, "", "", 0, false, NULL), SKY_E_ARG);
  /* a peer whose channel is closed: startError, and the summary at once */
  sky_client_on_pc_state(a->f.client, a->pc_to[1], SKY_PCS_CHANNEL, "closed");
  clear_lines(&a->f);
  assert_int_equal(sky_client_send_data(a->f.client, 1, 10, "n", "", 0, false, "[\"" SELF_B "\"]"), 1);
  assert_true(state_line(a, "startError", SELF_B) >= 0);
  EXPECT(&a->f, "emit _xferDone [1,", "\"state\":\"startError\"");
  EXPECT(&a->f, "emit _xferRelease [1,false]", NULL);
}

int main(void) {
#define U(name) cmocka_unit_test_setup_teardown(name, setup_nodes, teardown_nodes)
  const struct CMUnitTest tests[] = {
    U(test_roundtrip_sizes),   U(test_window_and_buffer), U(test_chunk_read_later), U(test_chat_goes_first),
    U(test_reject),            U(test_cancel_by_sender),  U(test_cancel_by_receiver),
    U(test_timeout),           U(test_receiver_leaves),   U(test_receiver_silent),  U(test_channel_replaced),
    U(test_three_at_once_and_list), U(test_hostile_sender), U(test_send_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
