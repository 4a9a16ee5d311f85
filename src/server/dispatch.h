/* Message handling: decodes one complete text frame from a client and acts on
 * it (authentication, rooms, relay, ping). Every refusal is an error message
 * carrying the request's ref; only the documented fatal ones close the socket. */
#ifndef SKY_SERVER_DISPATCH_H
#define SKY_SERVER_DISPATCH_H

#include <stddef.h>

#include "connection.h"

void sky_dispatch(sky_conn *c, const char *data, size_t len);

/* Shared with resume_dispatch.c, which puts a resuming peer back into its room. */
/* joined for c (now in its room): everyone else there, with their userData. */
void sky_send_joined(sky_conn *c, const char *ref);
/* Tells the rest of c's room about c and its userData (peer_joined / peer_updated). */
void sky_announce_peer(sky_conn *c, sky_msg_type type);
/* The error for a refused join of `room` (code from sky_room_join). */
void sky_refuse_join(sky_conn *c, const char *ref, const char *room, sky_error_code code);

#endif
