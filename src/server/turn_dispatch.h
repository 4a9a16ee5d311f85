/* TURN credentials on the wire: the iceServers list in welcome (fresh on
 * every welcome, so every resume gets fresh ones too) and an ice_servers
 * message once the last ones are half their lifetime old. The scheme and the
 * crypto are in turn.h. */
#ifndef SKY_SERVER_TURN_DISPATCH_H
#define SKY_SERVER_TURN_DISPATCH_H

#include "connection.h"

/* The iceServers JSON for c (heap, the caller frees) with credentials valid
 * for --turn-ttl from now, and notes the time in c->turn_ms. NULL when no
 * --turn-uri is configured (or out of memory: logged, the peer then gets
 * none rather than no welcome). */
char *sky_turn_ice_servers_for(sky_conn *c);

/* From the keepalive timer: sends ice_servers with fresh credentials when the
 * last ones are half --turn-ttl old. */
void sky_turn_renew_if_due(sky_conn *c);

#endif
