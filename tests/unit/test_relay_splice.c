/* The relay fast path (src/server/relay_splice.c): what it forwards, byte for
 * byte, and the spellings it leaves to the full decoder. Every accepted frame
 * is also checked against sky_msg_decode + sky_msg_encode, the path it
 * replaces (tests/fuzz/fuzz_relay_splice.c does so on arbitrary input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/server/relay_splice.h"

#define TO "0123456789abcdef0123456789abcdef"
#define FROM "fedcba9876543210fedcba9876543210"
#define MAX_FRAME 65536

/* The slow path's output for the same frame: decode, stamp, encode. */
static char *slow_path(const char *frame) {
  sky_limits limits;
  sky_limits_default(&limits);
  sky_msg m;
  sky_decode_error err;
  if (!sky_msg_decode(frame, strlen(frame), &limits, &m, &err)) return NULL;
  char *to = m.type == SKY_MSG_CANDIDATE ? m.u.candidate.to : m.u.sdp.to;
  char *from = m.type == SKY_MSG_CANDIDATE ? m.u.candidate.from : m.u.sdp.from;
  memcpy(from, FROM, sizeof(FROM));
  to[0] = '\0';
  m.ref[0] = '\0';
  char *out = sky_msg_encode(&m); /* owner: the caller */
  sky_msg_clear(&m);
  return out;
}

/* Splices frame, checks the result equals both `expected` and the slow path. */
static void relays_as(const char *frame, const char *expected) {
  sky_relay_splice s;
  assert_true(sky_relay_splice_parse(frame, strlen(frame), MAX_FRAME, &s));
  assert_string_equal(s.to, TO);
  size_t len = sky_relay_splice_len(&s);
  char *out = calloc(1, len + 1); /* owner: here */
  assert_non_null(out);
  sky_relay_splice_write(&s, FROM, out);
  assert_string_equal(out, expected);
  char *slow = slow_path(frame); /* owner: here */
  assert_non_null(slow);
  assert_string_equal(out, slow);
  free(slow);
  free(out);
}

static bool accepted(const char *frame) {
  sky_relay_splice s;
  return sky_relay_splice_parse(frame, strlen(frame), MAX_FRAME, &s);
}

static void candidate_is_stamped(void **state) {
  (void)state;
  relays_as("{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"candidate:1 1 udp 2 10.0.0.1 5 typ host\","
            "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
            "{\"type\":\"candidate\",\"from\":\"" FROM "\",\"candidate\":\"candidate:1 1 udp 2 10.0.0.1 5 typ host\","
            "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}");
  /* optional fields absent; the end-of-candidates marker */
  relays_as("{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"\"}",
            "{\"type\":\"candidate\",\"from\":\"" FROM "\",\"candidate\":\"\"}");
  relays_as("{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMLineIndex\":65535}",
            "{\"type\":\"candidate\",\"from\":\"" FROM "\",\"candidate\":\"c\",\"sdpMLineIndex\":65535}");
}

static void sdp_with_ref_and_escapes(void **state) {
  (void)state;
  /* The ref stays between client and server; escapes and UTF-8 pass as they are. */
  relays_as("{\"type\":\"offer\",\"ref\":\"a\\\"b\\\\c\",\"to\":\"" TO "\",\"sdp\":\"v=0\\r\\n\\t\\\"x\\\" \xc3\xa9\xf0\x9f\x98\x80\"}",
            "{\"type\":\"offer\",\"from\":\"" FROM "\",\"sdp\":\"v=0\\r\\n\\t\\\"x\\\" \xc3\xa9\xf0\x9f\x98\x80\"}");
  relays_as("{\"type\":\"answer\",\"to\":\"" TO "\",\"sdp\":\"v=0\"}",
            "{\"type\":\"answer\",\"from\":\"" FROM "\",\"sdp\":\"v=0\"}");
  sky_relay_splice s;
  const char *frame = "{\"type\":\"offer\",\"ref\":\"a\\\"b\",\"to\":\"" TO "\",\"sdp\":\"v\"}";
  assert_true(sky_relay_splice_parse(frame, strlen(frame), MAX_FRAME, &s));
  assert_string_equal(s.ref, "a\"b");
  assert_int_equal(s.type, SKY_MSG_OFFER);
}

/* Spellings the decoder may accept but the fast path leaves to it, and frames
 * nobody may forward. */
static void other_spellings_take_the_slow_path(void **state) {
  (void)state;
  const char *refused[] = {
      /* a client's from: never forwarded, the slow path drops it */
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"from\":\"" TO "\",\"candidate\":\"c\"}",
      /* unknown or repeated fields, other orders, whitespace */
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"evil\":1}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"candidate\":\"d\"}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"sdpMid\":\"0\",\"candidate\":\"c\"}",
      "{\"to\":\"" TO "\",\"type\":\"candidate\",\"candidate\":\"c\"}",
      "{\"type\":\"candidate\", \"to\":\"" TO "\",\"candidate\":\"c\"}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\"} ",
      /* escapes cJSON would not write, raw controls, bad UTF-8 */
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"\\u0041\"}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"\\/\"}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"a\nb\"}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"\xc0\xaf\"}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"\xed\xa0\x80\"}",
      "{\"type\":\"offer\",\"to\":\"" TO "\",\"sdp\":\"\xe2\x82\"}",
      /* values out of bounds or in another spelling */
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMLineIndex\":65536}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMLineIndex\":01}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMLineIndex\":1.0}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMLineIndex\":null}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\",\"sdpMid\":\"\"}",
      "{\"type\":\"offer\",\"to\":\"" TO "\",\"sdp\":\"\"}",
      "{\"type\":\"offer\",\"ref\":\"\",\"to\":\"" TO "\",\"sdp\":\"v\"}",
      "{\"type\":\"offer\",\"ref\":\"\xc3\xa9\",\"to\":\"" TO "\",\"sdp\":\"v\"}",
      /* bad peer ids, missing to, other types, truncation */
      "{\"type\":\"candidate\",\"to\":\"0123456789ABCDEF0123456789abcdef\",\"candidate\":\"c\"}",
      "{\"type\":\"candidate\",\"to\":\"0123\",\"candidate\":\"c\"}",
      "{\"type\":\"candidate\",\"candidate\":\"c\"}",
      "{\"type\":\"message\",\"to\":\"" TO "\",\"content\":1}",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c\"",
      "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"c",
      "",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    if (accepted(refused[i])) fail_msg("accepted: %s", refused[i]);
  }
}

static void bounds(void **state) {
  (void)state;
  /* candidate: 1024 bytes once unescaped; an escape counts as one */
  char frame[4096], text[2100];
  memset(text, 'x', 1024);
  text[1024] = '\0';
  snprintf(frame, sizeof(frame), "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"%s\"}", text);
  assert_true(accepted(frame));
  snprintf(frame, sizeof(frame), "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"%sx\"}", text);
  assert_false(accepted(frame));
  for (int i = 0; i < 1024; i++) memcpy(text + 2 * i, "\\n", 2);
  text[2048] = '\0';
  snprintf(frame, sizeof(frame), "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"%s\"}", text);
  assert_true(accepted(frame));
  /* bytes, not characters: 512 two-byte characters fit, one more byte does not */
  for (int i = 0; i < 512; i++) memcpy(text + 2 * i, "\xc3\xa9", 2);
  text[1024] = '\0';
  snprintf(frame, sizeof(frame), "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"%s\"}", text);
  assert_true(accepted(frame));
  snprintf(frame, sizeof(frame), "{\"type\":\"candidate\",\"to\":\"" TO "\",\"candidate\":\"%sx\"}", text);
  assert_false(accepted(frame));
  /* the frame bound */
  const char *small = "{\"type\":\"answer\",\"to\":\"" TO "\",\"sdp\":\"v=0\"}";
  sky_relay_splice s;
  assert_true(sky_relay_splice_parse(small, strlen(small), strlen(small), &s));
  assert_false(sky_relay_splice_parse(small, strlen(small), strlen(small) - 1, &s));
  /* no terminator is read: a prefix is not a frame */
  assert_false(sky_relay_splice_parse(small, strlen(small) - 1, MAX_FRAME, &s));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(candidate_is_stamped),
      cmocka_unit_test(sdp_with_ref_and_escapes),
      cmocka_unit_test(other_spellings_take_the_slow_path),
      cmocka_unit_test(bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
