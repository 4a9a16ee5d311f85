/* TURN REST credentials (src/server/turn.c) and the HMAC-SHA1 / base64 under
 * them (src/server/hmac.c): RFC 2202's HMAC-SHA1 test cases, a fixed
 * username / credential pair computed independently with
 *   printf %s "$user" | openssl dgst -sha1 -hmac "$secret" -binary | base64
 * the iceServers JSON on an injected clock, URI validation and the secret file. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/server/turn.h"

#define PEER "0123456789abcdef0123456789abcdef"
#define SECRET "turnsecret-0123456789abcdef"
#define NOW 1767139200u /* 2025-12-31T00:00:00Z */
/* openssl: user "1767225600:" PEER, SECRET */
#define USER_1D "1767225600:" PEER
#define CRED_1D "GDUBSMWxsGjS8YMF/p9IGAXu1sM="

/* ---- HMAC-SHA1: RFC 2202 section 3 ---------------------------------------- */

static void hex_of(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static void check_hmac(const void *key, size_t key_len, const void *msg, size_t msg_len, const char *hex) {
  unsigned char mac[SKY_SHA1_LEN];
  char got[2 * SKY_SHA1_LEN + 1];
  assert_true(sky_hmac_sha1(key, key_len, msg, msg_len, mac));
  hex_of(mac, sizeof(mac), got);
  assert_string_equal(got, hex);
}

static void test_rfc2202(void **state) {
  (void)state;
  unsigned char k[80], d[80];
  memset(k, 0x0b, 20);
  check_hmac(k, 20, "Hi There", 8, "b617318655057264e28bc0b6fb378c8ef146be00");
  check_hmac("Jefe", 4, "what do ya want for nothing?", 28, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  memset(k, 0xaa, 20);
  memset(d, 0xdd, 50);
  check_hmac(k, 20, d, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  for (int i = 0; i < 25; i++) k[i] = (unsigned char)(i + 1);
  memset(d, 0xcd, 50);
  check_hmac(k, 25, d, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
  memset(k, 0x0c, 20);
  check_hmac(k, 20, "Test With Truncation", 20, "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04");
  memset(k, 0xaa, 80);
  check_hmac(k, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
             "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  check_hmac(k, 80, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 73,
             "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

static void test_base64(void **state) {
  (void)state;
  /* RFC 4648 section 10 */
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char out[16];
    assert_int_equal(sky_base64((const unsigned char *)plain[i], strlen(plain[i]), out), strlen(enc[i]));
    assert_string_equal(out, enc[i]);
  }
  char b64[SKY_SHA1_B64_LEN + 1];
  assert_true(sky_hmac_sha1_b64("Jefe", 4, "what do ya want for nothing?", 28, b64));
  assert_string_equal(b64, "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

/* ---- the TURN REST scheme --------------------------------------------------- */

static void turn_of(sky_turn *t) {
  sky_turn_init(t);
  memcpy(t->secret, SECRET, strlen(SECRET));
  t->secret_len = strlen(SECRET);
}

static void add(sky_turn *t, const char *uri) {
  char err[512];
  assert_true(sky_turn_add_uri(t, uri, err, sizeof(err)));
}

static void test_fixed_vector(void **state) {
  (void)state;
  char user[SKY_TURN_USERNAME_MAX + 1], cred[SKY_SHA1_B64_LEN + 1];
  assert_true(sky_turn_username(PEER, 1767225600u, user));
  assert_string_equal(user, USER_1D);
  assert_true(sky_turn_credential((const unsigned char *)SECRET, strlen(SECRET), user, cred));
  assert_string_equal(cred, CRED_1D);
  /* one character of the username or the secret changed: another credential */
  user[0] = '2';
  assert_true(sky_turn_credential((const unsigned char *)SECRET, strlen(SECRET), user, cred));
  assert_string_not_equal(cred, CRED_1D);
  assert_true(sky_turn_credential((const unsigned char *)"turnsecret-0123456789abcdeF", strlen(SECRET), USER_1D, cred));
  assert_string_not_equal(cred, CRED_1D);
  /* no secret, bad peer ids */
  assert_false(sky_turn_credential((const unsigned char *)SECRET, 0, USER_1D, cred));
  assert_false(sky_turn_username("0123456789ABCDEF0123456789abcdef", 1, user));
  assert_false(sky_turn_username("0123456789abcdef", 1, user));
  assert_false(sky_turn_username(PEER "0", 1, user));
  /* the widest expiry fits */
  assert_true(sky_turn_username(PEER, UINT64_MAX, user));
  assert_string_equal(user, "18446744073709551615:" PEER);
}

static void test_ice_servers_json(void **state) {
  (void)state;
  sky_turn t;
  turn_of(&t);
  t.ttl_s = 86400;
  add(&t, "stun:stun.example.com");
  add(&t, "turn:turn.example.com:3478?transport=udp");
  add(&t, "stun:[2001:db8::1]:3478");
  add(&t, "turns:turn.example.com:5349?transport=tcp");
  uint64_t expires = 0;
  char *json = sky_turn_ice_servers(&t, PEER, NOW, &expires);
  assert_non_null(json);
  assert_int_equal(expires, NOW + 86400);
  assert_string_equal(json,
                      "[{\"urls\":[\"stun:stun.example.com\",\"stun:[2001:db8::1]:3478\"]},"
                      "{\"urls\":[\"turn:turn.example.com:3478?transport=udp\",\"turns:turn.example.com:5349?transport=tcp\"],"
                      "\"username\":\"" USER_1D "\",\"credential\":\"" CRED_1D "\"}]");
  free(json);
  /* the clock moved: a later expiry, another credential */
  json = sky_turn_ice_servers(&t, PEER, NOW + 1, &expires);
  assert_int_equal(expires, NOW + 86401);
  assert_non_null(strstr(json, "\"username\":\"1767225601:" PEER "\""));
  assert_null(strstr(json, CRED_1D));
  free(json);
  /* the ttl sets the expiry */
  t.ttl_s = 60;
  json = sky_turn_ice_servers(&t, PEER, NOW, &expires);
  assert_int_equal(expires, NOW + 60);
  free(json);
  /* a bad peer id gives nothing */
  assert_null(sky_turn_ice_servers(&t, "nope", NOW, NULL));
  sky_turn_wipe(&t);
  assert_int_equal(t.secret_len, 0);
}

static void test_only_stun_or_only_turn(void **state) {
  (void)state;
  sky_turn t;
  sky_turn_init(&t);
  assert_false(sky_turn_enabled(&t));
  assert_null(sky_turn_ice_servers(&t, PEER, NOW, NULL));
  add(&t, "stun:127.0.0.1:3478");
  char *json = sky_turn_ice_servers(&t, PEER, NOW, NULL);
  assert_string_equal(json, "[{\"urls\":[\"stun:127.0.0.1:3478\"]}]"); /* no credentials for STUN */
  free(json);
  turn_of(&t);
  add(&t, "turn:127.0.0.1");
  json = sky_turn_ice_servers(&t, PEER, NOW, NULL);
  cJSON *list = cJSON_Parse(json);
  assert_non_null(list);
  assert_int_equal(cJSON_GetArraySize(list), 1);
  cJSON *e = cJSON_GetArrayItem(list, 0);
  assert_string_equal(cJSON_GetObjectItem(e, "username")->valuestring, USER_1D);
  assert_string_equal(cJSON_GetObjectItem(e, "credential")->valuestring, CRED_1D);
  assert_null(strstr(json, SECRET)); /* the secret never leaves */
  cJSON_Delete(list);
  free(json);
}

static void test_uris(void **state) {
  (void)state;
  static const char *const good[] = {
      "stun:stun.l.google.com:19302", "stun:127.0.0.1", "turn:127.0.0.1:3478", "turn:h?transport=udp",
      "turn:h?transport=tcp", "turns:turn.example.com:443?transport=tcp", "turn:[::1]:3478?transport=udp",
      "turn:[2001:db8::1]", "turn:a-b.c-d.example", "turn:x:65535", "turn:x:1", "turns:123.example",
  };
  static const char *const bad[] = {
      "", "turn:", "stun:", "http://h", "TURN:h", "turn://h", "turn:h:0", "turn:h:65536", "turn:h:03478", "turn:h:",
      "turn:h:34a", "turn:h?transport=sctp", "turn:h?transport=udp&x=1", "turn:h?", "stun:h?transport=udp",
      "turn:-h", "turn:h-", "turn:h..x", "turn:.h", "turn:h.", "turn:under_score", "turn:user@h", "turn:h/path",
      "turn:[::1", "turn:[::g]", "turn:[::1]x", "turn:::1", "turn:999.1.1.1", "turn:1.2.3", "turn:h h", "turn:h\"",
      "turn:h\\", "stuns:h", "turn:h:3478:1",
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    sky_turn t;
    char err[512];
    sky_turn_init(&t);
    if (!sky_turn_add_uri(&t, good[i], err, sizeof(err))) fail_msg("refused '%s': %s", good[i], err);
  }
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    sky_turn t;
    char err[512] = "";
    sky_turn_init(&t);
    if (sky_turn_add_uri(&t, bad[i], err, sizeof(err))) fail_msg("accepted '%s'", bad[i]);
    assert_true(err[0] != '\0');
  }
  /* the longest accepted, one more refused; a label of 63, not 64 */
  char uri[SKY_TURN_URI_MAX + 2], err[512];
  sky_turn t;
  sky_turn_init(&t);
  memset(uri, 'a', sizeof(uri));
  memcpy(uri, "turn:", 5);
  for (size_t i = 5 + 63; i < SKY_TURN_URI_MAX; i += 64) uri[i] = '.';
  uri[SKY_TURN_URI_MAX] = '\0';
  assert_true(sky_turn_add_uri(&t, uri, err, sizeof(err)));
  uri[SKY_TURN_URI_MAX] = 'a';
  uri[SKY_TURN_URI_MAX + 1] = '\0';
  assert_false(sky_turn_add_uri(&t, uri, err, sizeof(err)));
  assert_false(sky_turn_add_uri(&t, "turn:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", err, sizeof(err)));
  /* a duplicate, and too many */
  sky_turn_init(&t);
  add(&t, "turn:h");
  assert_false(sky_turn_add_uri(&t, "turn:h", err, sizeof(err)));
  for (int i = 1; i < SKY_TURN_URIS_MAX; i++) {
    char u[32];
    snprintf(u, sizeof(u), "turn:h%d", i);
    add(&t, u);
  }
  assert_false(sky_turn_add_uri(&t, "turn:one-more", err, sizeof(err)));
}

/* ---- configuration checks and the secret file --------------------------------- */

static char DIR_PATH[] = "/tmp/skymesh-test-turn-XXXXXX";

static const char *write_file(const char *name, const void *bytes, size_t n) {
  static char path[256];
  snprintf(path, sizeof(path), "%s/%s", DIR_PATH, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, n, f), n);
  fclose(f);
  return path;
}

static void test_secret_file_and_check(void **state) {
  (void)state;
  assert_non_null(mkdtemp(DIR_PATH));
  sky_turn t;
  char err[768];
  sky_turn_init(&t);
  assert_true(sky_turn_load_secret(&t, write_file("nl", SECRET "\n", strlen(SECRET) + 1), err, sizeof(err)));
  assert_int_equal(t.secret_len, strlen(SECRET));
  assert_memory_equal(t.secret, SECRET, strlen(SECRET));
  assert_true(sky_turn_load_secret(&t, write_file("crlf", SECRET "\r\n", strlen(SECRET) + 2), err, sizeof(err)));
  assert_int_equal(t.secret_len, strlen(SECRET));
  assert_true(sky_turn_load_secret(&t, write_file("plain", SECRET, strlen(SECRET)), err, sizeof(err)));
  assert_int_equal(t.secret_len, strlen(SECRET));
  /* too short, a space inside, a binary byte, missing */
  assert_false(sky_turn_load_secret(&t, write_file("short", "0123456789abcde\n", 16), err, sizeof(err)));
  assert_non_null(strstr(err, "at least 16"));
  assert_int_equal(t.secret_len, 0);
  assert_false(sky_turn_load_secret(&t, write_file("space", "0123456789 abcdef", 17), err, sizeof(err)));
  assert_false(sky_turn_load_secret(&t, write_file("bin", "0123456789abcdef\x01", 17), err, sizeof(err)));
  assert_false(sky_turn_load_secret(&t, write_file("nul", "0123456789abcdef\0x", 18), err, sizeof(err)));
  char big[SKY_TURN_SECRET_MAX + 1];
  memset(big, 'x', sizeof(big));
  assert_false(sky_turn_load_secret(&t, write_file("big", big, sizeof(big)), err, sizeof(err)));
  assert_true(sky_turn_load_secret(&t, write_file("max", big, SKY_TURN_SECRET_MAX), err, sizeof(err)));
  assert_false(sky_turn_load_secret(&t, "/nonexistent/turn-secret", err, sizeof(err)));
  assert_non_null(strstr(err, "--turn-secret-file"));

  /* turn: needs the secret; the secret needs a turn:; stun: alone needs none */
  sky_turn_init(&t);
  assert_true(sky_turn_check(&t, err, sizeof(err)));
  add(&t, "stun:h");
  assert_true(sky_turn_check(&t, err, sizeof(err)));
  add(&t, "turns:h");
  assert_false(sky_turn_check(&t, err, sizeof(err)));
  assert_non_null(strstr(err, "--turn-secret-file"));
  turn_of(&t);
  assert_false(sky_turn_check(&t, err, sizeof(err)));
  add(&t, "turn:h");
  assert_true(sky_turn_check(&t, err, sizeof(err)));

  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", DIR_PATH);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc2202),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_fixed_vector),
      cmocka_unit_test(test_ice_servers_json),
      cmocka_unit_test(test_only_stun_or_only_turn),
      cmocka_unit_test(test_uris),
      cmocka_unit_test(test_secret_file_and_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
