/* SkylinkJS credentials (src/server/credentials.c): fixed vectors computed
 * independently with
 *   printf %s "$room_$duration_$start" | openssl dgst -sha1 -hmac "$secret" -binary | base64
 * both spellings (URI-encoded or not), every field tampered with, the window
 * on an injected clock (expired, not yet, the skew), malformed dates and
 * durations, the mint command's JSON, and the secret file of an app key. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/credentials.h"

#define SECRET "app-secret-0123456789"
#define START "2026-01-01T00:00:00.000Z"
#define START_MS 1767225600000LL
#define HOUR_MS 3600000LL
/* openssl: "lobby_2_" START, "lobby_0.5_" START, "lobby_2.5_" START */
#define CRED_2H "5lQeVmHspj86inkOQhm7iVZmnYg="
#define CRED_2H_URI "5lQeVmHspj86inkOQhm7iVZmnYg%3D"
#define CRED_HALF "xXy0W3vB67FH71hPNPZhO0PxDrE="
#define CRED_2_5 "uuos+2fq7iuTt9JjFdzdpOTivvs="
#define CRED_2_5_URI "uuos%2B2fq7iuTt9JjFdzdpOTivvs%3D"

static const unsigned char *S = (const unsigned char *)SECRET;
#define SLEN (sizeof(SECRET) - 1)

/* Verifies from exact-size heap copies of each field, so ASan sees any read
 * past a terminator. */
static char *dup_s(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  assert_non_null(d);
  memcpy(d, s, n);
  return d;
}

static sky_cred_verdict verify_at(const char *room, const char *start, const char *duration, const char *cred,
                                  int64_t now_ms, int64_t *end_ms) {
  char *r = dup_s(room), *st = dup_s(start), *du = dup_s(duration), *cr = dup_s(cred);
  sky_cred_claim claim = {r, st, du, cr};
  sky_cred_verdict v = sky_cred_verify(S, SLEN, &claim, now_ms, end_ms);
  free(r); free(st); free(du); free(cr);
  return v;
}

static sky_cred_verdict verify(const char *room, const char *start, const char *duration, const char *cred) {
  return verify_at(room, start, duration, cred, START_MS + 1000, NULL);
}

static void test_fixed_vectors(void **state) {
  (void)state;
  char out[SKY_SHA1_B64_LEN + 1];
  assert_true(sky_cred_compute(S, SLEN, "lobby", "2", START, out));
  assert_string_equal(out, CRED_2H);
  assert_true(sky_cred_compute(S, SLEN, "lobby", "0.5", START, out));
  assert_string_equal(out, CRED_HALF);
  assert_true(sky_cred_compute(S, SLEN, "lobby", "2.5", START, out));
  assert_string_equal(out, CRED_2_5);
  int64_t end = 0;
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, START_MS, &end), SKY_CRED_OK);
  assert_int_equal(end, START_MS + 2 * HOUR_MS);
  assert_int_equal(verify_at("lobby", START, "0.5", CRED_HALF, START_MS, &end), SKY_CRED_OK);
  assert_int_equal(end, START_MS + HOUR_MS / 2);
}

static void test_uri_encoded_or_not(void **state) {
  (void)state;
  assert_int_equal(verify("lobby", START, "2", CRED_2H), SKY_CRED_OK);
  assert_int_equal(verify("lobby", START, "2", CRED_2H_URI), SKY_CRED_OK);
  assert_int_equal(verify("lobby", START, "2", "5lQeVmHspj86inkOQhm7iVZmnYg%3d"), SKY_CRED_OK); /* lowercase hex */
  assert_int_equal(verify("lobby", START, "2.5", CRED_2_5), SKY_CRED_OK);
  assert_int_equal(verify("lobby", START, "2.5", CRED_2_5_URI), SKY_CRED_OK);
  assert_int_equal(verify("lobby", START, "2.5", "uuos%2B2fq7iuTt9JjFdzdpOTivvs="), SKY_CRED_OK); /* half and half */
  /* other escapes, broken escapes, wrong lengths, no padding, bad characters */
  static const char *const bad[] = {
      "5lQeVmHspj86inkOQhm7iVZmnYg",   "5lQeVmHspj86inkOQhm7iVZmnYg==", "5lQeVmHspj86inkOQhm7iVZmnYg%",
      "5lQeVmHspj86inkOQhm7iVZmnYg%3", "5lQeVmHspj86inkOQhm7iVZmnYg%41", "5lQeVmHspj86inkOQhm7iVZmnY%67=",
      "5lQeVmHspj86inkOQhm7iVZmnY-g=", "5lQeVmHspj86inkOQhm7iVZmn_Yg=", "5lQeVmHspj86inkOQhm7iVZmn=Yg=",
      "uuos 2fq7iuTt9JjFdzdpOTivvs=",  "%",                             "=",
      "5lQeVmHspj86inkOQhm7iVZmnYg=5lQeVmHspj86inkOQhm7iVZmnYg=",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (verify("lobby", START, "2", bad[i]) != SKY_CRED_BAD_ENCODING) fail_msg("accepted encoding '%s'", bad[i]);
  }
  /* the longest legal spelling: every character escaped that can be */
  assert_int_equal(verify("lobby", START, "2", "%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%3D"),
                   SKY_CRED_BAD_MAC);
  assert_int_equal(verify("lobby", START, "2", "%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%2B%3D"),
                   SKY_CRED_BAD_ENCODING);
}

static void test_tampered(void **state) {
  (void)state;
  /* the HMAC binds all three texts and the secret */
  assert_int_equal(verify("lobbY", START, "2", CRED_2H), SKY_CRED_BAD_MAC);
  assert_int_equal(verify("other room", START, "2", CRED_2H), SKY_CRED_BAD_MAC); /* replay in another room */
  assert_int_equal(verify("lobby", START, "3", CRED_2H), SKY_CRED_BAD_MAC);
  assert_int_equal(verify("lobby", START, "2.0", CRED_2H), SKY_CRED_BAD_MAC); /* same hours, other text */
  assert_int_equal(verify("lobby", "2026-01-01T00:00:00.001Z", "2", CRED_2H), SKY_CRED_BAD_MAC);
  assert_int_equal(verify("lobby", "2026-01-01T00:00:00Z", "2", CRED_2H), SKY_CRED_BAD_MAC);
  assert_int_equal(verify("lobby", START, "2", CRED_HALF), SKY_CRED_BAD_MAC); /* another genuine MAC */
  /* each character of the credential changed (to another base64 one) */
  for (size_t i = 0; i < SKY_SHA1_B64_LEN - 1; i++) {
    char c[SKY_SHA1_B64_LEN + 1];
    memcpy(c, CRED_2H, sizeof(c));
    c[i] = c[i] == 'A' ? 'B' : 'A';
    assert_int_equal(verify("lobby", START, "2", c), SKY_CRED_BAD_MAC);
  }
  /* another secret */
  sky_cred_claim claim = {"lobby", START, "2", CRED_2H};
  assert_int_equal(sky_cred_verify((const unsigned char *)"app-secret-0123456780", SLEN, &claim, START_MS, NULL),
                   SKY_CRED_BAD_MAC);
  assert_int_equal(sky_cred_verify(S, SLEN - 1, &claim, START_MS, NULL), SKY_CRED_BAD_MAC);
  assert_int_equal(sky_cred_verify(S, 0, &claim, START_MS, NULL), SKY_CRED_BAD_MAC);
}

static void test_window(void **state) {
  (void)state;
  int64_t end = START_MS + 2 * HOUR_MS;
  /* before the start: up to the skew is fine */
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, START_MS - SKY_CRED_SKEW_MS, NULL), SKY_CRED_OK);
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, START_MS - SKY_CRED_SKEW_MS - 1, NULL), SKY_CRED_NOT_YET);
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, START_MS - 24 * HOUR_MS, NULL), SKY_CRED_NOT_YET);
  /* inside, then the last ms, then over */
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, START_MS + HOUR_MS, NULL), SKY_CRED_OK);
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, end - 1, NULL), SKY_CRED_OK);
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, end, NULL), SKY_CRED_EXPIRED);
  assert_int_equal(verify_at("lobby", START, "2", CRED_2H, end + 365 * 24 * HOUR_MS, NULL), SKY_CRED_EXPIRED);
  assert_int_equal(verify_at("lobby", START, "0.5", CRED_HALF, START_MS + HOUR_MS / 2, NULL), SKY_CRED_EXPIRED);
  /* the window is checked only once the MAC holds: a forgery is never "expired" */
  assert_int_equal(verify_at("lobby", START, "2", CRED_HALF, end, NULL), SKY_CRED_BAD_MAC);
  /* verdict -> error code */
  assert_int_equal(sky_cred_verdict_code(SKY_CRED_OK), SKY_ERR_NONE);
  assert_int_equal(sky_cred_verdict_code(SKY_CRED_EXPIRED), SKY_ERR_CREDENTIALS_EXPIRED);
  assert_int_equal(sky_cred_verdict_code(SKY_CRED_NOT_YET), SKY_ERR_CREDENTIALS_EXPIRED);
  for (sky_cred_verdict v = SKY_CRED_MISSING; v <= SKY_CRED_BAD_MAC; v++)
    assert_int_equal(sky_cred_verdict_code(v), SKY_ERR_INVALID_CREDENTIALS);
}

static void test_missing_and_malformed(void **state) {
  (void)state;
  assert_int_equal(verify("", START, "2", CRED_2H), SKY_CRED_MISSING);
  assert_int_equal(verify("lobby", "", "2", CRED_2H), SKY_CRED_MISSING);
  assert_int_equal(verify("lobby", START, "", CRED_2H), SKY_CRED_MISSING);
  assert_int_equal(verify("lobby", START, "2", ""), SKY_CRED_MISSING);
  assert_int_equal(verify(NULL, START, "2", CRED_2H), SKY_CRED_MISSING);
  assert_int_equal(verify("lobby ", START, "2", CRED_2H), SKY_CRED_BAD_ROOM);
  assert_int_equal(verify("lob/by", START, "2", CRED_2H), SKY_CRED_BAD_ROOM);
  static const char *const bad_starts[] = {
      "2026-01-01T00:00:00.000",       "2026-01-01 00:00:00Z",        "2026-01-01t00:00:00Z",
      "2026-01-01",                    "2026-13-01T00:00:00Z",        "2026-00-01T00:00:00Z",
      "2026-02-29T00:00:00Z",          "2026-04-31T00:00:00Z",        "2026-01-01T24:00:00Z",
      "2026-01-01T00:60:00Z",          "2026-01-01T00:00:60Z",        "1969-12-31T23:59:59Z",
      "2026-01-01T00:00:00.Z",         "2026-01-01T00:00:00.0000000000Z", "2026-01-01T00:00:00+0100",
      "2026-01-01T00:00:00+24:00",     "2026-01-01T00:00:00+01:60",   "2026-01-01T00:00:00Zx",
      "+02026-01-01T00:00:00Z",        "2026-1-01T00:00:00Z",         "2026-01-01T00:00:00 Z",
      "yesterday",                     "2026-01-01T00:00:00-01:00x",  "2026-01-01T00:00:0aZ",
  };
  for (size_t i = 0; i < sizeof(bad_starts) / sizeof(bad_starts[0]); i++) {
    int64_t ms;
    if (sky_cred_parse_start(bad_starts[i], &ms)) fail_msg("parsed start '%s'", bad_starts[i]);
    assert_int_equal(verify("lobby", bad_starts[i], "2", CRED_2H), SKY_CRED_BAD_START);
  }
  static const char *const bad_durations[] = {"0", "0.0", "-1", "+1", "1e2", "1.", ".5", "1.5.5", "0x10", "1 ",
                                              " 1", "Infinity", "NaN", "87600.000000001", "87601", "1000000",
                                              "0.0000000001", "1,5", "0.0000000000"};
  for (size_t i = 0; i < sizeof(bad_durations) / sizeof(bad_durations[0]); i++) {
    int64_t ms;
    if (sky_cred_parse_duration(bad_durations[i], &ms)) fail_msg("parsed duration '%s'", bad_durations[i]);
    assert_int_equal(verify("lobby", START, bad_durations[i], CRED_2H), SKY_CRED_BAD_DURATION);
  }
  /* a malformed date wins over a malformed duration: the first failed check */
  assert_int_equal(verify("lobby", "x", "x", "x"), SKY_CRED_BAD_START);
  assert_int_equal(verify("lobby", START, "x", "x"), SKY_CRED_BAD_DURATION);
  assert_int_equal(verify("lobby", START, "2", "x"), SKY_CRED_BAD_ENCODING);
}

static void test_parsers(void **state) {
  (void)state;
  int64_t ms;
  assert_true(sky_cred_parse_start("1970-01-01T00:00:00Z", &ms));
  assert_int_equal(ms, 0);
  assert_true(sky_cred_parse_start(START, &ms));
  assert_int_equal(ms, START_MS);
  assert_true(sky_cred_parse_start("2026-01-01T00:00:00.5Z", &ms));
  assert_int_equal(ms, START_MS + 500);
  assert_true(sky_cred_parse_start("2026-01-01T00:00:00.123456789Z", &ms)); /* truncated to ms */
  assert_int_equal(ms, START_MS + 123);
  assert_true(sky_cred_parse_start("2026-01-01T01:30:00+01:30", &ms));
  assert_int_equal(ms, START_MS);
  assert_true(sky_cred_parse_start("2025-12-31T22:00:00-02:00", &ms));
  assert_int_equal(ms, START_MS);
  assert_true(sky_cred_parse_start("2024-02-29T12:00:00Z", &ms)); /* leap year */
  assert_int_equal(ms, 1709208000000LL);
  assert_true(sky_cred_parse_start("2000-02-29T00:00:00Z", &ms));
  assert_int_equal(ms, 951782400000LL);
  assert_false(sky_cred_parse_start("2100-02-29T00:00:00Z", &ms));
  assert_true(sky_cred_parse_start("9999-12-31T23:59:59.999Z", &ms));
  assert_int_equal(ms, 253402300799999LL);

  assert_true(sky_cred_parse_duration("2", &ms));
  assert_int_equal(ms, 2 * HOUR_MS);
  assert_true(sky_cred_parse_duration("0.5", &ms));
  assert_int_equal(ms, HOUR_MS / 2);
  assert_true(sky_cred_parse_duration("1.25", &ms));
  assert_int_equal(ms, HOUR_MS + HOUR_MS / 4);
  assert_false(sky_cred_parse_duration("0.000000001", &ms)); /* 3.6 microseconds: 0 ms, no window */
  assert_true(sky_cred_parse_duration("0.000001", &ms));
  assert_int_equal(ms, 3);
  assert_true(sky_cred_parse_duration("87600", &ms));
  assert_int_equal(ms, 87600 * HOUR_MS);
  assert_true(sky_cred_parse_duration("002", &ms)); /* the HMAC binds the text: leniency costs nothing */
}

static void test_describe(void **state) {
  (void)state;
  char out[SKY_ERROR_TEXT_MAX + 1];
  for (sky_cred_verdict v = SKY_CRED_OK; v <= SKY_CRED_EXPIRED; v++) {
    sky_cred_describe(v, START_MS, START_MS + 2 * HOUR_MS, START_MS, out, sizeof(out));
    assert_true(strlen(out) > 10);
    assert_null(strstr(out, CRED_2H)); /* never the expected MAC */
  }
  sky_cred_describe(SKY_CRED_NOT_YET, START_MS + 120000, 0, START_MS, out, sizeof(out));
  assert_string_equal(out, "credStart is 120 s in the future (at most 60 s of clock difference is allowed)");
  sky_cred_describe(SKY_CRED_EXPIRED, 0, START_MS, START_MS + 5000, out, sizeof(out));
  assert_string_equal(out, "the credentials expired 5 s ago (credStart + credDuration)");
  sky_cred_describe(SKY_CRED_BAD_START, 0, 0, 0, out, sizeof(out));
  assert_non_null(strstr(out, "credStart"));
  sky_cred_describe(SKY_CRED_BAD_DURATION, 0, 0, 0, out, sizeof(out));
  assert_non_null(strstr(out, "credDuration"));
  sky_cred_describe(SKY_CRED_BAD_MAC, 0, 0, 0, out, sizeof(out));
  assert_non_null(strstr(out, "do not match"));
}

static void test_mint(void **state) {
  (void)state;
  char json[512], err[256];
  assert_true(sky_cred_mint_json(S, SLEN, "lobby", "2", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_string_equal(json, "{\"startDateTime\":\"" START "\",\"duration\":2,\"credentials\":\"" CRED_2H_URI "\"}");
  /* the duration as JS writes the number, and the HMAC over that text */
  assert_true(sky_cred_mint_json(S, SLEN, "lobby", "02.500", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_string_equal(json, "{\"startDateTime\":\"" START "\",\"duration\":2.5,\"credentials\":\"" CRED_2_5_URI "\"}");
  assert_true(sky_cred_mint_json(S, SLEN, "lobby", "0.50", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_non_null(strstr(json, "\"duration\":0.5,"));
  assert_true(sky_cred_mint_json(S, SLEN, "lobby", "2.0", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_non_null(strstr(json, "\"duration\":2,\"credentials\":\"" CRED_2H_URI "\""));
  /* start defaults to the clock, written as toISOString does */
  assert_true(sky_cred_mint_json(S, SLEN, "lobby", "2", NULL, START_MS, json, sizeof(json), err, sizeof(err)));
  assert_string_equal(json, "{\"startDateTime\":\"" START "\",\"duration\":2,\"credentials\":\"" CRED_2H_URI "\"}");
  assert_true(sky_cred_mint_json(S, SLEN, "lobby", "2", NULL, START_MS + 7, json, sizeof(json), err, sizeof(err)));
  assert_non_null(strstr(json, "\"2026-01-01T00:00:00.007Z\""));
  /* what it mints verifies */
  assert_true(sky_cred_mint_json(S, SLEN, "a b", "0.000001", "2026-01-01T01:00:00+01:00", 0, json, sizeof(json), err,
                                 sizeof(err)));
  assert_non_null(strstr(json, "\"duration\":0.000001,"));
  const char *c = strstr(json, "\"credentials\":\"") + strlen("\"credentials\":\"");
  char cred[SKY_CRED_TEXT_MAX + 1];
  snprintf(cred, sizeof(cred), "%.*s", (int)(strchr(c, '"') - c), c);
  assert_int_equal(verify_at("a b", "2026-01-01T01:00:00+01:00", "0.000001", cred, START_MS, NULL), SKY_CRED_OK);
  /* refused: bad room, durations (JS would write 1e-7), start */
  assert_false(sky_cred_mint_json(S, SLEN, "bad room ", "2", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_non_null(strstr(err, "room"));
  assert_false(sky_cred_mint_json(S, SLEN, "lobby", "0.0000001", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_false(sky_cred_mint_json(S, SLEN, "lobby", "0", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_false(sky_cred_mint_json(S, SLEN, "lobby", "1e3", START, 0, json, sizeof(json), err, sizeof(err)));
  assert_non_null(strstr(err, "duration"));
  assert_false(sky_cred_mint_json(S, SLEN, "lobby", "2", "2026-01-01", 0, json, sizeof(json), err, sizeof(err)));
  assert_non_null(strstr(err, "start"));
  assert_false(sky_cred_mint_json(S, SLEN, "lobby", "2", START, 0, json, 40, err, sizeof(err)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixed_vectors),   cmocka_unit_test(test_uri_encoded_or_not),
      cmocka_unit_test(test_tampered),        cmocka_unit_test(test_window),
      cmocka_unit_test(test_missing_and_malformed), cmocka_unit_test(test_parsers),
      cmocka_unit_test(test_describe),        cmocka_unit_test(test_mint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
