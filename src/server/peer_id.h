/* Peer ids: 128 bits from the kernel's CSPRNG, as 32 lowercase hex digits.
 * Unguessable, so knowing the room name is not enough to address a peer. */
#ifndef SKY_SERVER_PEER_ID_H
#define SKY_SERVER_PEER_ID_H

#include <stdbool.h>

#include "protocol.h"

/* Fills out (SKY_PEER_ID_LEN + 1 bytes) with a fresh id. False when the
 * kernel cannot supply randomness: the caller refuses the connection. */
bool sky_peer_id_generate(char out[SKY_PEER_ID_LEN + 1]);

#endif
