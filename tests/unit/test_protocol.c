/* Protocol codec: round trips of every message type, encoder refusals, deep copy
 * and clear, names and small helpers. Decoder validation rules live in
 * test_protocol_decode.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

#define PA "0123456789abcdef0123456789abcdef"
#define PB "fedcba9876543210fedcba9876543210"
#define PC "00000000000000000000000000000001"

/* Owner: the message the result is stored in. */
static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  assert_non_null(copy);
  memcpy(copy, s, n);
  return copy;
}

/* A representative valid message of each type; variant picks the alternative
 * shape of types that have one (empty optionals, relayed "from" side). */
static void sample(sky_msg_type type, int variant, sky_msg *m) {
  memset(m, 0, sizeof *m);
  m->type = type;
  if (variant == 0) strcpy(m->ref, "r-1");
  switch (type) {
    case SKY_MSG_HELLO:
      m->u.hello.version = SKY_PROTOCOL_VERSION;
      strcpy(m->u.hello.app_key, variant ? "Your API key" : "k");
      if (variant) strcpy(m->u.hello.resume, "0123abcd.1767225600.cm9vbQ.c2ln-_");
      if (variant) m->u.hello.user_data = dup_text("{\"name\":\"Ann\"}");
      if (variant) {
        strcpy(m->u.hello.room, "lobby");
        strcpy(m->u.hello.cred_start, "2026-11-29T21:00:00.000Z");
        strcpy(m->u.hello.cred_duration, "0.5");
        strcpy(m->u.hello.credentials, "abc%2Bdef%3D");
      }
      break;
    case SKY_MSG_WELCOME:
      m->u.welcome.version = 1;
      strcpy(m->u.welcome.peer_id, PA);
      sky_limits_default(&m->u.welcome.limits);
      m->u.welcome.limits.max_frame_bytes = variant ? UINT32_MAX : 1;
      m->u.welcome.resumed = variant;
      if (variant) m->u.welcome.ice_servers = dup_text("[{\"urls\":\"turn:h:3478?transport=udp\",\"username\":\"1:a\",\"credential\":\"x\"}]");
      break;
    case SKY_MSG_JOIN:
      strcpy(m->u.join.room, variant ? "a" : "Lobby 1_.:@-x");
      m->u.join.user_data = dup_text(variant ? "{}" : "{\"name\":\"Ann\",\"n\":[1,2.5,null,true]}");
      break;
    case SKY_MSG_UPDATE: m->u.update.user_data = dup_text(variant ? "\"just a string\"" : "42"); break;
    case SKY_MSG_LOCK: m->u.lock.locked = variant == 0; break;
    case SKY_MSG_OFFER:
    case SKY_MSG_ANSWER:
      strcpy(variant ? m->u.sdp.from : m->u.sdp.to, PB);
      m->u.sdp.sdp = dup_text("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n");
      break;
    case SKY_MSG_CANDIDATE:
      strcpy(variant ? m->u.candidate.from : m->u.candidate.to, PB);
      m->u.candidate.candidate = dup_text(variant ? "" : "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host");
      strcpy(m->u.candidate.sdp_mid, variant ? "" : "0");
      m->u.candidate.sdp_mline_index = variant ? -1 : 65535;
      break;
    case SKY_MSG_MESSAGE:
      if (variant) strcpy(m->u.message.to, PA);
      if (variant) strcpy(m->u.message.from, PB);
      m->u.message.content = dup_text(variant ? "null" : "{\"text\":\"h\xc3\xa9llo \\\"w\\\"\\n\\u0001\",\"x\":[]}");
      break;
    case SKY_MSG_JOINED:
      strcpy(m->u.joined.room, "room");
      strcpy(m->u.joined.peer_id, PA);
      m->u.joined.locked = variant;
      if (variant) break; /* nobody else there */
      m->u.joined.peer_count = 2;
      m->u.joined.peers = calloc(2, sizeof(sky_peer_entry));
      assert_non_null(m->u.joined.peers);
      strcpy(m->u.joined.peers[0].peer_id, PB);
      m->u.joined.peers[0].user_data = dup_text("{}");
      strcpy(m->u.joined.peers[1].peer_id, PC);
      m->u.joined.peers[1].user_data = dup_text("{\"a\":{\"b\":[\"\xc3\xa9\xf0\x9f\x98\x80\"]}}");
      break;
    case SKY_MSG_LEFT: strcpy(m->u.left.room, "room"); break;
    case SKY_MSG_PEER_JOINED:
    case SKY_MSG_PEER_UPDATED:
      strcpy(m->u.peer.peer_id, PB);
      m->u.peer.user_data = dup_text(variant ? "[1,\"two\"]" : "{\"k\":-3}");
      break;
    case SKY_MSG_PEER_LEFT:
      strcpy(m->u.peer_left.peer_id, PB);
      m->u.peer_left.reason = variant ? SKY_LEAVE_SHUTDOWN : SKY_LEAVE_TIMEOUT;
      break;
    case SKY_MSG_ROOM_LOCK:
      m->u.room_lock.locked = !variant;
      strcpy(m->u.room_lock.peer_id, PC);
      break;
    case SKY_MSG_ERROR:
      m->u.error.code = variant ? SKY_ERR_INTERNAL : SKY_ERR_ROOM_FULL;
      strcpy(m->u.error.text, variant ? "" : "room is full (64 peers)");
      m->u.error.fatal = variant;
      break;
    case SKY_MSG_BYE: m->u.bye.reason = variant ? SKY_LEAVE_KICKED : SKY_LEAVE_SHUTDOWN; break;
    case SKY_MSG_ICE_SERVERS: m->u.ice_servers.ice_servers = dup_text(variant ? "[]" : "[{\"urls\":[\"stun:h\"]}]"); break;
    case SKY_MSG_TOKEN:
      strcpy(m->u.token.token, variant ? "t" : "0123abcd.1767225600.cm9vbQ.c2ln-_");
      m->u.token.expires = variant ? UINT32_MAX : 0;
      break;
    default: break; /* leave, ping, pong: no fields */
  }
}

static void assert_text_equal(const char *a, const char *b) {
  if (a == NULL || b == NULL) {
    assert_ptr_equal(a, b);
    return;
  }
  assert_string_equal(a, b);
}

static void assert_peers_equal(const sky_msg *a, const sky_msg *b) {
  assert_int_equal(a->u.joined.peer_count, b->u.joined.peer_count);
  for (size_t i = 0; i < a->u.joined.peer_count; i++) {
    assert_string_equal(a->u.joined.peers[i].peer_id, b->u.joined.peers[i].peer_id);
    assert_text_equal(a->u.joined.peers[i].user_data, b->u.joined.peers[i].user_data);
  }
}

static void assert_msg_equal(const sky_msg *a, const sky_msg *b) {
  assert_int_equal(a->type, b->type);
  assert_string_equal(a->ref, b->ref);
  switch (a->type) {
    case SKY_MSG_HELLO:
      assert_int_equal(a->u.hello.version, b->u.hello.version);
      assert_string_equal(a->u.hello.app_key, b->u.hello.app_key);
      assert_string_equal(a->u.hello.resume, b->u.hello.resume);
      assert_text_equal(a->u.hello.user_data, b->u.hello.user_data);
      assert_string_equal(a->u.hello.room, b->u.hello.room);
      assert_string_equal(a->u.hello.cred_start, b->u.hello.cred_start);
      assert_string_equal(a->u.hello.cred_duration, b->u.hello.cred_duration);
      assert_string_equal(a->u.hello.credentials, b->u.hello.credentials);
      break;
    case SKY_MSG_WELCOME:
      assert_int_equal(a->u.welcome.version, b->u.welcome.version);
      assert_string_equal(a->u.welcome.peer_id, b->u.welcome.peer_id);
      assert_memory_equal(&a->u.welcome.limits, &b->u.welcome.limits, sizeof(sky_limits));
      assert_int_equal(a->u.welcome.resumed, b->u.welcome.resumed);
      assert_text_equal(a->u.welcome.ice_servers, b->u.welcome.ice_servers);
      break;
    case SKY_MSG_JOIN:
      assert_string_equal(a->u.join.room, b->u.join.room);
      assert_text_equal(a->u.join.user_data, b->u.join.user_data);
      break;
    case SKY_MSG_UPDATE: assert_text_equal(a->u.update.user_data, b->u.update.user_data); break;
    case SKY_MSG_LOCK: assert_int_equal(a->u.lock.locked, b->u.lock.locked); break;
    case SKY_MSG_OFFER:
    case SKY_MSG_ANSWER:
      assert_string_equal(a->u.sdp.to, b->u.sdp.to);
      assert_string_equal(a->u.sdp.from, b->u.sdp.from);
      assert_text_equal(a->u.sdp.sdp, b->u.sdp.sdp);
      break;
    case SKY_MSG_CANDIDATE:
      assert_string_equal(a->u.candidate.to, b->u.candidate.to);
      assert_string_equal(a->u.candidate.from, b->u.candidate.from);
      assert_text_equal(a->u.candidate.candidate, b->u.candidate.candidate);
      assert_string_equal(a->u.candidate.sdp_mid, b->u.candidate.sdp_mid);
      assert_int_equal(a->u.candidate.sdp_mline_index, b->u.candidate.sdp_mline_index);
      break;
    case SKY_MSG_MESSAGE:
      assert_string_equal(a->u.message.to, b->u.message.to);
      assert_string_equal(a->u.message.from, b->u.message.from);
      assert_text_equal(a->u.message.content, b->u.message.content);
      break;
    case SKY_MSG_JOINED:
      assert_string_equal(a->u.joined.room, b->u.joined.room);
      assert_string_equal(a->u.joined.peer_id, b->u.joined.peer_id);
      assert_int_equal(a->u.joined.locked, b->u.joined.locked);
      assert_peers_equal(a, b);
      break;
    case SKY_MSG_LEFT: assert_string_equal(a->u.left.room, b->u.left.room); break;
    case SKY_MSG_PEER_JOINED:
    case SKY_MSG_PEER_UPDATED:
      assert_string_equal(a->u.peer.peer_id, b->u.peer.peer_id);
      assert_text_equal(a->u.peer.user_data, b->u.peer.user_data);
      break;
    case SKY_MSG_PEER_LEFT:
      assert_string_equal(a->u.peer_left.peer_id, b->u.peer_left.peer_id);
      assert_int_equal(a->u.peer_left.reason, b->u.peer_left.reason);
      break;
    case SKY_MSG_ROOM_LOCK:
      assert_int_equal(a->u.room_lock.locked, b->u.room_lock.locked);
      assert_string_equal(a->u.room_lock.peer_id, b->u.room_lock.peer_id);
      break;
    case SKY_MSG_ERROR:
      assert_int_equal(a->u.error.code, b->u.error.code);
      assert_string_equal(a->u.error.text, b->u.error.text);
      assert_int_equal(a->u.error.fatal, b->u.error.fatal);
      break;
    case SKY_MSG_BYE: assert_int_equal(a->u.bye.reason, b->u.bye.reason); break;
    case SKY_MSG_ICE_SERVERS: assert_text_equal(a->u.ice_servers.ice_servers, b->u.ice_servers.ice_servers); break;
    case SKY_MSG_TOKEN:
      assert_string_equal(a->u.token.token, b->u.token.token);
      assert_int_equal(a->u.token.expires, b->u.token.expires);
      break;
    default: break;
  }
}

/* Decodes text (with generous limits) and expects success. */
static void decode_ok(const char *text, sky_msg *out) {
  sky_limits limits;
  sky_limits_default(&limits);
  limits.max_frame_bytes = UINT32_MAX;
  sky_decode_error err;
  bool ok = sky_msg_decode(text, strlen(text), &limits, out, &err);
  if (!ok) print_error("decode failed: %s (%s) on %s\n", sky_error_code_name(err.code), err.detail, text);
  assert_true(ok);
}

/* decode(encode(m)) == m, and encoding is stable: encode(decode(encode(m))) == encode(m). */
static void check_round_trip(const sky_msg *m) {
  char *text = sky_msg_encode(m);
  if (text == NULL) print_error("encode refused type %s\n", sky_msg_type_name(m->type));
  assert_non_null(text);
  sky_msg back;
  decode_ok(text, &back);
  assert_msg_equal(m, &back);
  char *again = sky_msg_encode(&back);
  assert_non_null(again);
  assert_string_equal(text, again);
  free(again);
  free(text);
  sky_msg_clear(&back);
}

static void test_round_trip_every_type(void **state) {
  (void)state;
  for (int t = SKY_MSG_INVALID + 1; t < SKY_MSG_TYPE_COUNT; t++) {
    for (int variant = 0; variant < 2; variant++) {
      sky_msg m;
      sample((sky_msg_type)t, variant, &m);
      check_round_trip(&m);
      sky_msg_clear(&m);
    }
  }
}

static void test_encode_exact_wire_shape(void **state) {
  (void)state;
  static const struct {
    sky_msg_type type;
    int variant;
    const char *json;
  } cases[] = {
      {SKY_MSG_HELLO, 0, "{\"type\":\"hello\",\"ref\":\"r-1\",\"v\":1,\"appKey\":\"k\"}"},
      {SKY_MSG_PING, 1, "{\"type\":\"ping\"}"},
      {SKY_MSG_JOIN, 1, "{\"type\":\"join\",\"room\":\"a\",\"userData\":{}}"},
      {SKY_MSG_UPDATE, 1, "{\"type\":\"update\",\"userData\":\"just a string\"}"},
      {SKY_MSG_CANDIDATE, 1, "{\"type\":\"candidate\",\"from\":\"" PB "\",\"candidate\":\"\"}"},
      {SKY_MSG_MESSAGE, 1, "{\"type\":\"message\",\"to\":\"" PA "\",\"from\":\"" PB "\",\"content\":null}"},
      {SKY_MSG_PEER_LEFT, 1, "{\"type\":\"peer_left\",\"peerId\":\"" PB "\",\"reason\":\"shutdown\"}"},
      {SKY_MSG_ERROR, 0, "{\"type\":\"error\",\"ref\":\"r-1\",\"code\":\"room_full\",\"message\":\"room is full (64 peers)\",\"fatal\":false}"},
      {SKY_MSG_JOINED, 1, "{\"type\":\"joined\",\"room\":\"room\",\"peerId\":\"" PA "\",\"locked\":true,\"peers\":[]}"},
      {SKY_MSG_WELCOME, 0, "{\"type\":\"welcome\",\"ref\":\"r-1\",\"v\":1,\"peerId\":\"" PA "\",\"limits\":{\"maxFrame\":1,"
                           "\"maxUserData\":4096,\"maxContent\":16384,\"maxPeers\":64,\"rate\":50,\"burst\":100,"
                           "\"pingInterval\":20000}}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sky_msg m;
    sample(cases[i].type, cases[i].variant, &m);
    char *text = sky_msg_encode(&m);
    assert_non_null(text);
    assert_string_equal(text, cases[i].json);
    free(text);
    sky_msg_clear(&m);
  }
}

static void test_encode_normalises_opaque_json(void **state) {
  (void)state;
  sky_msg m;
  sample(SKY_MSG_JOIN, 1, &m);
  free(m.u.join.user_data);
  m.u.join.user_data = dup_text(" { \"a\" : [ 1 , 2 ] } ");
  char *text = sky_msg_encode(&m);
  assert_string_equal(text, "{\"type\":\"join\",\"room\":\"a\",\"userData\":{\"a\":[1,2]}}");
  free(text);
  free(m.u.join.user_data);
  m.u.join.user_data = NULL; /* join: NULL means no user data, the field is omitted */
  text = sky_msg_encode(&m);
  assert_string_equal(text, "{\"type\":\"join\",\"room\":\"a\"}");
  sky_msg back;
  decode_ok(text, &back);
  assert_null(back.u.join.user_data);
  sky_msg_clear(&back);
  free(text);
  sky_msg_clear(&m);
}

/* Each mutation turns a valid sample into one the decoder would refuse. */
typedef void (*mutation)(sky_msg *m);

static void bad_peer_id(sky_msg *m) { m->u.peer.peer_id[0] = 'G'; }
static void short_peer_id(sky_msg *m) { m->u.peer.peer_id[31] = '\0'; }
static void bad_room(sky_msg *m) { strcpy(m->u.join.room, "no/slash"); }
static void space_room(sky_msg *m) { strcpy(m->u.join.room, "trailing "); }
static void empty_room(sky_msg *m) { m->u.join.room[0] = '\0'; }
static void bad_ref(sky_msg *m) { strcpy(m->ref, "tab\there"); }
static void unterminated_ref(sky_msg *m) { memset(m->ref, 'x', sizeof m->ref); }
static void bad_app_key(sky_msg *m) { strcpy(m->u.hello.app_key, "caf\xc3\xa9"); }
static void empty_app_key(sky_msg *m) { m->u.hello.app_key[0] = '\0'; }
static void bad_json(sky_msg *m) { strcpy(m->u.peer.user_data, "{"); }
static void two_values(sky_msg *m) { strcpy(m->u.peer.user_data, "1 2"); }
static void no_address(sky_msg *m) { m->u.sdp.to[0] = '\0'; }
static void empty_sdp(sky_msg *m) { m->u.sdp.sdp[0] = '\0'; }
static void null_sdp(sky_msg *m) { free(m->u.sdp.sdp), m->u.sdp.sdp = NULL; }
static void bad_utf8_sdp(sky_msg *m) { strcpy(m->u.sdp.sdp, "\xed\xa0\x80"); }
static void bad_mline(sky_msg *m) { m->u.candidate.sdp_mline_index = 65536; }
static void negative_mline(sky_msg *m) { m->u.candidate.sdp_mline_index = -2; }
static void long_candidate(sky_msg *m) {
  free(m->u.candidate.candidate);
  m->u.candidate.candidate = calloc(SKY_CANDIDATE_MAX + 2, 1);
  memset(m->u.candidate.candidate, 'c', SKY_CANDIDATE_MAX + 1);
}
static void null_content(sky_msg *m) { free(m->u.message.content), m->u.message.content = NULL; }
static void bad_to(sky_msg *m) { strcpy(m->u.message.to, "everyone"); }
static void code_none(sky_msg *m) { m->u.error.code = SKY_ERR_NONE; }
static void code_out_of_range(sky_msg *m) { m->u.error.code = SKY_ERR_CODE_COUNT; }
static void bad_reason(sky_msg *m) { m->u.bye.reason = SKY_LEAVE_REASON_COUNT; }
static void zero_limit(sky_msg *m) { m->u.welcome.limits.msgs_burst = 0; }
static void self_in_peers(sky_msg *m) { strcpy(m->u.joined.peers[1].peer_id, PA); }
static void duplicate_peers(sky_msg *m) { strcpy(m->u.joined.peers[1].peer_id, PB); }
static void bad_peer_entry(sky_msg *m) { strcpy(m->u.joined.peers[1].peer_id, "x"); }
static void deep_user_data(sky_msg *m) {
  free(m->u.peer.user_data);
  char deep[2 * (SKY_JSON_DEPTH_MAX + 1) + 1] = {0};
  memset(deep, '[', SKY_JSON_DEPTH_MAX + 1);
  memset(deep + SKY_JSON_DEPTH_MAX + 1, ']', SKY_JSON_DEPTH_MAX + 1);
  m->u.peer.user_data = dup_text(deep);
}
static void invalid_type(sky_msg *m) { m->type = SKY_MSG_INVALID; }
static void type_out_of_range(sky_msg *m) { m->type = SKY_MSG_TYPE_COUNT; }

static void test_encode_rejects_invalid(void **state) {
  (void)state;
  static const struct {
    sky_msg_type type;
    int variant;
    mutation mutate;
  } cases[] = {
      {SKY_MSG_PEER_JOINED, 0, bad_peer_id},  {SKY_MSG_PEER_UPDATED, 0, short_peer_id},
      {SKY_MSG_JOIN, 0, bad_room},            {SKY_MSG_JOIN, 0, space_room},
      {SKY_MSG_JOIN, 0, empty_room},          {SKY_MSG_PING, 0, bad_ref},
      {SKY_MSG_PING, 0, unterminated_ref},    {SKY_MSG_HELLO, 0, bad_app_key},
      {SKY_MSG_HELLO, 0, empty_app_key},      {SKY_MSG_PEER_JOINED, 0, bad_json},
      {SKY_MSG_PEER_JOINED, 0, two_values},   {SKY_MSG_OFFER, 0, no_address},
      {SKY_MSG_ANSWER, 0, empty_sdp},         {SKY_MSG_OFFER, 0, null_sdp},
      {SKY_MSG_OFFER, 0, bad_utf8_sdp},       {SKY_MSG_CANDIDATE, 0, bad_mline},
      {SKY_MSG_CANDIDATE, 0, negative_mline}, {SKY_MSG_CANDIDATE, 0, long_candidate},
      {SKY_MSG_MESSAGE, 0, null_content},     {SKY_MSG_MESSAGE, 0, bad_to},
      {SKY_MSG_ERROR, 0, code_none},          {SKY_MSG_ERROR, 0, code_out_of_range},
      {SKY_MSG_BYE, 0, bad_reason},           {SKY_MSG_WELCOME, 0, zero_limit},
      {SKY_MSG_JOINED, 0, self_in_peers},     {SKY_MSG_JOINED, 0, duplicate_peers},
      {SKY_MSG_JOINED, 0, bad_peer_entry},    {SKY_MSG_PEER_UPDATED, 0, deep_user_data},
      {SKY_MSG_PONG, 0, invalid_type},        {SKY_MSG_PONG, 0, type_out_of_range},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sky_msg m;
    sample(cases[i].type, cases[i].variant, &m);
    char *ok = sky_msg_encode(&m);
    assert_non_null(ok); /* the unmutated sample is valid */
    free(ok);
    sky_msg_type type = m.type;
    cases[i].mutate(&m);
    char *text = sky_msg_encode(&m);
    if (text != NULL) print_error("case %zu encoded: %s\n", i, text);
    assert_null(text);
    m.type = type; /* so clear frees the heap fields */
    sky_msg_clear(&m);
  }
  assert_null(sky_msg_encode(NULL));
}

static void test_encode_user_data_null_means_empty_object(void **state) {
  (void)state;
  sky_msg m;
  sample(SKY_MSG_PEER_JOINED, 0, &m);
  free(m.u.peer.user_data);
  m.u.peer.user_data = NULL;
  char *text = sky_msg_encode(&m);
  assert_string_equal(text, "{\"type\":\"peer_joined\",\"ref\":\"r-1\",\"peerId\":\"" PB "\",\"userData\":{}}");
  free(text);
  sky_msg_clear(&m);
}

static void test_copy_is_deep(void **state) {
  (void)state;
  for (int t = SKY_MSG_INVALID + 1; t < SKY_MSG_TYPE_COUNT; t++) {
    for (int variant = 0; variant < 2; variant++) {
      sky_msg m, copy;
      sample((sky_msg_type)t, variant, &m);
      assert_true(sky_msg_copy(&copy, &m));
      assert_msg_equal(&m, &copy);
      sky_msg_clear(&m); /* the copy must not share anything with m (ASan checks) */
      char *text = sky_msg_encode(&copy);
      assert_non_null(text);
      free(text);
      sky_msg_clear(&copy);
    }
  }
}

static void test_copy_joined_does_not_alias(void **state) {
  (void)state;
  sky_msg m, copy;
  sample(SKY_MSG_JOINED, 0, &m);
  assert_true(sky_msg_copy(&copy, &m));
  assert_ptr_not_equal(copy.u.joined.peers, m.u.joined.peers);
  assert_ptr_not_equal(copy.u.joined.peers[1].user_data, m.u.joined.peers[1].user_data);
  assert_true(sky_msg_copy(&copy, &copy)); /* self copy is a no-op */
  sky_msg_clear(&m);
  sky_msg_clear(&copy);
}

static void test_clear_zeroes_and_is_idempotent(void **state) {
  (void)state;
  sky_msg zero, m;
  memset(&zero, 0, sizeof zero);
  sample(SKY_MSG_JOINED, 0, &m);
  sky_msg_clear(&m);
  assert_memory_equal(&m, &zero, sizeof m);
  sky_msg_clear(&m);
  sky_msg_clear(NULL);
  m.type = SKY_MSG_TYPE_COUNT; /* unknown type: nothing to free, still zeroed */
  sky_msg_clear(&m);
  assert_memory_equal(&m, &zero, sizeof m);
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(sky_msg_type_name(SKY_MSG_PEER_JOINED), "peer_joined");
  assert_string_equal(sky_msg_type_name(SKY_MSG_ROOM_LOCK), "room_lock");
  assert_null(sky_msg_type_name(SKY_MSG_TYPE_COUNT));
  assert_string_equal(sky_error_code_name(SKY_ERR_BAD_JSON), "bad_json");
  assert_string_equal(sky_error_code_name(SKY_ERR_ALREADY_AUTHENTICATED), "already_authenticated");
  assert_string_equal(sky_error_code_name(SKY_ERR_INTERNAL), "internal");
  assert_null(sky_error_code_name(SKY_ERR_CODE_COUNT));
  assert_string_equal(sky_leave_reason_name(SKY_LEAVE_DISCONNECTED), "disconnected");
  assert_null(sky_leave_reason_name(SKY_LEAVE_REASON_COUNT));
  for (int t = 0; t < SKY_MSG_TYPE_COUNT; t++) assert_non_null(sky_msg_type_name((sky_msg_type)t));
  /* Every error code survives the wire inside an error message. */
  for (int c = SKY_ERR_NONE + 1; c < SKY_ERR_CODE_COUNT; c++) {
    sky_msg m;
    sample(SKY_MSG_ERROR, 0, &m);
    m.u.error.code = (sky_error_code)c;
    check_round_trip(&m);
    sky_msg_clear(&m);
  }
}

static void test_limits_default(void **state) {
  (void)state;
  sky_limits l;
  sky_limits_default(&l);
  assert_int_equal(l.max_frame_bytes, 65536);
  assert_int_equal(l.max_user_data_bytes, 4096);
  assert_int_equal(l.max_content_bytes, 16384);
  assert_int_equal(l.max_peers_per_room, 64);
  assert_int_equal(l.msgs_per_second, 50);
  assert_int_equal(l.msgs_burst, 100);
  assert_int_equal(l.ping_interval_ms, 20000);
}

static void test_validators(void **state) {
  (void)state;
  assert_true(sky_peer_id_valid(PA, 32));
  assert_false(sky_peer_id_valid(PA, 31));
  assert_false(sky_peer_id_valid("0123456789ABCDEF0123456789abcdef", 32));
  assert_false(sky_peer_id_valid(NULL, 32));
  assert_true(sky_room_name_valid("a", 1));
  assert_true(sky_room_name_valid("Az09 _.:@-", 10));
  assert_false(sky_room_name_valid("", 0));
  assert_false(sky_room_name_valid(" a", 2));
  assert_false(sky_room_name_valid("a ", 2));
  assert_false(sky_room_name_valid("a\0b", 3));
  assert_false(sky_room_name_valid("a/b", 3));
  assert_false(sky_room_name_valid("caf\xc3\xa9", 5));
  char room[SKY_ROOM_MAX + 2];
  memset(room, 'r', sizeof room);
  assert_true(sky_room_name_valid(room, SKY_ROOM_MAX));
  assert_false(sky_room_name_valid(room, SKY_ROOM_MAX + 1));
}

static void test_polite(void **state) {
  (void)state;
  assert_true(sky_peer_is_polite(PA, PB));
  assert_false(sky_peer_is_polite(PB, PA));
  assert_false(sky_peer_is_polite(PA, PA));
  assert_true(sky_peer_is_polite(PC, PA));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_every_type),
      cmocka_unit_test(test_encode_exact_wire_shape),
      cmocka_unit_test(test_encode_normalises_opaque_json),
      cmocka_unit_test(test_encode_rejects_invalid),
      cmocka_unit_test(test_encode_user_data_null_means_empty_object),
      cmocka_unit_test(test_copy_is_deep),
      cmocka_unit_test(test_copy_joined_does_not_alias),
      cmocka_unit_test(test_clear_zeroes_and_is_idempotent),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_limits_default),
      cmocka_unit_test(test_validators),
      cmocka_unit_test(test_polite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
