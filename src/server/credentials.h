/* SkylinkJS credentials (SkylinkJS 0.6, source/room-init.js): how an
 * application key that has a shared secret proves that the app's own server
 * allowed this client into one room for a window of time.
 *
 *   credentials = encodeURIComponent(base64(HMAC-SHA1(secret,
 *                     room + "_" + duration + "_" + startDateTime)))
 *
 *   room           SkylinkJS's defaultRoom (hello.room)
 *   duration       hours, a JS number, as JS writes it ("2", "0.5"): hello.credDuration
 *   startDateTime  ISO-8601, e.g. new Date().toISOString(): hello.credStart
 *
 * The server checks the HMAC (constant time), then the window: the start may
 * be at most SKY_CRED_SKEW_MS in the future, and start + duration must not
 * be past. On success the connection is bound to the room. The HMAC is over
 * the three texts exactly as sent, so the room, the duration and the start
 * are all bound: none can be changed or replayed for another room.
 * No libwebsockets here: unit tests and fuzzers link it alone. */
#ifndef SKY_SERVER_CREDENTIALS_H
#define SKY_SERVER_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmac.h"
#include "protocol.h"

#define SKY_CRED_SKEW_MS 60000         /* a start this far in the future is still accepted */
#define SKY_CRED_DURATION_MAX_H 87600u /* ten years: longer is a mistake, not a meeting */
#define SKY_CRED_SECRET_MIN 16
#define SKY_CRED_SECRET_MAX 4096
/* the credentials as sent: base64, or its encodeURIComponent form where each
 * '+', '/' and '=' is three characters */
#define SKY_CRED_TEXT_MAX (3 * SKY_SHA1_B64_LEN)

typedef enum sky_cred_verdict {
  SKY_CRED_OK = 0,
  SKY_CRED_MISSING,      /* a field is absent: the key needs all four */
  SKY_CRED_BAD_ROOM,     /* room is not a valid room name */
  SKY_CRED_BAD_START,    /* credStart is not an ISO-8601 date-time with a zone */
  SKY_CRED_BAD_DURATION, /* credDuration is not a decimal number of hours in range */
  SKY_CRED_BAD_ENCODING, /* credentials is not (URI-encoded) base64 of 20 bytes */
  SKY_CRED_BAD_MAC,      /* forged, another secret, or another room / duration / start */
  SKY_CRED_NOT_YET,      /* start more than SKY_CRED_SKEW_MS ahead */
  SKY_CRED_EXPIRED,      /* start + duration is past */
} sky_cred_verdict;

/* What the client sent (hello fields, NUL-terminated; "" = absent). */
typedef struct sky_cred_claim {
  const char *room;
  const char *start;
  const char *duration;
  const char *credentials;
} sky_cred_claim;

/* Verifies claim against secret at wall-clock time now_ms (unix ms). The
 * checks run in the order of the verdicts above; the first failure is
 * returned. *window_end_ms (may be NULL) gets start + duration whenever both
 * parsed. */
sky_cred_verdict sky_cred_verify(const unsigned char *secret, size_t secret_len, const sky_cred_claim *claim,
                                 int64_t now_ms, int64_t *window_end_ms);

/* The error code a verdict is sent with: SKY_ERR_INVALID_CREDENTIALS, or
 * SKY_ERR_CREDENTIALS_EXPIRED for NOT_YET and EXPIRED. */
sky_error_code sky_cred_verdict_code(sky_cred_verdict v);
/* A message for the client saying which check failed (never the expected
 * HMAC), for error.message. */
void sky_cred_describe(sky_cred_verdict v, int64_t start_ms, int64_t end_ms, int64_t now_ms, char *out, size_t len);

/* Parsers, exposed for tests. ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)",
 * years 1970..9999, to unix ms (fraction truncated to ms). */
bool sky_cred_parse_start(const char *text, int64_t *ms);
/* "H" or "H.F": digits only, no sign or exponent, at most 9 fraction digits,
 * 0 < hours <= SKY_CRED_DURATION_MAX_H; to ms (truncated). */
bool sky_cred_parse_duration(const char *text, int64_t *ms);

/* base64(HMAC-SHA1(secret, room "_" duration "_" start)), not URI-encoded.
 * Texts are used as given: the caller validates them. */
bool sky_cred_compute(const unsigned char *secret, size_t secret_len, const char *room, const char *duration,
                      const char *start, char out[SKY_SHA1_B64_LEN + 1]);

/* The mint command (skymesh-server --mint-credentials): credentials for room
 * lasting duration hours from start (NULL = now_ms, written as JS's
 * toISOString does), as the JSON object SkylinkJS's init() takes:
 * {"startDateTime":"...","duration":N,"credentials":"..."} with the
 * credentials URI-encoded. duration is written the way JS writes the number
 * ("2.50" becomes 2.5) and the HMAC covers that text, so what the browser
 * computes from the JSON matches. False with a message in err for a bad room,
 * duration or start. */
bool sky_cred_mint_json(const unsigned char *secret, size_t secret_len, const char *room, const char *duration,
                        const char *start, int64_t now_ms, char *out, size_t out_len, char *err, size_t err_len);

/* Wall-clock unix milliseconds. */
int64_t sky_cred_now_ms(void);

#endif
