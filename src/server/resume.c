/* Resume tokens: secret, mint, verify. See resume.h for the format. */
#define _GNU_SOURCE /* getrandom() in <sys/random.h> */
#include "resume.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#define MAC_LEN 32     /* HMAC-SHA256 */
#define MAC_B64_LEN 43 /* base64url of 32 bytes, unpadded */
#define ROOM_B64_MAX 86 /* base64url of SKY_ROOM_MAX (64) bytes, unpadded */
#define EXPIRES_DIGITS_MAX 10 /* 4294967295 */
#define MAC_DOMAIN "skymesh-resume-v1" /* followed by its NUL in M */

static void mac_cache_clear(void);

/* ---- secret ------------------------------------------------------------ */

bool sky_resume_secret_load(sky_resume_secret *secret, const char *path, char *err, size_t err_len) {
  memset(secret, 0, sizeof(*secret));
  FILE *f = fopen(path, "rb"); /* owner: here, closed below */
  if (!f) {
    snprintf(err, err_len, "--secret-file %s: cannot open it (%s)", path, strerror(errno));
    return false;
  }
  /* Room for the largest secret plus a "\r\n", and one byte to tell "more". */
  unsigned char raw[SKY_SECRET_MAX + 3];
  size_t n = fread(raw, 1, sizeof(raw), f);
  int read_errno = ferror(f) ? errno : 0;
  fclose(f);
  bool ok = false;
  if (read_errno) {
    snprintf(err, err_len, "--secret-file %s: cannot read it (%s)", path, strerror(read_errno));
    goto done;
  }
  if (n > 0 && raw[n - 1] == '\n') {
    n--;
    if (n > 0 && raw[n - 1] == '\r') n--;
  }
  if (n < SKY_SECRET_MIN) {
    snprintf(err, err_len,
             "--secret-file %s: %zu bytes, a secret needs at least %d (make one with: head -c 32 /dev/urandom > %s)",
             path, n, SKY_SECRET_MIN, path);
    goto done;
  }
  if (n > SKY_SECRET_MAX) {
    snprintf(err, err_len, "--secret-file %s: larger than %d bytes, is it the right file?", path, SKY_SECRET_MAX);
    goto done;
  }
  memcpy(secret->bytes, raw, n);
  secret->len = n;
  ok = true;
done:
  OPENSSL_cleanse(raw, sizeof(raw));
  return ok;
}

bool sky_resume_secret_random(sky_resume_secret *secret) {
  memset(secret, 0, sizeof(*secret));
  size_t got = 0;
  while (got < SKY_SECRET_MIN) {
    ssize_t n = getrandom(secret->bytes + got, SKY_SECRET_MIN - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += (size_t)n;
  }
  secret->len = SKY_SECRET_MIN;
  secret->ephemeral = true;
  return true;
}

void sky_resume_secret_wipe(sky_resume_secret *secret) {
  OPENSSL_cleanse(secret, sizeof(*secret));
  mac_cache_clear(); /* its copy of the key and the states keyed by it */
}

uint64_t sky_resume_now_s(void) {
  time_t t = time(NULL);
  return t < 0 ? 0 : (uint64_t)t;
}

/* ---- base64url, unpadded and strict -------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Writes the encoding of n bytes plus a NUL; out holds (4n + 2) / 3 + 1. */
static size_t b64_encode(const unsigned char *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64[v >> 18 & 63];
    out[o++] = B64[v >> 12 & 63];
    out[o++] = B64[v >> 6 & 63];
    out[o++] = B64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = B64[v >> 18 & 63];
    out[o++] = B64[v >> 12 & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = B64[v >> 18 & 63];
    out[o++] = B64[v >> 12 & 63];
    out[o++] = B64[v >> 6 & 63];
  }
  out[o] = '\0';
  return o;
}

static int b64_value(unsigned char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '-') return 62;
  if (ch == '_') return 63;
  return -1;
}

/* Decodes n characters into at most cap bytes; *out_len gets the count. False
 * for a character outside the alphabet, an impossible length (4k+1), bits left
 * over in the last character (a second spelling of the same bytes), or more
 * than cap bytes. */
static bool b64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *out_len) {
  if (n % 4 == 1) return false;
  size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
  if (need > cap) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value((unsigned char)in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return false; /* leftover bits must be zero */
  *out_len = o;
  return true;
}

/* ---- the MAC ----------------------------------------------------------- */

static size_t put_field(unsigned char *at, const void *bytes, size_t len) {
  at[0] = (unsigned char)(len >> 24);
  at[1] = (unsigned char)(len >> 16);
  at[2] = (unsigned char)(len >> 8);
  at[3] = (unsigned char)len;
  memcpy(at + 4, bytes, len);
  return 4 + len;
}

static bool app_key_valid(const char *app_key) {
  size_t n = strnlen(app_key, SKY_APP_KEY_MAX + 1);
  if (n == 0 || n > SKY_APP_KEY_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if (app_key[i] < 0x20 || app_key[i] > 0x7e) return false;
  return true;
}

/* HMAC-SHA256 keyed once per secret: OpenSSL's EVP_MAC keeps the keyed
 * state, and an init without a key starts the next MAC from it. OpenSSL 3's
 * one-shot HMAC() fetched the algorithm and keyed it again on every call,
 * ~3 us of the ~100 us of server CPU a join costs, and a join mints two
 * tokens. The server has one secret, so one cached context; a caller with
 * another secret (the unit tests) just rebuilds it. Single-threaded, as the
 * whole server is. */
typedef struct mac_key_cache {
  unsigned char key[SKY_SECRET_MAX]; /* the secret ctx was keyed with */
  size_t key_len;                    /* 0: none yet (a loaded secret is never empty) */
  EVP_MAC *hmac;                     /* owner: the cache */
  EVP_MAC_CTX *ctx;                  /* owner: the cache; HMAC-SHA256 keyed with key */
} mac_key_cache;
static mac_key_cache mac_cache;

static void mac_cache_clear(void) {
  EVP_MAC_CTX_free(mac_cache.ctx);
  EVP_MAC_free(mac_cache.hmac);
  OPENSSL_cleanse(&mac_cache, sizeof(mac_cache));
}

static bool mac_cache_for(const sky_resume_secret *secret) {
  if (mac_cache.key_len == secret->len && memcmp(mac_cache.key, secret->bytes, secret->len) == 0) return true;
  mac_cache_clear();
  mac_cache.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  mac_cache.ctx = mac_cache.hmac ? EVP_MAC_CTX_new(mac_cache.hmac) : NULL;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!mac_cache.ctx || EVP_MAC_init(mac_cache.ctx, secret->bytes, secret->len, params) != 1) {
    mac_cache_clear();
    return false;
  }
  memcpy(mac_cache.key, secret->bytes, secret->len);
  mac_cache.key_len = secret->len;
  return true;
}

static bool hmac_sha256(const sky_resume_secret *secret, const unsigned char *msg, size_t len, unsigned char mac[MAC_LEN]) {
  if (!mac_cache_for(secret)) return false;
  size_t n = 0;
  return EVP_MAC_init(mac_cache.ctx, NULL, 0, NULL) == 1 && EVP_MAC_update(mac_cache.ctx, msg, len) == 1 &&
         EVP_MAC_final(mac_cache.ctx, mac, &n, MAC_LEN) == 1 && n == MAC_LEN;
}

/* HMAC-SHA256 over M (see resume.h). Inputs already validated by the caller. */
static bool compute_mac(const sky_resume_secret *secret, const char *app_key, const char *peer_id, const char *room,
                        uint32_t expires, unsigned char mac[MAC_LEN]) {
  unsigned char m[sizeof(MAC_DOMAIN) + 4 + SKY_APP_KEY_MAX + 4 + SKY_PEER_ID_LEN + 4 + SKY_ROOM_MAX + 4];
  size_t n = 0;
  memcpy(m, MAC_DOMAIN, sizeof(MAC_DOMAIN)); /* with its NUL */
  n += sizeof(MAC_DOMAIN);
  n += put_field(m + n, app_key, strlen(app_key));
  n += put_field(m + n, peer_id, SKY_PEER_ID_LEN);
  n += put_field(m + n, room, strlen(room));
  m[n++] = (unsigned char)(expires >> 24);
  m[n++] = (unsigned char)(expires >> 16);
  m[n++] = (unsigned char)(expires >> 8);
  m[n++] = (unsigned char)expires;
  return hmac_sha256(secret, m, n, mac);
}

/* ---- mint -------------------------------------------------------------- */

bool sky_resume_mint(const sky_resume_secret *secret, const char *app_key, const char *peer_id, const char *room,
                     uint32_t expires, char out[SKY_TOKEN_MAX + 1]) {
  out[0] = '\0';
  size_t room_len = strnlen(room, SKY_ROOM_MAX + 1);
  if (secret->len == 0 || !app_key_valid(app_key) || strnlen(peer_id, SKY_PEER_ID_LEN + 1) != SKY_PEER_ID_LEN ||
      !sky_peer_id_valid(peer_id, SKY_PEER_ID_LEN) || (room_len && !sky_room_name_valid(room, room_len)))
    return false;
  unsigned char mac[MAC_LEN];
  if (!compute_mac(secret, app_key, peer_id, room, expires, mac)) return false;
  char room_b64[ROOM_B64_MAX + 1], mac_b64[MAC_B64_LEN + 1];
  b64_encode((const unsigned char *)room, room_len, room_b64);
  b64_encode(mac, MAC_LEN, mac_b64);
  int n = snprintf(out, SKY_TOKEN_MAX + 1, "1.%s.%u.%s.%s", peer_id, (unsigned)expires, room_b64, mac_b64);
  if (n < 0 || n > SKY_TOKEN_MAX) { /* cannot happen: 176 at most */
    out[0] = '\0';
    return false;
  }
  return true;
}

/* ---- verify ------------------------------------------------------------ */

typedef struct span {
  const char *p;
  size_t n;
} span;

/* Exactly five '.'-separated fields, or false. */
static bool split_fields(const char *token, size_t len, span f[5]) {
  size_t start = 0, k = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && token[i] != '.') continue;
    if (k == 5) return false; /* a sixth field */
    f[k].p = token + start;
    f[k].n = i - start;
    k++;
    start = i + 1;
  }
  return k == 5;
}

static bool parse_expires(span s, uint32_t *out) {
  if (s.n == 0 || s.n > EXPIRES_DIGITS_MAX || (s.n > 1 && s.p[0] == '0')) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.p[i] < '0' || s.p[i] > '9') return false;
    v = v * 10 + (uint64_t)(s.p[i] - '0');
  }
  if (v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

sky_resume_verdict sky_resume_verify(const sky_resume_secret *secret, const char *app_key, const char *token,
                                     size_t len, uint64_t now_s, sky_resume_claim *claim) {
  span f[5];
  if (!token || len == 0 || len > SKY_TOKEN_MAX || !split_fields(token, len, f)) return SKY_RESUME_MALFORMED;
  if (f[0].n != 1 || f[0].p[0] != '1') return SKY_RESUME_MALFORMED;

  sky_resume_claim c;
  memset(&c, 0, sizeof(c));
  if (f[1].n != SKY_PEER_ID_LEN || !sky_peer_id_valid(f[1].p, f[1].n)) return SKY_RESUME_MALFORMED;
  memcpy(c.peer_id, f[1].p, SKY_PEER_ID_LEN);
  if (!parse_expires(f[2], &c.expires)) return SKY_RESUME_MALFORMED;
  size_t room_len = 0;
  if (f[3].n > ROOM_B64_MAX || !b64_decode(f[3].p, f[3].n, (unsigned char *)c.room, SKY_ROOM_MAX, &room_len))
    return SKY_RESUME_MALFORMED;
  c.room[room_len] = '\0';
  if (room_len && !sky_room_name_valid(c.room, room_len)) return SKY_RESUME_MALFORMED;
  unsigned char given[MAC_LEN];
  size_t given_len = 0;
  if (f[4].n != MAC_B64_LEN || !b64_decode(f[4].p, f[4].n, given, sizeof(given), &given_len) || given_len != MAC_LEN)
    return SKY_RESUME_MALFORMED;

  if (secret->len == 0 || !app_key || !app_key_valid(app_key)) return SKY_RESUME_BAD_MAC;
  unsigned char expected[MAC_LEN];
  if (!compute_mac(secret, app_key, c.peer_id, c.room, c.expires, expected)) return SKY_RESUME_BAD_MAC;
  if (CRYPTO_memcmp(expected, given, MAC_LEN) != 0) return SKY_RESUME_BAD_MAC;
  if (now_s >= c.expires) return SKY_RESUME_EXPIRED;
  *claim = c;
  return SKY_RESUME_OK;
}

const char *sky_resume_verdict_name(sky_resume_verdict v) {
  switch (v) {
  case SKY_RESUME_OK: return "ok";
  case SKY_RESUME_MALFORMED: return "malformed";
  case SKY_RESUME_BAD_MAC: return "bad mac (forged, another secret or another app key)";
  case SKY_RESUME_EXPIRED: return "expired";
  }
  return "?";
}
