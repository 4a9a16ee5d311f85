/* lws event -> connection function. See ws.h. */
#include "ws.h"

#include <string.h>

#include "connection.h"

/* lws's per-session data (lws allocates and frees it): only a pointer, the
 * conn itself lives in the server's list so that it can be found and freed
 * without lws. */
typedef struct sky_conn_slot {
  sky_conn *conn; /* owned by server->conns; destroyed at LWS_CALLBACK_CLOSED */
} sky_conn_slot;

/* lws binds a WebSocket upgrade to a protocol by subprotocol name, not by
 * path, so the path is checked here: only /signaling may upgrade. */
static bool upgrade_path_ok(struct lws *wsi) {
  char uri[64];
  int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
  return n > 0 && strcmp(uri, SKY_SIGNALING_PATH) == 0;
}

static int on_established(struct lws *wsi, sky_conn_slot *slot) {
  sky_server *s = lws_context_user(lws_get_context(wsi));
  if (s->stopping) return -1;
  bool full = s->conn_count >= s->cfg->max_connections;
  slot->conn = sky_conn_create(s, wsi);
  if (!slot->conn) return -1; /* out of memory: refuse the socket */
  if (full) {
    /* Accepted only to say why, then closed: a client can tell "the server
     * is busy" from "the network is broken". */
    sky_conn_send_error(slot->conn, SKY_ERR_SERVER_FULL, NULL, true, "the server is at its limit of %u connections",
                        s->cfg->max_connections);
    return 0;
  }
  sky_conn_await_hello(slot->conn);
  return 0;
}

static int callback_signaling(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                              size_t len) {
  sky_conn_slot *slot = user;
  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return upgrade_path_ok(wsi) ? 0 : 1;
  case LWS_CALLBACK_ESTABLISHED:
    return on_established(wsi, slot);
  case LWS_CALLBACK_RECEIVE:
    return slot && slot->conn ? sky_conn_on_receive(slot->conn, in, len) : -1;
  case LWS_CALLBACK_RECEIVE_PONG:
    if (slot && slot->conn) sky_conn_on_pong(slot->conn);
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return slot && slot->conn ? sky_conn_on_writeable(slot->conn) : -1;
  case LWS_CALLBACK_TIMER:
    if (slot && slot->conn) sky_conn_on_timer(slot->conn);
    return 0;
  case LWS_CALLBACK_CLOSED:
    if (slot && slot->conn) {
      sky_conn_destroy(slot->conn);
      slot->conn = NULL;
    }
    return 0;
  default:
    /* HTTP: mounts, file transfers, keep-alive. */
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

/* Not const: the receive buffer size comes from the command line. */
static struct lws_protocols protocols[] = {
    {SKY_WS_PROTOCOL, callback_signaling, sizeof(sky_conn_slot), SKY_DEFAULT_RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *sky_ws_protocols(const sky_config *cfg) {
  protocols[0].rx_buffer_size = cfg->rx_buffer_bytes;
  /* Left 0, lws caps every send() at rx_buffer_size (+ LWS_PRE): a batch of
   * relayed frames (connection.c) went out 532 bytes per send(), the rest
   * buffered by lws for later loop turns. It costs no memory per socket. */
  protocols[0].tx_packet_size = SKY_BATCH_BYTES + LWS_PRE;
  return protocols;
}
