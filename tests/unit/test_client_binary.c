/* Binary chat through the client core (sendP2PMessage with bytes): frames on
 * the wire, the echo, the bytes announced as {"$binary": id} and taken during
 * the event, privacy, duplicates, acks, and resending on a fresh connection. */
#include "client_fake.h"

/* Message sizes by whole frames: two full slices and 100 bytes (3 frames), one
 * full slice and 100 bytes (2 frames). The string form is for expected events. */
#define TWO_AND_A_BIT 131144
#define TWO_AND_A_BIT_S "131144"
#define ONE_AND_A_BIT 65622
_Static_assert(TWO_AND_A_BIT == 2 * SKY_DC_BIN_SLICE_MAX + 100, "frame size changed");
_Static_assert(ONE_AND_A_BIT == SKY_DC_BIN_SLICE_MAX + 100, "frame size changed");

/* What the incomingMessage listener took: the bytes of each binary chat. */
static struct taken {
  char *data[64];
  size_t len[64];
  bool self[64];
  int n;
} T;

static void bin_emit(void *u, const char *name, const char *args) {
  f_emit(u, name, args);
  const char *at = strstr(args, "{\"$binary\":");
  if (strcmp(name, "incomingMessage") != 0 || !at || !strstr(args, "\"isBinary\":true")) return;
  unsigned long id = strtoul(at + 11, NULL, 10);
  size_t len = 0;
  char *data = sky_client_take_binary(((fake *)u)->client, (uint32_t)id, &len);
  assert_non_null(data);
  assert_null(sky_client_take_binary(((fake *)u)->client, (uint32_t)id, &len)); /* once */
  assert_true(T.n < 64);
  T.data[T.n] = data;
  T.len[T.n] = len;
  T.self[T.n++] = args[strlen(args) - 5] == 't'; /* ...,true] */
}

static int setup_bin(void **state) {
  fake *f = calloc(1, sizeof *f);
  static sky_client_ops ops;
  ops = fake_ops;
  ops.emit = bin_emit;
  f->client = sky_client_new(&ops, f);
  assert_non_null(f->client);
  f->now = 1000;
  memset(&T, 0, sizeof T);
  *state = f;
  return 0;
}

static int teardown_bin(void **state) {
  for (int i = 0; i < T.n; i++) free(T.data[i]);
  return teardown(state);
}

static unsigned char *pattern(size_t n, unsigned seed) {
  unsigned char *b = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(i * 31 + seed + (i >> 9));
  return b;
}

static int connected(fake *f, const char *id) {
  in_room(f, 0, NULL);
  int pc = connect_answering(f, id);
  clear_lines(f);
  return pc;
}

/* Decodes the binary frames the fake sent since `from` (an offset in f->bin):
 * the binary chats in them, checked against want. Returns how many. */
static int decode_sent(fake *f, size_t from, const unsigned char *want, size_t want_len, uint32_t seq, bool priv) {
  sky_dc_reasm r = {0};
  sky_dc_chat chat;
  int got = 0;
  for (size_t off = from; off < f->bin_len;) {
    size_t len;
    memcpy(&len, f->bin + off, sizeof len);
    off += sizeof len;
    if (sky_dc_receive_binary(&r, (const unsigned char *)f->bin + off, len, &chat) == SKY_DC_BINARY) {
      got++;
      assert_int_equal(chat.len, want_len);
      if (want_len) assert_memory_equal(chat.content, want, want_len);
      assert_int_equal(chat.seq, seq);
      assert_int_equal(chat.is_private, priv);
      sky_dc_chat_clear(&chat);
    }
    off += len;
  }
  sky_dc_reasm_clear(&r);
  return got;
}

static void test_send_frames_and_echo(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  connected(f, PEER_B);
  unsigned char *data = pattern(TWO_AND_A_BIT, 1);
  assert_int_equal(sky_client_send_p2p_binary(c, data, TWO_AND_A_BIT, NULL), SKY_OK);
  assert_int_equal(f->bin_frames, 3); /* two full slices and a bit */
  assert_int_equal(count(f, "dc_send ", NULL), 0);
  assert_int_equal(decode_sent(f, 0, data, TWO_AND_A_BIT, 1, false), 1);
  /* the echo: isSelf, isBinary, the bytes taken during the event */
  EXPECT(f, "emit incomingMessage", "{\"content\":{\"$binary\":1,\"size\":" TWO_AND_A_BIT_S "},\"senderPeerId\":\"" SELF
         "\",\"targetPeerId\":null,\"isPrivate\":false,\"isDataChannel\":true,\"isBinary\":true}");
  assert_int_equal(T.n, 1);
  assert_true(T.self[0]);
  assert_int_equal(T.len[0], TWO_AND_A_BIT);
  assert_memory_equal(T.data[0], data, TWO_AND_A_BIT);
  /* private, empty */
  size_t mark = f->bin_len;
  assert_int_equal(sky_client_send_p2p_binary(c, NULL, 0, "[\"" PEER_B "\"]"), SKY_OK);
  assert_int_equal(f->bin_frames, 4);
  assert_int_equal(decode_sent(f, mark, NULL, 0, 2, true), 1);
  EXPECT(f, "emit incomingMessage", "{\"content\":{\"$binary\":2,\"size\":0},\"senderPeerId\":\"" SELF
         "\",\"targetPeerId\":\"" PEER_B "\",\"isPrivate\":true");
  assert_int_equal(T.n, 2);
  assert_int_equal(T.len[1], 0);
  /* text messages say isBinary false */
  assert_int_equal(sky_client_send_p2p(c, "\"text\"", NULL), SKY_OK);
  EXPECT(f, "emit incomingMessage", "\"content\":\"text\"");
  EXPECT(f, "\"isDataChannel\":true,\"isBinary\":false}", NULL);
  free(data);
}

static void test_limits_and_state(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  unsigned char *data = pattern(SKY_DC_MESSAGE_MAX + 1, 2);
  assert_int_equal(sky_client_send_p2p_binary(c, data, 4, NULL), SKY_E_STATE); /* not in a room */
  connected(f, PEER_B);
  assert_int_equal(sky_client_send_p2p_binary(c, data, SKY_DC_MESSAGE_MAX + 1, NULL), SKY_E_TOO_LARGE);
  assert_int_equal(count(f, "emit incomingMessage", NULL), 0); /* no echo of what was refused */
  assert_int_equal(f->bin_frames, 0);
  assert_int_equal(sky_client_send_p2p_binary(c, data, SKY_DC_MESSAGE_MAX, NULL), SKY_OK);
  assert_int_equal(f->bin_frames, (SKY_DC_MESSAGE_MAX + SKY_DC_BIN_SLICE_MAX - 1) / SKY_DC_BIN_SLICE_MAX);
  assert_int_equal(decode_sent(f, 0, data, SKY_DC_MESSAGE_MAX, 1, false), 1);
  assert_int_equal(sky_client_send_p2p_binary(c, data, 4, "[\"" PEER_C "\"]"), SKY_E_UNKNOWN_PEER);
  assert_int_equal(sky_client_send_p2p_binary(c, data, 4, "[]"), SKY_E_ARG);
  assert_int_equal(sky_client_send_p2p_binary(c, NULL, 4, NULL), SKY_E_ARG);
  /* an announced binary that nobody takes is freed when the call returns */
  assert_null(sky_client_take_binary(c, 1, NULL));
  free(data);
}

/* Feeds the frames of a binary chat from the peer, as its channel delivers them. */
static void feed_binary(sky_client *c, int pc, const unsigned char *data, size_t len, bool priv, uint32_t seq) {
  /* built by hand (not by the encoder under test) */
  struct { unsigned char *f[32]; size_t len[32]; int n; } fr = {{0}, {0}, 0};
  for (size_t off = 0, k = 0; k == 0 || off < len; k++) {
    size_t n = len - off < SKY_DC_BIN_SLICE_MAX ? len - off : SKY_DC_BIN_SLICE_MAX;
    unsigned char *frame = malloc(SKY_DC_BIN_HEADER + n);
    frame[0] = SKY_DC_BIN_CHAT;
    for (int b = 0; b < 4; b++) {
      frame[1 + b] = (unsigned char)(seq >> (8 * b));
      frame[5 + b] = (unsigned char)(len >> (8 * b));
      frame[9 + b] = (unsigned char)(off >> (8 * b));
    }
    frame[13] = priv ? SKY_DC_BIN_PRIVATE : 0;
    if (n) memcpy(frame + SKY_DC_BIN_HEADER, data + off, n);
    fr.f[fr.n] = frame;
    fr.len[fr.n++] = SKY_DC_BIN_HEADER + n;
    off += n;
  }
  for (int i = 0; i < fr.n; i++) {
    sky_client_on_channel_message(c, pc, (const char *)fr.f[i], fr.len[i], false);
    free(fr.f[i]);
  }
}

static void test_receive_private_duplicates_and_acks(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_B);
  unsigned char *data = pattern(20000, 3);
  feed_binary(c, pc, data, 20000, true, 1);
  EXPECT(f, "emit incomingMessage", "\"size\":20000},\"senderPeerId\":\"" PEER_B "\",\"targetPeerId\":\"" SELF
         "\",\"isPrivate\":true,\"isDataChannel\":true,\"isBinary\":true}");
  assert_int_equal(T.n, 1);
  assert_false(T.self[0]);
  assert_int_equal(T.len[0], 20000);
  assert_memory_equal(T.data[0], data, 20000);
  /* sent again (a fresh connection on B's side): delivered once */
  feed_binary(c, pc, data, 20000, true, 1);
  assert_int_equal(count(f, "emit incomingMessage", NULL), 1);
  /* text and binary share the sequence: a text chat 2, then binary 3, in order */
  const char *chat = "{\"t\":\"chat\",\"content\":\"two\",\"private\":false,\"s\":2}";
  sky_client_on_channel_message(c, pc, chat, strlen(chat), true);
  feed_binary(c, pc, data, 5, false, 3);
  int two = find(f, "emit incomingMessage", "\"two\"");
  int three = find(f, "emit incomingMessage", "\"size\":5}");
  assert_true(two >= 0 && three > two);
  assert_int_equal(T.n, 2);
  assert_memory_equal(T.data[1], data, 5);
  advance(f, SKY_LIVENESS_TICK_MS);
  char want[48];
  snprintf(want, sizeof want, "dc_send %d {\"t\":\"ack\",\"a\":3}", pc);
  EXPECT(f, want, NULL);
  free(data);
}

static void test_unacked_binary_resent_on_fresh_connection(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_B);
  unsigned char *data = pattern(ONE_AND_A_BIT, 4);
  assert_int_equal(sky_client_send_p2p(c, "\"one\"", NULL), SKY_OK);        /* s 1 */
  assert_int_equal(sky_client_send_p2p_binary(c, data, ONE_AND_A_BIT, NULL), SKY_OK); /* s 2: 2 frames */
  assert_int_equal(sky_client_send_p2p(c, "\"three\"", NULL), SKY_OK);      /* s 3 */
  assert_int_equal(f->bin_frames, 2);
  /* B acknowledges the first only; then starts over on a fresh connection */
  sky_client_on_channel_message(c, pc, "{\"t\":\"ack\",\"a\":1}", 17, true);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed");
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 fresh");
  int pc2 = sky_client_peer_handle(c, PEER_B);
  clear_lines(f);
  size_t mark = f->bin_len;
  sky_client_on_pc_state(c, pc2, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "dc_send ", "\"one\""), 0);
  assert_int_equal(count(f, "dc_send ", "\"three\""), 1);
  assert_int_equal(count(f, "dc_send_binary", NULL), 2);
  assert_true(find(f, "dc_send_binary", NULL) < find(f, "dc_send ", "\"three\"")); /* in order */
  assert_int_equal(decode_sent(f, mark, data, ONE_AND_A_BIT, 2, false), 1);
  /* acknowledged now: nothing more on the next fresh connection */
  sky_client_on_channel_message(c, pc2, "{\"t\":\"ack\",\"a\":3}", 17, true);
  sky_client_on_pc_state(c, pc2, SKY_PCS_CHANNEL, "closed");
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 fresher");
  int pc3 = sky_client_peer_handle(c, PEER_B);
  clear_lines(f);
  sky_client_on_pc_state(c, pc3, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "dc_send_binary", NULL), 0);
  assert_int_equal(count(f, "dc_send ", "\"t\":\"chat\""), 0);
  free(data);
}

/* Without a binary send op, binary chats are refused, never half sent. */
static void test_no_binary_op(void **state) {
  fake *f = *state;
  sky_client_free(f->client);
  static sky_client_ops ops;
  ops = fake_ops;
  ops.emit = bin_emit;
  ops.dc_send_binary = NULL;
  f->client = sky_client_new(&ops, f);
  connected(f, PEER_B);
  unsigned char b[3] = {1, 2, 3};
  assert_int_equal(sky_client_send_p2p_binary(f->client, b, 3, NULL), SKY_E_TOO_LARGE);
  assert_int_equal(count(f, "dc_send", NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define U(name) cmocka_unit_test_setup_teardown(name, setup_bin, teardown_bin)
    U(test_send_frames_and_echo),
    U(test_limits_and_state),
    U(test_receive_private_duplicates_and_acks),
    U(test_unacked_binary_resent_on_fresh_connection),
    U(test_no_binary_op),
#undef U
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
