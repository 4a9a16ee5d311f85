/* Message handling: decodes one complete text frame from a client and acts on
 * it (authentication, rooms, relay, ping). Every refusal is an error message
 * carrying the request's ref; only the documented fatal ones close the socket. */
#ifndef SKY_SERVER_DISPATCH_H
#define SKY_SERVER_DISPATCH_H

#include <stddef.h>

#include "connection.h"

void sky_dispatch(sky_conn *c, const char *data, size_t len);

/* Shared with rooms_backend.c, which ends a join. */
/* The error for a refused join of `room` (code from sky_room_join). */
void sky_refuse_join(sky_conn *c, const char *ref, const char *room, sky_error_code code);

#endif
