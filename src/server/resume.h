/* Resume tokens: a signed claim "this application key's peer <id> was in room
 * <room>, until <expires>", so that a client that lost its socket gets its peer
 * id (and room) back. docs/resilience.md has the design; nothing is stored per
 * token: any server holding the same secret accepts it.
 *
 * Wire format (printable ASCII, at most 176 bytes, well under SKY_TOKEN_MAX):
 *
 *   1.<peerId>.<expires>.<room>.<mac>
 *
 *   1        format version
 *   peerId   32 lowercase hex digits
 *   expires  unix seconds, decimal, no leading zero, at most 2^32-1
 *   room     base64url (no padding) of the room name; empty for no room
 *   mac      base64url (no padding) of HMAC-SHA256(secret, M), 43 characters
 *
 *   M = "skymesh-resume-v1" NUL, then the application key, the peer id and the
 *       room each as a 4-byte big-endian length and its bytes, then expires as
 *       4 bytes big-endian. Every field has its length: no two different claims
 *       share an M.
 *
 * Every token has exactly one valid spelling (the decoder refuses leftover
 * base64 bits, leading zeros, padding), so changing any character of a valid
 * token makes it invalid. */
#ifndef SKY_SERVER_RESUME_H
#define SKY_SERVER_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define SKY_SECRET_MIN 32   /* bytes: a shorter --secret-file is refused */
#define SKY_SECRET_MAX 4096 /* bytes: a longer one is most likely the wrong file */
#define SKY_DEFAULT_RESUME_TTL_S 600u

/* The operator's signing key. Lives inside sky_config: no heap. */
typedef struct sky_resume_secret {
  unsigned char bytes[SKY_SECRET_MAX];
  size_t len;     /* 0 = not loaded */
  bool ephemeral; /* random at start: tokens die with the process */
} sky_resume_secret;

/* Reads the secret from path: the file's bytes, one trailing "\n" or "\r\n"
 * stripped, SKY_SECRET_MIN..SKY_SECRET_MAX bytes. False with a message in err
 * when the file cannot be read or has the wrong size. */
bool sky_resume_secret_load(sky_resume_secret *secret, const char *path, char *err, size_t err_len);
/* SKY_SECRET_MIN bytes from getrandom(2); false when the kernel has none. */
bool sky_resume_secret_random(sky_resume_secret *secret);
/* Overwrites the secret (at exit). */
void sky_resume_secret_wipe(sky_resume_secret *secret);

/* Writes the token for (app_key, peer_id, room, expires) to out. room is ""
 * for no room. False (out = "") when an argument is not valid (peer id, room
 * name, app key of 1..SKY_APP_KEY_MAX printable ASCII) or no secret is loaded. */
bool sky_resume_mint(const sky_resume_secret *secret, const char *app_key, const char *peer_id, const char *room,
                     uint32_t expires, char out[SKY_TOKEN_MAX + 1]);

typedef enum sky_resume_verdict {
  SKY_RESUME_OK = 0,
  SKY_RESUME_MALFORMED, /* not a token of this format */
  SKY_RESUME_BAD_MAC,   /* forged, or signed with another secret or for another app key */
  SKY_RESUME_EXPIRED,   /* genuine, but now >= expires */
} sky_resume_verdict;

/* A token's claim, filled only when it verifies. */
typedef struct sky_resume_claim {
  char peer_id[SKY_PEER_ID_LEN + 1];
  char room[SKY_ROOM_MAX + 1]; /* "" = no room */
  uint32_t expires;
} sky_resume_claim;

/* Checks token (len bytes, need not be NUL-terminated; any bytes at all) for
 * app_key at unix time now_s: its form, its MAC (compared in constant time),
 * then its expiry. Fills *claim only on SKY_RESUME_OK. */
sky_resume_verdict sky_resume_verify(const sky_resume_secret *secret, const char *app_key, const char *token,
                                     size_t len, uint64_t now_s, sky_resume_claim *claim);

const char *sky_resume_verdict_name(sky_resume_verdict v);

/* Wall-clock unix seconds (tokens outlive processes, so not monotonic). */
uint64_t sky_resume_now_s(void);

#endif
