/* Protocol decoder: every validation rule has at least one refusing case, plus the
 * accepted edge cases (bounds, defaults, unknown fields). In the tables, JSON is
 * written with ' for " to stay readable; q() swaps them before decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

#define PA "0123456789abcdef0123456789abcdef"
#define PB "fedcba9876543210fedcba9876543210"
#define PC "00000000000000000000000000000001"

static char buffer[1 << 17];

/* n bytes of the table's JSON with ' turned into ", terminated. Returns a static buffer. */
static const char *qn(const char *s, size_t n) {
  assert_true(n < sizeof buffer);
  for (size_t i = 0; i < n; i++) buffer[i] = s[i] == '\'' ? '"' : s[i];
  buffer[n] = '\0';
  return buffer;
}

static const char *q(const char *s) {
  return qn(s, strlen(s));
}

/* A string of n copies of c (static, reused: consume before the next call). */
static const char *run(char c, size_t n) {
  static char text[1 << 16];
  assert_true(n < sizeof text);
  memset(text, c, n);
  text[n] = '\0';
  return text;
}

/* "{'type':'ping','x':" + depth brackets + ... */
static const char *nested(const char *prefix, int depth, const char *suffix) {
  static char text[4096];
  size_t n = (size_t)snprintf(text, sizeof text, "%s", prefix);
  for (int i = 0; i < depth; i++) text[n++] = '[';
  for (int i = 0; i < depth; i++) text[n++] = ']';
  snprintf(text + n, sizeof text - n, "%s", suffix);
  return text;
}

typedef struct reject {
  const char *json; /* ' stands for " */
  sky_error_code code;
  const char *detail; /* expected prefix of err.detail */
  size_t len;         /* bytes to decode; 0 = strlen */
} reject;

static void expect_reject_with(const char *text, size_t len, const sky_limits *limits,
                               sky_error_code code, const char *detail) {
  sky_msg m;
  sky_msg zero;
  sky_decode_error err;
  memset(&zero, 0, sizeof zero);
  memset(&m, 0xA5, sizeof m); /* decode must clear whatever was there */
  bool ok = sky_msg_decode(text, len, limits, &m, &err);
  if (ok || err.code != code || strncmp(err.detail, detail, strlen(detail)) != 0) {
    print_error("on %s\n  got %s \"%s\", want %s \"%s...\"\n", text,
                ok ? "success" : sky_error_code_name(err.code), ok ? "" : err.detail,
                sky_error_code_name(code), detail);
    fail();
  }
  assert_memory_equal(&m, &zero, sizeof m);
  assert_true(strlen(err.detail) > 0);
}

static void run_rejects(const reject *cases, size_t count) {
  for (size_t i = 0; i < count; i++) {
    size_t len = cases[i].len ? cases[i].len : strlen(cases[i].json);
    const char *text = qn(cases[i].json, len);
    expect_reject_with(text, len, NULL, cases[i].code, cases[i].detail);
  }
}

#define RUN(table) run_rejects(table, sizeof table / sizeof table[0])
#define BAD SKY_ERR_BAD_MESSAGE

static void test_frame_rejects(void **state) {
  (void)state;
  static const reject cases[] = {
      {"", SKY_ERR_BAD_JSON, "frame: is empty", 0},
      {"   ", SKY_ERR_BAD_JSON, "frame: must be one JSON object", 0},
      {"[]", SKY_ERR_BAD_JSON, "frame: must be one JSON object", 0},
      {"'ping'", SKY_ERR_BAD_JSON, "frame: must be one JSON object", 0},
      {"42", SKY_ERR_BAD_JSON, "frame", 0},
      {"null", SKY_ERR_BAD_JSON, "frame", 0},
      {"{'type':'ping'", SKY_ERR_BAD_JSON, "frame", 0},
      {"{'type':'ping',}", SKY_ERR_BAD_JSON, "frame", 0},
      {"{type:'ping'}", SKY_ERR_BAD_JSON, "frame", 0},
      {"{'type':'ping'} x", SKY_ERR_BAD_JSON, "frame", 0},
      {"{'type':'ping'}{}", SKY_ERR_BAD_JSON, "frame", 0},
      {"{'type':'ping'}\0", SKY_ERR_BAD_JSON, "frame: contains a NUL", 16},
      {"{'type':'pi\0ng'}", SKY_ERR_BAD_JSON, "frame: contains a NUL", 16},
      {"{'type':'ping','x':'a\\u0000b'}", SKY_ERR_BAD_JSON, "frame: contains a NUL", 0},
      {"{'type':'ping','x':'\\ud800'}", SKY_ERR_BAD_JSON, "frame", 0},      /* lone surrogate escape */
      {"{'type':'ping','x':'\\udc00\\ud800'}", SKY_ERR_BAD_JSON, "frame", 0},
      {"{'type':'ping','x':'\x80'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xc0\xaf'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0}, /* overlong / */
      {"{'type':'ping','x':'\xc1\xbf'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xe0\x80\xaf'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xf0\x80\x80\xaf'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xed\xa0\x80'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0}, /* U+D800 */
      {"{'type':'ping','x':'\xed\xbf\xbf'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0}, /* U+DFFF */
      {"{'type':'ping','x':'\xf4\x90\x80\x80'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xf5\x80\x80\x80'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xff'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping','x':'\xe2\x82'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0}, /* truncated */
      {"{'type':'ping','x':'\xe2\x28\xa1'}", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping'}\xc3", SKY_ERR_BAD_JSON, "frame: is not valid UTF-8", 0},
      {"{'type':'ping',\xc3\xa9:1}", SKY_ERR_BAD_JSON, "frame", 0},
  };
  RUN(cases);
}

static void test_frame_limits(void **state) {
  (void)state;
  sky_limits limits;
  sky_limits_default(&limits);
  limits.max_frame_bytes = 20;
  const char *ping = q("{'type':'ping'}"); /* 15 bytes */
  expect_reject_with(ping, 21, &limits, SKY_ERR_FRAME_TOO_LARGE, "frame: must be at most 20 bytes");
  sky_msg m;
  assert_true(sky_msg_decode(ping, 15, &limits, &m, NULL)); /* len bounds the read: no NUL needed */
  char padded[21];
  memcpy(padded, q("{'type':'ping'}     "), 20);
  padded[20] = 'X'; /* not part of the frame: must not be read */
  assert_true(sky_msg_decode(padded, 20, &limits, &m, NULL));
  assert_int_equal(m.type, SKY_MSG_PING);
}

static void test_nesting(void **state) {
  (void)state;
  sky_msg m;
  sky_decode_error err;
  /* 16 levels of opaque userData are fine, 17 are not. */
  const char *ok = nested("{\"type\":\"update\",\"userData\":", SKY_JSON_DEPTH_MAX, "}");
  assert_true(sky_msg_decode(ok, strlen(ok), NULL, &m, &err));
  sky_msg_clear(&m);
  const char *deep = nested("{\"type\":\"update\",\"userData\":", SKY_JSON_DEPTH_MAX + 1, "}");
  expect_reject_with(deep, strlen(deep), NULL, BAD, "userData: must not nest deeper than 16");
  deep = nested("{\"type\":\"message\",\"content\":{\"a\":", SKY_JSON_DEPTH_MAX, "}}");
  expect_reject_with(deep, strlen(deep), NULL, BAD, "content: must not nest deeper than 16");
  /* The whole frame is bounded before parsing, even in ignored fields. */
  deep = nested("{\"type\":\"ping\",\"x\":", 19, "}");
  expect_reject_with(deep, strlen(deep), NULL, BAD, "frame: must not nest deeper than 19");
  deep = nested("{\"type\":\"ping\",\"x\":", 1500, "}");
  expect_reject_with(deep, strlen(deep), NULL, BAD, "frame: must not nest deeper");
  /* Brackets inside strings do not count. */
  ok = q("{'type':'ping','x':'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\'{{{{{{{{{{{{{{{{{{{{{{{{{{{{'}");
  assert_true(sky_msg_decode(ok, strlen(ok), NULL, &m, &err));
}

static void test_type_and_ref_rejects(void **state) {
  (void)state;
  static const reject cases[] = {
      {"{}", BAD, "type: must be a string", 0},
      {"{'type':1}", BAD, "type: must be a string", 0},
      {"{'type':null}", BAD, "type: must be a string", 0},
      {"{'Type':'ping'}", BAD, "type: must be a string", 0},
      {"{'type':'nope'}", SKY_ERR_UNKNOWN_TYPE, "type: unknown message type", 0},
      {"{'type':'Ping'}", SKY_ERR_UNKNOWN_TYPE, "type: unknown message type", 0},
      {"{'type':'invalid'}", SKY_ERR_UNKNOWN_TYPE, "type: unknown message type", 0},
      {"{'type':''}", SKY_ERR_UNKNOWN_TYPE, "type: unknown message type", 0},
      {"{'type':'ping','ref':5}", BAD, "ref: must be 1..64 printable ASCII", 0},
      {"{'type':'ping','ref':''}", BAD, "ref: must be 1..64 printable ASCII", 0},
      {"{'type':'ping','ref':'a\\u0007'}", BAD, "ref: must be 1..64 printable ASCII", 0},
      {"{'type':'ping','ref':'\xc3\xa9'}", BAD, "ref: must be 1..64 printable ASCII", 0},
      {"{'type':'ping','ref':'12345678901234567890123456789012345678901234567890123456789012345'}", BAD,
       "ref: must be 1..64", 0},
  };
  RUN(cases);
}

static void test_ref_is_kept_on_failure(void **state) {
  (void)state;
  static const struct {
    const char *json;
    sky_error_code code;
  } cases[] = {
      {"{'ref':'abc','type':'nope'}", SKY_ERR_UNKNOWN_TYPE},
      {"{'type':'join','room':'a/b','ref':'abc'}", SKY_ERR_BAD_ROOM_NAME},
      {"{'type':'offer','ref':'abc'}", BAD},
      {"{'ref':'abc'}", BAD},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sky_msg m;
    sky_decode_error err;
    const char *text = q(cases[i].json);
    assert_false(sky_msg_decode(text, strlen(text), NULL, &m, &err));
    assert_int_equal(err.code, cases[i].code);
    assert_string_equal(err.ref, "abc");
  }
  sky_msg m;
  sky_decode_error err;
  const char *text = q("{'type':'nope','ref':7}");
  assert_false(sky_msg_decode(text, strlen(text), NULL, &m, &err));
  assert_string_equal(err.ref, "");
}

static void test_client_message_rejects(void **state) {
  (void)state;
  static const reject cases[] = {
      {"{'type':'hello','appKey':'k'}", BAD, "v: is required", 0},
      {"{'type':'hello','v':'1','appKey':'k'}", BAD, "v: must be an integer 0..4294967295", 0},
      {"{'type':'hello','v':1.5,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':-1,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':1e400,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':-1e400,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':4294967296,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':true,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':null,'appKey':'k'}", BAD, "v: must be an integer", 0},
      {"{'type':'hello','v':1}", BAD, "appKey: is required", 0},
      {"{'type':'hello','v':1,'appKey':''}", BAD, "appKey: must be 1..128 printable ASCII", 0},
      {"{'type':'hello','v':1,'appKey':7}", BAD, "appKey: must be 1..128 printable ASCII", 0},
      {"{'type':'hello','v':1,'appKey':'a\\nb'}", BAD, "appKey: must be 1..128", 0},
      {"{'type':'hello','v':1,'appKey':'caf\xc3\xa9'}", BAD, "appKey: must be 1..128", 0},
      {"{'type':'join'}", BAD, "room: is required", 0},
      {"{'type':'join','room':5}", BAD, "room: must be 1..64 characters", 0},
      {"{'type':'join','room':['a']}", BAD, "room: must be 1..64 characters", 0},
      {"{'type':'join','room':''}", SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64 characters of A-Z a-z 0-9 space _ . : @ -", 0},
      {"{'type':'join','room':'a/b'}", SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64", 0},
      {"{'type':'join','room':' a'}", SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64", 0},
      {"{'type':'join','room':'a '}", SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64", 0},
      {"{'type':'join','room':'caf\xc3\xa9'}", SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64", 0},
      {"{'type':'join','room':'a\\tb'}", SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64", 0},
      {"{'type':'join','room':'12345678901234567890123456789012345678901234567890123456789012345'}",
       SKY_ERR_BAD_ROOM_NAME, "room: must be 1..64", 0},
      {"{'type':'join','room':'a','userData':{'n':1e400}}", BAD, "userData: numbers must be finite", 0},
      {"{'type':'update'}", BAD, "userData: is required", 0},
      {"{'type':'lock'}", BAD, "locked: is required", 0},
      {"{'type':'lock','locked':'true'}", BAD, "locked: must be true or false", 0},
      {"{'type':'lock','locked':1}", BAD, "locked: must be true or false", 0},
      {"{'type':'lock','locked':null}", BAD, "locked: must be true or false", 0},
  };
  RUN(cases);
}

static void test_relay_message_rejects(void **state) {
  (void)state;
  static const reject cases[] = {
      {"{'type':'offer','sdp':'v=0'}", BAD, "to: a \"to\" or a \"from\" peer id is required", 0},
      {"{'type':'answer','to':null,'sdp':'v=0'}", BAD, "to: a \"to\" or a \"from\" peer id", 0},
      {"{'type':'offer','to':'','sdp':'v=0'}", BAD, "to: must be a peer id (32 lowercase hex digits)", 0},
      {"{'type':'offer','to':'0123456789ABCDEF0123456789abcdef','sdp':'v=0'}", BAD, "to: must be a peer id", 0},
      {"{'type':'offer','to':'0123456789abcdef0123456789abcde','sdp':'v=0'}", BAD, "to: must be a peer id", 0},
      {"{'type':'offer','to':'0123456789abcdef0123456789abcdef0','sdp':'v=0'}", BAD, "to: must be a peer id", 0},
      {"{'type':'offer','to':'" PA "','from':'x','sdp':'v=0'}", BAD, "from: must be a peer id", 0},
      {"{'type':'offer','to':1,'sdp':'v=0'}", BAD, "to: must be a peer id", 0},
      {"{'type':'offer','to':'" PA "'}", BAD, "sdp: is required", 0},
      {"{'type':'offer','to':'" PA "','sdp':''}", BAD, "sdp: must be a string of 1..65536 bytes", 0},
      {"{'type':'answer','from':'" PA "','sdp':{}}", BAD, "sdp: must be a string", 0},
      {"{'type':'candidate','candidate':'','sdpMid':'0'}", BAD, "to: a \"to\" or a \"from\"", 0},
      {"{'type':'candidate','to':'" PA "'}", BAD, "candidate: is required", 0},
      {"{'type':'candidate','to':'" PA "','candidate':null}", BAD, "candidate: must be a string of 0..1024", 0},
      {"{'type':'candidate','to':'" PA "','candidate':'','sdpMid':0}", BAD, "sdpMid: must be a string of 0..64", 0},
      {"{'type':'candidate','to':'" PA "','candidate':'','sdpMLineIndex':65536}", BAD,
       "sdpMLineIndex: must be an integer 0..65535", 0},
      {"{'type':'candidate','to':'" PA "','candidate':'','sdpMLineIndex':-1}", BAD, "sdpMLineIndex: must be an integer", 0},
      {"{'type':'candidate','to':'" PA "','candidate':'','sdpMLineIndex':0.5}", BAD, "sdpMLineIndex: must be an integer", 0},
      {"{'type':'candidate','to':'" PA "','candidate':'','sdpMLineIndex':'0'}", BAD, "sdpMLineIndex: must be an integer", 0},
      {"{'type':'message'}", BAD, "content: is required", 0},
      {"{'type':'message','to':'room','content':1}", BAD, "to: must be a peer id", 0},
      {"{'type':'message','from':'" PA "x','content':1}", BAD, "from: must be a peer id", 0},
      {"{'type':'message','content':[1e999]}", BAD, "content: numbers must be finite", 0},
  };
  RUN(cases);
}

static void test_server_message_rejects(void **state) {
  (void)state;
  static const reject cases[] = {
      {"{'type':'welcome','v':1,'peerId':'" PA "'}", BAD, "limits: is required", 0},
      {"{'type':'welcome','v':1,'peerId':'" PA "','limits':[]}", BAD, "limits: must be an object", 0},
      {"{'type':'welcome','v':1,'peerId':'" PA "','limits':{'maxFrame':0,'maxUserData':1,'maxContent':1,"
       "'maxPeers':1,'rate':1,'burst':1,'pingInterval':1}}", BAD, "maxFrame: must be an integer 1..4294967295", 0},
      {"{'type':'welcome','v':1,'peerId':'" PA "','limits':{'maxFrame':1,'maxUserData':1,'maxContent':1,"
       "'maxPeers':1,'burst':1,'pingInterval':1}}", BAD, "rate: is required", 0},
      {"{'type':'welcome','v':1,'peerId':'nope','limits':{}}", BAD, "peerId: must be a peer id", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false}", BAD, "peers: is required", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','peers':[]}", BAD, "locked: is required", 0},
      {"{'type':'joined','room':'r/','peerId':'" PA "','locked':false,'peers':[]}", SKY_ERR_BAD_ROOM_NAME, "room:", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false,'peers':{}}", BAD, "peers: must be an array of at most 64", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false,'peers':['" PB "']}", BAD, "peers: entries must be objects", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false,'peers':[{'peerId':'" PB "'}]}", BAD, "userData: is required", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false,'peers':[{'peerId':'x','userData':1}]}", BAD,
       "peerId: must be a peer id", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false,'peers':[{'peerId':'" PB "','userData':1},"
       "{'peerId':'" PB "','userData':2}]}", BAD, "peers: peer ids must be distinct", 0},
      {"{'type':'joined','room':'r','peerId':'" PA "','locked':false,'peers':[{'peerId':'" PA "','userData':1}]}", BAD,
       "peers: must not list peerId itself", 0},
      {"{'type':'left'}", BAD, "room: is required", 0},
      {"{'type':'left','room':'@@ '}", SKY_ERR_BAD_ROOM_NAME, "room: must be", 0},
      {"{'type':'peer_joined','peerId':'" PA "'}", BAD, "userData: is required", 0},
      {"{'type':'peer_updated','userData':{}}", BAD, "peerId: is required", 0},
      {"{'type':'peer_left','peerId':'" PA "'}", BAD, "reason: is required", 0},
      {"{'type':'peer_left','peerId':'" PA "','reason':'gone'}", BAD,
       "reason: must be one of left, disconnected, timeout, kicked, shutdown", 0},
      {"{'type':'room_lock','locked':true}", BAD, "peerId: is required", 0},
      {"{'type':'error','message':'m','fatal':false}", BAD, "code: is required", 0},
      {"{'type':'error','code':'none','message':'m','fatal':false}", BAD, "code: must be an error code name", 0},
      {"{'type':'error','code':'Bad_Json','message':'m','fatal':false}", BAD, "code: must be an error code name", 0},
      {"{'type':'error','code':1,'message':'m','fatal':false}", BAD, "code: must be an error code name", 0},
      {"{'type':'error','code':'internal','fatal':false}", BAD, "message: is required", 0},
      {"{'type':'error','code':'internal','message':'m'}", BAD, "fatal: is required", 0},
      {"{'type':'bye'}", BAD, "reason: is required", 0},
      {"{'type':'bye','reason':1}", BAD, "reason: must be one of", 0},
  };
  RUN(cases);
}

/* Size bounds: exactly at the limit passes, one byte more fails with the limit's code. */
static void test_size_limits(void **state) {
  (void)state;
  char text[1 << 17];
  sky_msg m;
  sky_limits limits;
  sky_limits_default(&limits);
  /* userData "xxx...": compact JSON is the string plus two quotes. */
  snprintf(text, sizeof text, "{\"type\":\"update\",\"userData\":\"%s\"}", run('x', 4094));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  assert_int_equal(strlen(m.u.update.user_data), 4096);
  sky_msg_clear(&m);
  snprintf(text, sizeof text, "{\"type\":\"update\",\"userData\":\"%s\"}", run('x', 4095));
  expect_reject_with(text, strlen(text), NULL, SKY_ERR_USER_DATA_TOO_LARGE, "userData: compact JSON must be at most 4096 bytes");
  /* Whitespace does not count: the compact form is measured. */
  snprintf(text, sizeof text, "{\"type\":\"join\",\"room\":\"r\",\"userData\":[%s 1]}", run(' ', 9000));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  assert_string_equal(m.u.join.user_data, "[1]");
  sky_msg_clear(&m);
  snprintf(text, sizeof text, "{\"type\":\"joined\",\"room\":\"r\",\"peerId\":\"" PA "\",\"locked\":false,"
           "\"peers\":[{\"peerId\":\"" PB "\",\"userData\":\"%s\"}]}", run('x', 4095));
  expect_reject_with(text, strlen(text), NULL, SKY_ERR_USER_DATA_TOO_LARGE, "userData: compact JSON");
  snprintf(text, sizeof text, "{\"type\":\"message\",\"content\":\"%s\"}", run('x', 16382));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  sky_msg_clear(&m);
  snprintf(text, sizeof text, "{\"type\":\"message\",\"content\":\"%s\"}", run('x', 16383));
  expect_reject_with(text, strlen(text), NULL, SKY_ERR_CONTENT_TOO_LARGE, "content: compact JSON must be at most 16384 bytes");
  /* Escapes count as printed: "\n" is two bytes of compact JSON. */
  limits.max_content_bytes = 4;
  expect_reject_with("{\"type\":\"message\",\"content\":\"\\n\\n\"}", 35, &limits, SKY_ERR_CONTENT_TOO_LARGE, "content:");
  /* Fixed bounds. */
  snprintf(text, sizeof text, "{\"type\":\"candidate\",\"to\":\"" PA "\",\"candidate\":\"%s\"}", run('c', 1024));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  sky_msg_clear(&m);
  snprintf(text, sizeof text, "{\"type\":\"candidate\",\"to\":\"" PA "\",\"candidate\":\"%s\"}", run('c', 1025));
  expect_reject_with(text, strlen(text), NULL, BAD, "candidate: must be a string of 0..1024 bytes");
  snprintf(text, sizeof text, "{\"type\":\"candidate\",\"to\":\"" PA "\",\"candidate\":\"\",\"sdpMid\":\"%s\"}", run('m', 64));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  sky_msg_clear(&m);
  snprintf(text, sizeof text, "{\"type\":\"candidate\",\"to\":\"" PA "\",\"candidate\":\"\",\"sdpMid\":\"%s\"}", run('m', 65));
  expect_reject_with(text, strlen(text), NULL, BAD, "sdpMid: must be a string of 0..64 bytes");
  snprintf(text, sizeof text, "{\"type\":\"hello\",\"v\":1,\"appKey\":\"%s\"}", run('k', 128));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  snprintf(text, sizeof text, "{\"type\":\"hello\",\"v\":1,\"appKey\":\"%s\"}", run('k', 129));
  expect_reject_with(text, strlen(text), NULL, BAD, "appKey: must be 1..128");
  snprintf(text, sizeof text, "{\"type\":\"error\",\"code\":\"internal\",\"fatal\":true,\"message\":\"%s\"}", run('e', 256));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  snprintf(text, sizeof text, "{\"type\":\"error\",\"code\":\"internal\",\"fatal\":true,\"message\":\"%s\"}", run('e', 257));
  expect_reject_with(text, strlen(text), NULL, BAD, "message: must be a string of 0..256 bytes");
  snprintf(text, sizeof text, "{\"type\":\"ping\",\"ref\":\"%s\"}", run('r', 64));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  snprintf(text, sizeof text, "{\"type\":\"join\",\"room\":\"%s\"}", run('r', 64));
  assert_true(sky_msg_decode(text, strlen(text), NULL, &m, NULL));
  sky_msg_clear(&m);
  /* An sdp is bounded by the frame, and the detail says so. */
  limits.max_frame_bytes = 100;
  const char *offer = q("{'type':'offer','to':'" PA "','sdp':''}");
  expect_reject_with(offer, strlen(offer), &limits, BAD, "sdp: must be a string of 1..100 bytes");
}

static void test_peer_count_limit(void **state) {
  (void)state;
  sky_limits limits;
  sky_limits_default(&limits);
  limits.max_peers_per_room = 1;
  char text[512];
  snprintf(text, sizeof text, "{\"type\":\"joined\",\"room\":\"r\",\"peerId\":\"" PA "\",\"locked\":false,"
           "\"peers\":[{\"peerId\":\"" PB "\",\"userData\":1}]}");
  sky_msg m;
  assert_true(sky_msg_decode(text, strlen(text), &limits, &m, NULL));
  sky_msg_clear(&m);
  snprintf(text, sizeof text, "{\"type\":\"joined\",\"room\":\"r\",\"peerId\":\"" PA "\",\"locked\":false,"
           "\"peers\":[{\"peerId\":\"" PB "\",\"userData\":1},{\"peerId\":\"" PC "\",\"userData\":1}]}");
  expect_reject_with(text, strlen(text), &limits, BAD, "peers: must be an array of at most 1 peers");
}

static void decode_ok(const char *text, sky_msg *m) {
  sky_decode_error err;
  if (!sky_msg_decode(text, strlen(text), NULL, m, &err)) {
    print_error("on %s\n  got %s \"%s\"\n", text, sky_error_code_name(err.code), err.detail);
    fail();
  }
}

static void test_accepts_and_defaults(void **state) {
  (void)state;
  sky_msg m;
  decode_ok(q("{'type':'ping','extra':{'deep':[1,2]},'v':'x','to':5,'ref':null}"), &m);
  assert_int_equal(m.type, SKY_MSG_PING);
  assert_string_equal(m.ref, "");
  decode_ok(q(" \t\r\n{ 'ref' : 'x y' , 'type' : 'pong' } \n"), &m);
  assert_int_equal(m.type, SKY_MSG_PONG);
  assert_string_equal(m.ref, "x y");
  decode_ok(q("{'type':'ping','type':'pong'}"), &m); /* first occurrence wins */
  assert_int_equal(m.type, SKY_MSG_PING);
  decode_ok(q("{'type':'hello','v':1.0,'appKey':'Your API key'}"), &m);
  assert_int_equal(m.u.hello.version, 1);
  decode_ok(q("{'type':'hello','v':4294967295,'appKey':'~'}"), &m);
  assert_int_equal(m.u.hello.version, UINT32_MAX);
  decode_ok(q("{'type':'join','room':'r'}"), &m);
  assert_null(m.u.join.user_data); /* absent: the server keeps what update stored */
  sky_msg_clear(&m);
  decode_ok(q("{'type':'join','room':'r','userData':null}"), &m);
  assert_string_equal(m.u.join.user_data, "{}");
  sky_msg_clear(&m);
  decode_ok(q("{'type':'update','userData':null}"), &m);
  assert_string_equal(m.u.update.user_data, "{}");
  sky_msg_clear(&m);
  decode_ok(q("{'type':'update','userData':'caf\xc3\xa9 \\u00e9\\ud83d\\ude00'}"), &m);
  assert_string_equal(m.u.update.user_data, "\"caf\xc3\xa9 \xc3\xa9\xf0\x9f\x98\x80\"");
  sky_msg_clear(&m);
  decode_ok(q("{'type':'update','userData':{ 'a' : [ 1 , 2.50 , -0 , 1e2 ] }}"), &m);
  assert_string_equal(m.u.update.user_data, "{\"a\":[1,2.5,-0,100]}");
  sky_msg_clear(&m);
  decode_ok(q("{'type':'offer','to':'" PA "','from':'" PB "','sdp':'v=0'}"), &m);
  assert_string_equal(m.u.sdp.to, PA);
  assert_string_equal(m.u.sdp.from, PB);
  sky_msg_clear(&m);
  decode_ok(q("{'type':'candidate','from':'" PA "','candidate':'','sdpMid':null,'sdpMLineIndex':null}"), &m);
  assert_string_equal(m.u.candidate.candidate, "");
  assert_string_equal(m.u.candidate.sdp_mid, "");
  assert_int_equal(m.u.candidate.sdp_mline_index, -1);
  sky_msg_clear(&m);
  decode_ok(q("{'type':'candidate','to':'" PA "','candidate':'c','sdpMLineIndex':0}"), &m);
  assert_int_equal(m.u.candidate.sdp_mline_index, 0);
  sky_msg_clear(&m);
  decode_ok(q("{'type':'message','content':null}"), &m);
  assert_string_equal(m.u.message.to, "");
  assert_string_equal(m.u.message.content, "null");
  sky_msg_clear(&m);
  decode_ok(q("{'type':'message','to':null,'content':'hi'}"), &m);
  assert_string_equal(m.u.message.content, "\"hi\"");
  sky_msg_clear(&m);
  decode_ok(q("{'type':'error','code':'rate_limited','message':'','fatal':true}"), &m);
  assert_int_equal(m.u.error.code, SKY_ERR_RATE_LIMITED);
  assert_true(m.u.error.fatal);
  decode_ok(q("{'type':'peer_left','peerId':'" PA "','reason':'disconnected'}"), &m);
  assert_int_equal(m.u.peer_left.reason, SKY_LEAVE_DISCONNECTED);
  decode_ok(q("\xef\xbb\xbf{'type':'leave'}"), &m); /* a UTF-8 BOM is skipped */
  assert_int_equal(m.type, SKY_MSG_LEAVE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_frame_rejects),
      cmocka_unit_test(test_frame_limits),
      cmocka_unit_test(test_nesting),
      cmocka_unit_test(test_type_and_ref_rejects),
      cmocka_unit_test(test_ref_is_kept_on_failure),
      cmocka_unit_test(test_client_message_rejects),
      cmocka_unit_test(test_relay_message_rejects),
      cmocka_unit_test(test_server_message_rejects),
      cmocka_unit_test(test_size_limits),
      cmocka_unit_test(test_peer_count_limit),
      cmocka_unit_test(test_accepts_and_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
