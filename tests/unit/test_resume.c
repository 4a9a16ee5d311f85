/* Resume tokens (src/server/resume.c): mint / verify round trips, every field
 * tampered with, the expiry boundary on an injected clock, the longest room,
 * malformed input, and loading the secret. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../src/server/resume.h"

#define ID_A "0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210"
#define KEY "app key"
#define EXP 1767225600u /* 2026-01-01 */
#define LONG_ROOM "@:.-_ 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuz" /* 64 bytes */

static sky_resume_secret SECRET;

static void secret_of(sky_resume_secret *s, unsigned char fill) {
  memset(s, 0, sizeof(*s));
  memset(s->bytes, fill, 32);
  s->len = 32;
}

static int setup(void **state) {
  (void)state;
  secret_of(&SECRET, 0x5a);
  return 0;
}

/* Verifies a NUL-terminated token from an exact-size heap copy, so ASan sees
 * any read past len. */
static sky_resume_verdict verify_n(const sky_resume_secret *s, const char *key, const char *token, size_t len,
                                   uint64_t now, sky_resume_claim *claim) {
  char *copy = malloc(len ? len : 1); /* owner: here */
  assert_non_null(copy);
  memcpy(copy, token, len);
  sky_resume_verdict v = sky_resume_verify(s, key, copy, len, now, claim);
  free(copy);
  return v;
}

static sky_resume_verdict verify(const char *token, uint64_t now, sky_resume_claim *claim) {
  return verify_n(&SECRET, KEY, token, strlen(token), now, claim);
}

static void mint(const char *id, const char *room, uint32_t expires, char out[SKY_TOKEN_MAX + 1]) {
  assert_true(sky_resume_mint(&SECRET, KEY, id, room, expires, out));
}

static void test_round_trip(void **state) {
  (void)state;
  static const char *const rooms[] = {"", "lobby", "a", LONG_ROOM};
  for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
    char t[SKY_TOKEN_MAX + 1];
    mint(ID_A, rooms[i], EXP, t);
    size_t n = strlen(t);
    assert_true(n > 0 && n <= SKY_TOKEN_MAX);
    for (size_t k = 0; k < n; k++) assert_true(t[k] >= 0x21 && t[k] <= 0x7e); /* printable, no space */
    assert_memory_equal(t, "1." ID_A ".1767225600.", strlen("1." ID_A ".1767225600."));
    sky_resume_claim c;
    assert_int_equal(verify(t, EXP - 100, &c), SKY_RESUME_OK);
    assert_string_equal(c.peer_id, ID_A);
    assert_string_equal(c.room, rooms[i]);
    assert_int_equal(c.expires, EXP);
  }
  /* the longest room gives the longest token: well within the bound */
  char t[SKY_TOKEN_MAX + 1];
  mint(ID_A, LONG_ROOM, UINT32_MAX, t);
  assert_int_equal(strlen(LONG_ROOM), SKY_ROOM_MAX);
  assert_int_equal(strlen(t), 176);
  sky_resume_claim c;
  assert_int_equal(verify(t, EXP, &c), SKY_RESUME_OK);
  assert_int_equal(c.expires, UINT32_MAX);
  assert_string_equal(c.room, LONG_ROOM);
  /* same inputs, same token; any input changed, another token */
  char u[SKY_TOKEN_MAX + 1];
  mint(ID_A, "lobby", EXP, t);
  mint(ID_A, "lobby", EXP, u);
  assert_string_equal(t, u);
  mint(ID_A, "lobby", EXP + 1, u);
  assert_string_not_equal(t, u);
}

/* Replaces field k (0-based, '.'-separated) of token with value. */
static void with_field(const char *token, int k, const char *value, char out[512]) {
  char copy[SKY_TOKEN_MAX + 1];
  snprintf(copy, sizeof(copy), "%s", token);
  out[0] = '\0';
  char *save = NULL, *f = strtok_r(copy, ".", &save);
  /* strtok_r skips empty fields: tokens here always have a room */
  for (int i = 0; f; i++, f = strtok_r(NULL, ".", &save)) {
    if (i) strcat(out, ".");
    strcat(out, i == k ? value : f);
  }
}

static void test_each_field_tampered(void **state) {
  (void)state;
  char t[SKY_TOKEN_MAX + 1], other[SKY_TOKEN_MAX + 1], bad[512];
  sky_resume_claim c;
  mint(ID_A, "lobby", EXP, t);
  assert_int_equal(verify(t, 0, &c), SKY_RESUME_OK);
  /* a valid-looking value in each field, the MAC kept: refused */
  with_field(t, 0, "2", bad);
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_MALFORMED);
  with_field(t, 1, ID_B, bad);
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_BAD_MAC);
  with_field(t, 2, "1767225601", bad);
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_BAD_MAC);
  with_field(t, 2, "4294967295", bad);
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_BAD_MAC);
  with_field(t, 3, "bG9iYng", bad); /* "lobbx": a different room */
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_BAD_MAC);
  mint(ID_A, "lobbx", EXP, other); /* another token's (valid) MAC */
  with_field(t, 4, strrchr(other, '.') + 1, bad);
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_BAD_MAC);
  /* the claim moved into the room "" */
  snprintf(bad, sizeof(bad), "1.%s.1767225600..%s", ID_A, strrchr(t, '.') + 1);
  assert_int_equal(verify(bad, 0, &c), SKY_RESUME_BAD_MAC);
  /* another application key, another secret */
  assert_int_equal(verify_n(&SECRET, "other key", t, strlen(t), 0, &c), SKY_RESUME_BAD_MAC);
  assert_int_equal(verify_n(&SECRET, "app keY", t, strlen(t), 0, &c), SKY_RESUME_BAD_MAC);
  sky_resume_secret s2;
  secret_of(&s2, 0x5b);
  assert_int_equal(verify_n(&s2, KEY, t, strlen(t), 0, &c), SKY_RESUME_BAD_MAC);
  sky_resume_secret none;
  memset(&none, 0, sizeof(none));
  assert_int_equal(verify_n(&none, KEY, t, strlen(t), 0, &c), SKY_RESUME_BAD_MAC);
}

/* Every single-character change of a valid token, to every printable
 * character, is refused: no second spelling exists (leftover base64 bits,
 * leading zeros and padding are all refused). */
static void test_every_character_matters(void **state) {
  (void)state;
  static const char *const rooms[] = {"", "lobby", "ab", LONG_ROOM};
  for (size_t r = 0; r < sizeof(rooms) / sizeof(rooms[0]); r++) {
    char t[SKY_TOKEN_MAX + 1];
    mint(ID_A, rooms[r], EXP, t);
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) {
      char orig = t[i];
      for (int ch = 0x20; ch <= 0x7e; ch++) {
        if (ch == orig) continue;
        t[i] = (char)ch;
        sky_resume_claim c;
        assert_int_not_equal(verify(t, 0, &c), SKY_RESUME_OK);
      }
      t[i] = orig;
    }
    sky_resume_claim c;
    assert_int_equal(verify(t, 0, &c), SKY_RESUME_OK);
    /* and every truncation, every extension */
    for (size_t len = 0; len < n; len++) assert_int_not_equal(verify_n(&SECRET, KEY, t, len, 0, &c), SKY_RESUME_OK);
    for (int ch = 0x20; ch <= 0x7e; ch++) {
      char longer[SKY_TOKEN_MAX + 2];
      snprintf(longer, sizeof(longer), "%s%c", t, ch);
      assert_int_not_equal(verify(longer, 0, &c), SKY_RESUME_OK);
    }
  }
}

static void test_expiry_boundary(void **state) {
  (void)state;
  char t[SKY_TOKEN_MAX + 1];
  sky_resume_claim c;
  mint(ID_B, "r", EXP, t);
  assert_int_equal(verify(t, 0, &c), SKY_RESUME_OK);
  assert_int_equal(verify(t, EXP - 1, &c), SKY_RESUME_OK);
  memset(&c, 0x7f, sizeof(c));
  assert_int_equal(verify(t, EXP, &c), SKY_RESUME_EXPIRED);
  assert_int_equal((unsigned char)c.peer_id[0], 0x7f); /* claim untouched when refused */
  assert_int_equal(verify(t, EXP + 1, &c), SKY_RESUME_EXPIRED);
  assert_int_equal(verify(t, UINT64_MAX, &c), SKY_RESUME_EXPIRED);
  mint(ID_B, "", 0, t);
  assert_int_equal(verify(t, 0, &c), SKY_RESUME_EXPIRED);
  mint(ID_B, "", UINT32_MAX, t);
  assert_int_equal(verify(t, (uint64_t)UINT32_MAX - 1, &c), SKY_RESUME_OK);
  assert_int_equal(verify(t, UINT32_MAX, &c), SKY_RESUME_EXPIRED);
  /* the clock the server uses is the wall clock */
  uint64_t now = sky_resume_now_s();
  assert_true(now > EXP - 86400 * 365);
}

static void test_mint_refuses_bad_input(void **state) {
  (void)state;
  char t[SKY_TOKEN_MAX + 1];
  char long_key[SKY_APP_KEY_MAX + 2];
  memset(long_key, 'k', sizeof(long_key) - 1);
  long_key[sizeof(long_key) - 1] = '\0';
  assert_false(sky_resume_mint(&SECRET, KEY, "0123456789ABCDEF0123456789abcdef", "r", EXP, t));
  assert_string_equal(t, "");
  assert_false(sky_resume_mint(&SECRET, KEY, "0123", "r", EXP, t));
  assert_false(sky_resume_mint(&SECRET, KEY, ID_A "0", "r", EXP, t));
  assert_false(sky_resume_mint(&SECRET, KEY, ID_A, "bad room ", EXP, t));
  assert_false(sky_resume_mint(&SECRET, KEY, ID_A, LONG_ROOM "x", EXP, t));
  assert_false(sky_resume_mint(&SECRET, "", ID_A, "r", EXP, t));
  assert_false(sky_resume_mint(&SECRET, "caf\xc3\xa9", ID_A, "r", EXP, t));
  assert_false(sky_resume_mint(&SECRET, long_key, ID_A, "r", EXP, t));
  long_key[SKY_APP_KEY_MAX] = '\0'; /* exactly the maximum: fine */
  assert_true(sky_resume_mint(&SECRET, long_key, ID_A, "r", EXP, t));
  sky_resume_claim c;
  assert_int_equal(verify_n(&SECRET, long_key, t, strlen(t), 0, &c), SKY_RESUME_OK);
  sky_resume_secret none;
  memset(&none, 0, sizeof(none));
  assert_false(sky_resume_mint(&none, KEY, ID_A, "r", EXP, t));
}

static void test_malformed(void **state) {
  (void)state;
  sky_resume_claim c;
  char t[SKY_TOKEN_MAX + 1];
  mint(ID_A, "lobby", EXP, t);
  const char *mac = strrchr(t, '.') + 1;
  char buf[600];
  static const char *const junk[] = {
      "", ".", "....", ".....", "1....", "1", "x", "1.2.3.4.5",
      "1." ID_A ".1767225600.bG9iYnk.", /* no MAC */
      "1." ID_A "..bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* no expiry */
      "1." ID_A ".01767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* leading zero */
      "1." ID_A ".+1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "1." ID_A ".4294967296.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 2^32 */
      "1." ID_A ".99999999999999999999999.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "1." ID_A ".1767225600.bG9iYnk=.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* padding */
      "1." ID_A ".1767225600.bG9iYnl.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* leftover bits */
      "1." ID_A ".1767225600.b.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 4k+1 characters */
      "1." ID_A ".1767225600.bG9i+nk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* not base64url */
      "1." ID_A ".1767225600.YmFkIHJvb20g.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* "bad room " */
      "1." ID_A ".1767225600.AA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* a NUL in the room */
      "1." ID_A ".1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* MAC 42 chars */
      "1." ID_A ".1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* MAC 44 chars */
      "1." ID_A ".1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", /* leftover MAC bits */
      "1.0123456789ABCDEF0123456789ABCDEF.1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "1.0123456789abcdef.1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "01." ID_A ".1767225600.bG9iYnk.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  };
  for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
    sky_resume_verdict v = verify(junk[i], 0, &c);
    if (v != SKY_RESUME_MALFORMED) fail_msg("junk %zu (%s): %s", i, junk[i], sky_resume_verdict_name(v));
  }
  /* a room of 65 bytes, correctly encoded */
  snprintf(buf, sizeof(buf), "1.%s.1767225600.%s.%s", ID_A,
           "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE", mac);
  assert_int_equal(verify(buf, 0, &c), SKY_RESUME_MALFORMED);
  /* longer than SKY_TOKEN_MAX, even if it starts right */
  snprintf(buf, sizeof(buf), "%s", t);
  memset(buf + strlen(t), 'A', 300);
  buf[strlen(t) + 300] = '\0';
  assert_int_equal(verify(buf, 0, &c), SKY_RESUME_MALFORMED);
  /* a NUL inside the given length */
  char nul[SKY_TOKEN_MAX + 1];
  memcpy(nul, t, strlen(t) + 1);
  nul[10] = '\0';
  assert_int_equal(verify_n(&SECRET, KEY, nul, strlen(t), 0, &c), SKY_RESUME_MALFORMED);
  /* the token followed by unrelated bytes: only len counts */
  assert_int_equal(verify_n(&SECRET, KEY, t, strlen(t), 0, &c), SKY_RESUME_OK);
  assert_int_equal(sky_resume_verify(&SECRET, KEY, NULL, 0, 0, &c), SKY_RESUME_MALFORMED);
  assert_int_equal(sky_resume_verify(&SECRET, NULL, t, strlen(t), 0, &c), SKY_RESUME_BAD_MAC);
}

/* ---- the secret ---------------------------------------------------------- */

static char DIR_PATH[64];

static const char *write_file(const char *name, const void *bytes, size_t len) {
  static char path[128];
  snprintf(path, sizeof(path), "%s/%s", DIR_PATH, name);
  FILE *f = fopen(path, "wb"); /* owner: here */
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, len, f), len);
  fclose(f);
  return path;
}

static void test_secret_file(void **state) {
  (void)state;
  snprintf(DIR_PATH, sizeof(DIR_PATH), "/tmp/skymesh-secret-XXXXXX");
  assert_non_null(mkdtemp(DIR_PATH));
  sky_resume_secret s;
  char err[512];
  unsigned char bytes[SKY_SECRET_MAX + 8];
  memset(bytes, 'x', sizeof(bytes));

  assert_false(sky_resume_secret_load(&s, write_file("short", bytes, 31), err, sizeof(err)));
  assert_non_null(strstr(err, "31 bytes, a secret needs at least 32"));
  memcpy(bytes + 31, "\n", 1);
  assert_false(sky_resume_secret_load(&s, write_file("short-nl", bytes, 32), err, sizeof(err)));
  memset(bytes, 'x', sizeof(bytes));

  assert_true(sky_resume_secret_load(&s, write_file("exact", bytes, 32), err, sizeof(err)));
  assert_int_equal(s.len, 32);
  assert_false(s.ephemeral);
  bytes[32] = '\n';
  assert_true(sky_resume_secret_load(&s, write_file("nl", bytes, 33), err, sizeof(err)));
  assert_int_equal(s.len, 32);
  bytes[32] = '\r';
  bytes[33] = '\n';
  assert_true(sky_resume_secret_load(&s, write_file("crlf", bytes, 34), err, sizeof(err)));
  assert_int_equal(s.len, 32);
  bytes[33] = '\r'; /* "\r\r": a lone "\r" is no line ending, both are kept */
  assert_true(sky_resume_secret_load(&s, write_file("cr", bytes, 34), err, sizeof(err)));
  assert_int_equal(s.len, 34);
  memset(bytes, 0, sizeof(bytes)); /* binary secrets are fine */
  assert_true(sky_resume_secret_load(&s, write_file("zeros", bytes, 64), err, sizeof(err)));
  assert_int_equal(s.len, 64);

  memset(bytes, 'x', sizeof(bytes));
  assert_true(sky_resume_secret_load(&s, write_file("max", bytes, SKY_SECRET_MAX), err, sizeof(err)));
  assert_int_equal(s.len, SKY_SECRET_MAX);
  bytes[SKY_SECRET_MAX] = '\r';
  bytes[SKY_SECRET_MAX + 1] = '\n';
  assert_true(sky_resume_secret_load(&s, write_file("max-crlf", bytes, SKY_SECRET_MAX + 2), err, sizeof(err)));
  assert_int_equal(s.len, SKY_SECRET_MAX);
  memset(bytes, 'x', sizeof(bytes));
  assert_false(sky_resume_secret_load(&s, write_file("big", bytes, SKY_SECRET_MAX + 1), err, sizeof(err)));
  assert_non_null(strstr(err, "larger than"));
  assert_int_equal(s.len, 0);

  assert_false(sky_resume_secret_load(&s, "/nonexistent/skymesh-secret", err, sizeof(err)));
  assert_non_null(strstr(err, "cannot open"));
  assert_false(sky_resume_secret_load(&s, DIR_PATH, err, sizeof(err)));
  assert_non_null(strstr(err, "cannot read"));

  /* tokens of one file verify with the same file loaded again (a restart) */
  sky_resume_secret a, b;
  assert_true(sky_resume_secret_load(&a, write_file("k1", bytes, 40), err, sizeof(err)));
  assert_true(sky_resume_secret_load(&b, write_file("k1", bytes, 40), err, sizeof(err)));
  char t[SKY_TOKEN_MAX + 1];
  sky_resume_claim c;
  assert_true(sky_resume_mint(&a, KEY, ID_A, "r", EXP, t));
  assert_int_equal(sky_resume_verify(&b, KEY, t, strlen(t), 0, &c), SKY_RESUME_OK);
  sky_resume_secret_wipe(&a);
  assert_int_equal(a.len, 0);
  assert_false(sky_resume_mint(&a, KEY, ID_A, "r", EXP, t));

  static const char *const names[] = {"short", "short-nl", "exact", "nl", "crlf", "cr", "zeros", "max", "max-crlf", "big", "k1"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", DIR_PATH, names[i]);
    unlink(path);
  }
  rmdir(DIR_PATH);
}

static void test_random_secret(void **state) {
  (void)state;
  sky_resume_secret a, b;
  assert_true(sky_resume_secret_random(&a));
  assert_true(sky_resume_secret_random(&b));
  assert_int_equal(a.len, SKY_SECRET_MIN);
  assert_true(a.ephemeral);
  assert_memory_not_equal(a.bytes, b.bytes, SKY_SECRET_MIN);
  /* a token of one random secret means nothing to another (a restart) */
  char t[SKY_TOKEN_MAX + 1];
  sky_resume_claim c;
  assert_true(sky_resume_mint(&a, KEY, ID_A, "", EXP, t));
  assert_int_equal(sky_resume_verify(&a, KEY, t, strlen(t), 0, &c), SKY_RESUME_OK);
  assert_int_equal(sky_resume_verify(&b, KEY, t, strlen(t), 0, &c), SKY_RESUME_BAD_MAC);
}

/* The MAC is the cached-key HMAC-SHA256 of resume.c; OpenSSL's one-shot HMAC()
 * over the M of resume.h must give the same bytes, for keys shorter than,
 * equal to and longer than SHA-256's block (a long key is hashed first), and
 * with secrets alternating (each switch rebuilds the cached key). */
static void b64url(const unsigned char *in, size_t n, char *out) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = A[v >> 18 & 63];
    out[o++] = A[v >> 12 & 63];
    if (i + 1 < n) out[o++] = A[v >> 6 & 63];
    if (i + 2 < n) out[o++] = A[v & 63];
  }
  out[o] = 0;
}

static size_t put(unsigned char *at, const char *s, size_t n) {
  at[0] = (unsigned char)(n >> 24); at[1] = (unsigned char)(n >> 16); at[2] = (unsigned char)(n >> 8); at[3] = (unsigned char)n;
  memcpy(at + 4, s, n);
  return 4 + n;
}

static void expect_openssl_mac(const sky_resume_secret *s, const char *room) {
  char t[SKY_TOKEN_MAX + 1];
  assert_true(sky_resume_mint(s, KEY, ID_A, room, EXP, t));
  unsigned char m[256];
  size_t n = sizeof("skymesh-resume-v1");
  memcpy(m, "skymesh-resume-v1", n);
  n += put(m + n, KEY, strlen(KEY));
  n += put(m + n, ID_A, strlen(ID_A));
  n += put(m + n, room, strlen(room));
  m[n++] = (unsigned char)(EXP >> 24); m[n++] = (unsigned char)(EXP >> 16); m[n++] = (unsigned char)(EXP >> 8); m[n++] = (unsigned char)EXP;
  unsigned char mac[32];
  unsigned int mac_len = 0;
  assert_non_null(HMAC(EVP_sha256(), s->bytes, (int)s->len, m, n, mac, &mac_len));
  assert_int_equal(mac_len, 32);
  char want[64];
  b64url(mac, sizeof(mac), want);
  assert_string_equal(strrchr(t, '.') + 1, want);
}

static void test_mac_is_hmac_sha256(void **state) {
  (void)state;
  static const size_t lengths[] = {32, 63, 64, 65, 200, SKY_SECRET_MAX};
  sky_resume_secret *s = calloc(1, sizeof(*s)); /* owner: here */
  assert_non_null(s);
  for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
    memset(s, 0, sizeof(*s));
    for (size_t k = 0; k < lengths[i]; k++) s->bytes[k] = (unsigned char)(k * 7 + i);
    s->len = lengths[i];
    expect_openssl_mac(s, "");
    expect_openssl_mac(&SECRET, "lobby"); /* back and forth between two secrets */
    expect_openssl_mac(s, LONG_ROOM);
  }
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_round_trip, setup),
      cmocka_unit_test_setup(test_each_field_tampered, setup),
      cmocka_unit_test_setup(test_every_character_matters, setup),
      cmocka_unit_test_setup(test_expiry_boundary, setup),
      cmocka_unit_test_setup(test_mint_refuses_bad_input, setup),
      cmocka_unit_test_setup(test_malformed, setup),
      cmocka_unit_test_setup(test_secret_file, setup),
      cmocka_unit_test_setup(test_random_secret, setup),
      cmocka_unit_test_setup(test_mac_is_hmac_sha256, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
