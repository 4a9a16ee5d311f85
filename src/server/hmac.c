/* HMAC-SHA1, base64 and secret files over OpenSSL. See hmac.h. */
#include "hmac.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sky_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   unsigned char out[SKY_SHA1_LEN]) {
  static const unsigned char empty[1] = {0}; /* HMAC() wants a non-NULL key */
  unsigned int n = 0;
  if (key_len > (size_t)0x7fffffff) return false;
  if (!HMAC(EVP_sha1(), key_len ? key : empty, (int)key_len, msg_len ? msg : empty, msg_len, out, &n)) return false;
  return n == SKY_SHA1_LEN;
}

size_t sky_base64(const unsigned char *in, size_t n, char *out) {
  /* EVP_EncodeBlock writes no newlines (unlike the EVP_Encode* stream) and
   * NUL-terminates. Inputs here are digests: far below its int bound. */
  int k = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  return k < 0 ? 0 : (size_t)k;
}

bool sky_hmac_sha1_b64(const void *key, size_t key_len, const void *msg, size_t msg_len,
                       char out[SKY_SHA1_B64_LEN + 1]) {
  unsigned char mac[SKY_SHA1_LEN];
  out[0] = '\0';
  if (!sky_hmac_sha1(key, key_len, msg, msg_len, mac)) return false;
  bool ok = sky_base64(mac, sizeof(mac), out) == SKY_SHA1_B64_LEN;
  OPENSSL_cleanse(mac, sizeof(mac));
  return ok;
}

bool sky_secret_file_read(const char *what, const char *path, size_t min, unsigned char *out, size_t cap,
                          size_t *len, char *err, size_t err_len) {
  *len = 0;
  FILE *f = fopen(path, "rb"); /* owner: here, closed below */
  if (!f) {
    snprintf(err, err_len, "%s %s: cannot open it (%s)", what, path, strerror(errno));
    return false;
  }
  /* Room for the largest secret plus a "\r\n", and one byte to tell "more". */
  size_t raw_cap = cap + 3;
  unsigned char *raw = malloc(raw_cap); /* owner: here, wiped and freed below */
  if (!raw) {
    fclose(f);
    snprintf(err, err_len, "%s %s: out of memory", what, path);
    return false;
  }
  size_t n = fread(raw, 1, raw_cap, f);
  int read_errno = ferror(f) ? errno : 0;
  fclose(f);
  bool ok = false;
  if (read_errno) {
    snprintf(err, err_len, "%s %s: cannot read it (%s)", what, path, strerror(read_errno));
    goto done;
  }
  if (n > 0 && raw[n - 1] == '\n') {
    n--;
    if (n > 0 && raw[n - 1] == '\r') n--;
  }
  if (n < min) {
    snprintf(err, err_len, "%s %s: %zu bytes, a secret needs at least %zu (make one with: openssl rand -hex 32 > %s)",
             what, path, n, min, path);
    goto done;
  }
  if (n > cap) {
    snprintf(err, err_len, "%s %s: larger than %zu bytes, is it the right file?", what, path, cap);
    goto done;
  }
  if (memchr(raw, '\0', n)) {
    snprintf(err, err_len, "%s %s: contains a NUL byte", what, path);
    goto done;
  }
  memcpy(out, raw, n);
  *len = n;
  ok = true;
done:
  OPENSSL_cleanse(raw, raw_cap);
  free(raw);
  return ok;
}
