/* TURN REST credentials: the ICE servers every authenticated peer is handed
 * (welcome.iceServers, then ice_servers before they expire), in the scheme
 * coturn implements with use-auth-secret / static-auth-secret
 * (draft-uberti-behave-turn-rest):
 *
 *   username   = EXPIRY ":" PEERID      EXPIRY: unix seconds, now + --turn-ttl
 *   credential = base64(HMAC-SHA1(secret, username))
 *
 * coturn recomputes the credential from the username with the same secret and
 * refuses it once EXPIRY is past, so nothing is stored per peer on either side
 * and the secret never leaves the two servers. stun: URIs need no credentials.
 * No libwebsockets here: unit tests and fuzzers link it alone. */
#ifndef SKY_SERVER_TURN_H
#define SKY_SERVER_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmac.h"
#include "protocol.h"

#define SKY_TURN_URI_MAX 200 /* bytes in one --turn-uri */
#define SKY_TURN_URIS_MAX 8  /* --turn-uri given at most this often */
#define SKY_TURN_SECRET_MIN 16
#define SKY_TURN_SECRET_MAX 512 /* coturn's own bound for static-auth-secret */
#define SKY_TURN_TTL_DEFAULT 86400u
#define SKY_TURN_TTL_MIN 60u
#define SKY_TURN_TTL_MAX 604800u
/* "4294967295:" + a peer id */
#define SKY_TURN_USERNAME_MAX (20 + 1 + SKY_PEER_ID_LEN)

/* The operator's TURN configuration. Lives inside sky_config: no heap. */
typedef struct sky_turn {
  char uris[SKY_TURN_URIS_MAX][SKY_TURN_URI_MAX + 1];
  bool relay[SKY_TURN_URIS_MAX]; /* turn: / turns: (with credentials), else stun: */
  size_t uri_count;
  unsigned char secret[SKY_TURN_SECRET_MAX]; /* coturn's static-auth-secret */
  size_t secret_len;                         /* 0 = none loaded */
  uint32_t ttl_s;                            /* credential lifetime */
} sky_turn;

void sky_turn_init(sky_turn *t);

/* Adds one --turn-uri: "stun:HOST[:PORT]", "turn:HOST[:PORT][?transport=udp|tcp]"
 * or "turns:HOST[:PORT][?transport=udp|tcp]", HOST a DNS name, an IPv4 address
 * or a bracketed IPv6 address. False with a message in err otherwise. */
bool sky_turn_add_uri(sky_turn *t, const char *uri, char *err, size_t err_len);
/* --turn-secret-file: the file's bytes, one trailing newline removed,
 * SKY_TURN_SECRET_MIN..SKY_TURN_SECRET_MAX printable ASCII without spaces
 * (it must also fit coturn's static-auth-secret). */
bool sky_turn_load_secret(sky_turn *t, const char *path, char *err, size_t err_len);
/* After parsing: a turn:/turns: URI needs the secret, and a secret needs one. */
bool sky_turn_check(const sky_turn *t, char *err, size_t err_len);

/* Any --turn-uri given: peers get iceServers. */
bool sky_turn_enabled(const sky_turn *t);

/* username "EXPIRY:PEERID" into out; false for an invalid peer id. */
bool sky_turn_username(const char *peer_id, uint64_t expires, char out[SKY_TURN_USERNAME_MAX + 1]);
/* base64(HMAC-SHA1(secret, username)); false without a secret. */
bool sky_turn_credential(const unsigned char *secret, size_t secret_len, const char *username,
                         char out[SKY_SHA1_B64_LEN + 1]);

/* The RTCIceServer list for peer_id at unix time now_s, as compact JSON (heap,
 * the caller frees): [{"urls":[stun...]}, {"urls":[turn...], "username",
 * "credential"}], each entry present only when it has URIs, in the order the
 * URIs were given. *expires (may be NULL) gets the credentials' expiry. NULL
 * when TURN is not enabled, out of memory, or for an invalid peer id. */
char *sky_turn_ice_servers(const sky_turn *t, const char *peer_id, uint64_t now_s, uint64_t *expires);

/* Overwrites the secret (at exit). */
void sky_turn_wipe(sky_turn *t);

#endif
