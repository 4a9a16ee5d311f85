/* The lws protocol table: one protocol, "skymesh", that handles the signaling
 * WebSocket and hands every other (HTTP) event to lws's file server. */
#ifndef SKY_SERVER_WS_H
#define SKY_SERVER_WS_H

#include "config.h"
#include "lws.h"
#include "protocol.h" /* SKY_SIGNALING_PATH */

#define SKY_WS_PROTOCOL "skymesh"

/* NULL-terminated; protocols[0] is also the default for upgrades that name no
 * subprotocol, which is how browsers' plain `new WebSocket(url)` arrives. */
const struct lws_protocols *sky_ws_protocols(const sky_config *cfg);

#endif
