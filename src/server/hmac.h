/* The little crypto that TURN REST credentials (turn.h) and SkylinkJS
 * credentials (credentials.h) share: HMAC-SHA1, standard base64 (with '='
 * padding) and shared secrets read from files. All of it is OpenSSL's
 * (HMAC(), EVP_EncodeBlock()); nothing here is hand-rolled crypto.
 *
 * Both schemes are fixed by others (coturn's use-auth-secret, SkylinkJS 0.6),
 * which is why this is SHA-1: as an HMAC it is still sound, and it is what
 * the other side computes. */
#ifndef SKY_SERVER_HMAC_H
#define SKY_SERVER_HMAC_H

#include <stdbool.h>
#include <stddef.h>

#define SKY_SHA1_LEN 20
#define SKY_SHA1_B64_LEN 28 /* base64 of 20 bytes: 27 characters and one '=' */

/* HMAC-SHA1(key, msg) into out. False only when OpenSSL fails. */
bool sky_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   unsigned char out[SKY_SHA1_LEN]);

/* Standard base64 (RFC 4648 section 4, padded) of n bytes, NUL-terminated.
 * out holds 4 * ceil(n / 3) + 1 bytes; returns the length written. */
size_t sky_base64(const unsigned char *in, size_t n, char *out);

/* base64(HMAC-SHA1(key, msg)): the credential of both schemes. */
bool sky_hmac_sha1_b64(const void *key, size_t key_len, const void *msg, size_t msg_len,
                       char out[SKY_SHA1_B64_LEN + 1]);

/* Reads a shared secret from path into out (cap bytes): the file's bytes with
 * one trailing "\n" or "\r\n" removed, min..cap bytes, no NUL byte. `what`
 * names the option in the message put in err on failure ("--turn-secret-file"). */
bool sky_secret_file_read(const char *what, const char *path, size_t min, unsigned char *out, size_t cap,
                          size_t *len, char *err, size_t err_len);

#endif
