/* The WASM module: the entry points the JS API (js-glue/skyway.js) calls, the
 * signaling socket on emscripten/websocket.h, and the timer. One client per
 * module instance.
 *
 * Entry points take strings as UTF-8 pointer + byte length: JS allocates and
 * frees them after the call; C copies what it keeps. Functions returning
 * const char * return C-owned text, valid until the next call into the module:
 * JS copies it (UTF8ToString) at once. Integer results are sky_client error
 * codes (0 ok, < 0 error; sky_strerror names them).
 */
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/websocket.h>

#include "bridge.h"
#include "client.h"
#include "skymesh.h"

static sky_client *g_client;
static EMSCRIPTEN_WEBSOCKET_T g_socket; /* 0: none */
static long g_timer;                    /* 0: none */
static char *g_result;                  /* last returned text, freed on the next */

sky_client *sky_wasm_client(void) { return g_client; }

/* ---- signaling socket ---------------------------------------------------- */
/* 3.1.6 traps handled here: sending before open throws (the core queues until
 * on_socket_open); a text frame's numBytes counts the NUL; the event and its
 * data are reused after a callback returns (the core copies during the call);
 * emscripten_websocket_delete leaks its table slot (one per connection, so we
 * keep one socket per init and only delete it when it is closed). */

static EM_BOOL ws_on_open(int type, const EmscriptenWebSocketOpenEvent *e, void *user) {
  (void)type;
  (void)user;
  if (e->socket == g_socket) sky_client_on_socket_open(g_client);
  return EM_TRUE;
}

static EM_BOOL ws_on_message(int type, const EmscriptenWebSocketMessageEvent *e, void *user) {
  (void)type;
  (void)user;
  if (e->socket == g_socket && e->isText) {
    sky_client_on_socket_text(g_client, (const char *)e->data, e->numBytes ? e->numBytes - 1 : 0);
  }
  return EM_TRUE;
}

static EM_BOOL ws_on_error(int type, const EmscriptenWebSocketErrorEvent *e, void *user) {
  (void)type;
  (void)user;
  if (e->socket == g_socket) sky_client_on_socket_error(g_client);
  return EM_TRUE;
}

static EM_BOOL ws_on_close(int type, const EmscriptenWebSocketCloseEvent *e, void *user) {
  (void)type;
  (void)user;
  if (e->socket != g_socket) return EM_TRUE;
  emscripten_websocket_delete(g_socket);
  g_socket = 0;
  sky_client_on_socket_close(g_client, e->code, e->reason);
  return EM_TRUE;
}

static void socket_drop(void) {
  if (!g_socket) return;
  EMSCRIPTEN_WEBSOCKET_T s = g_socket;
  g_socket = 0;
  emscripten_websocket_close(s, 1000, "bye");
  emscripten_websocket_delete(s); /* clears its handlers: no late callbacks */
}

static int op_socket_open(void *user, const char *url) {
  (void)user;
  socket_drop();
  EmscriptenWebSocketCreateAttributes attrs;
  emscripten_websocket_init_create_attributes(&attrs);
  attrs.url = url;
  EMSCRIPTEN_WEBSOCKET_T s = emscripten_websocket_new(&attrs);
  if (s <= 0) return -1;
  g_socket = s;
  emscripten_websocket_set_onopen_callback(s, NULL, ws_on_open);
  emscripten_websocket_set_onmessage_callback(s, NULL, ws_on_message);
  emscripten_websocket_set_onerror_callback(s, NULL, ws_on_error);
  emscripten_websocket_set_onclose_callback(s, NULL, ws_on_close);
  return 0;
}

static int op_socket_send(void *user, const char *text, size_t len) {
  (void)user;
  (void)len; /* text is NUL-terminated */
  return g_socket && emscripten_websocket_send_utf8_text(g_socket, text) == EMSCRIPTEN_RESULT_SUCCESS ? 0 : -1;
}

static void op_socket_close(void *user) {
  (void)user;
  socket_drop();
}

/* ---- timer ------------------------------------------------------------------ */

static void on_timer(void *user) {
  (void)user;
  g_timer = 0;
  sky_client_on_timer(g_client);
}

/* performance.now() underneath: monotonic, as the core's deadlines need. */
static uint64_t op_now_ms(void *user) {
  (void)user;
  return (uint64_t)emscripten_get_now();
}

static void op_set_timer(void *user, uint32_t ms) {
  (void)user;
  if (g_timer) emscripten_clear_timeout(g_timer);
  g_timer = ms ? emscripten_set_timeout(on_timer, ms, NULL) : 0;
}

/* The ops of the build's features (transfers, media) are added by
 * sky_wasm_features (features_full.c; features_chat.c adds none). */
static sky_client_ops ops = {
  .socket_open = op_socket_open,
  .socket_send = op_socket_send,
  .socket_close = op_socket_close,
  .pc_create = sky_bridge_pc_create,
  .pc_close = sky_bridge_pc_close,
  .pc_create_offer = sky_bridge_create_offer,
  .pc_create_answer = sky_bridge_create_answer,
  .pc_set_remote = sky_bridge_set_remote,
  .pc_add_candidate = sky_bridge_add_candidate,
  .dc_send = sky_bridge_dc_send,
  .dc_send_binary = sky_bridge_dc_send_binary,
  .dc_buffered = sky_bridge_dc_buffered,
  .set_timer = op_set_timer,
  .emit = sky_bridge_emit,
  .now_ms = op_now_ms,
  .pc_restart_ice = sky_bridge_restart_ice,
};

/* ---- entry points ------------------------------------------------------------ */

static sky_client *client(void) {
  if (!g_client) {
    sky_wasm_features(&ops);
    g_client = sky_client_new(&ops, NULL);
  }
  return g_client;
}

/* A NUL-terminated copy of len bytes, or NULL for a NULL pointer. */
static char *copy(const char *s, int len) {
  if (!s || len < 0) return NULL;
  char *d = malloc((size_t)len + 1);
  if (d) {
    memcpy(d, s, (size_t)len);
    d[len] = '\0';
  }
  return d;
}

static const char *result(char *text) {
  free(g_result);
  g_result = text;
  return text;
}

EMSCRIPTEN_KEEPALIVE int sky_init(const char *url, int url_len, const char *key, int key_len, const char *ice,
                                  int ice_len, const char *room, int room_len) {
  if (!client()) return SKY_E_NOMEM;
  char *u = copy(url, url_len), *k = copy(key, key_len), *i = copy(ice, ice_len), *r = copy(room, room_len);
  if (sky_client_room_state(g_client) != SKY_ROOM_IDLE && sky_client_room_state(g_client) != SKY_ROOM_ERROR) {
    sky_client_close(g_client); /* init() again: start over */
  }
  sky_client_set_default_room(g_client, r ? r : k);
  int rc = u && k ? sky_client_init(g_client, u, k, i) : SKY_E_ARG;
  free(u);
  free(k);
  free(i);
  free(r);
  return rc;
}

EMSCRIPTEN_KEEPALIVE int sky_set_user_data(const char *json, int len) {
  char *j = copy(json, len);
  int rc = j && client() ? sky_client_set_user_data(g_client, j) : SKY_E_ARG;
  free(j);
  return rc;
}

EMSCRIPTEN_KEEPALIVE const char *sky_get_user_data(void) { return sky_client_user_data(client()); }

/* room: NULL or "" joins the default room. */
EMSCRIPTEN_KEEPALIVE int sky_join(const char *room, int len) {
  char *r = copy(room, len);
  int rc = client() ? sky_client_join(g_client, r) : SKY_E_NOMEM;
  free(r);
  return rc;
}

EMSCRIPTEN_KEEPALIVE int sky_leave(void) { return sky_client_leave(client()); }

/* targets: a JSON array of peer ids, or NULL for everyone. content: JS-owned
 * for the call (skyStrings: NUL-terminated), used in place when it ends at len
 * (no 200 KB copy), else copied. echo: > 0, the echo's content is
 * {"$echo":echo} and the API layer fills in the message it holds
 * (sky_client_send_p2p_echo). */
EMSCRIPTEN_KEEPALIVE int sky_send_p2p(const char *content, int len, const char *targets, int targets_len, int echo) {
  if (!content || len < 0) return SKY_E_ARG;
  char *owned = content[len] == '\0' ? NULL : copy(content, len);
  char *t = copy(targets, targets_len);
  const char *c = owned ? owned : content;
  /* len bytes, not strlen: a NUL inside (JSON.stringify never writes one) is
   * then no JSON, refused, rather than the text cut short there. */
  size_t n = (size_t)len;
  int rc = client() ? sky_client_send_p2p_echo(g_client, c, n, t, echo > 0 ? (uint32_t)echo : 0) : SKY_E_ARG;
  free(owned);
  free(t);
  return rc;
}

/* data: len bytes of binary content, JS-owned (copied here). targets as above. */
EMSCRIPTEN_KEEPALIVE int sky_send_p2p_bin(const char *data, int len, const char *targets, int targets_len) {
  if (len < 0) return SKY_E_ARG;
  char *t = copy(targets, targets_len);
  int rc = client() ? sky_client_send_p2p_binary(g_client, data, (size_t)len, t) : SKY_E_ARG;
  free(t);
  return rc;
}

/* target: a peer id, or NULL for the whole room. */
EMSCRIPTEN_KEEPALIVE int sky_send_server(const char *content, int len, const char *target, int target_len) {
  char *c = copy(content, len), *t = copy(target, target_len);
  int rc = c && client() ? sky_client_send_server(g_client, c, t) : SKY_E_ARG;
  free(c);
  free(t);
  return rc;
}

EMSCRIPTEN_KEEPALIVE int sky_lock(int locked) { return sky_client_lock(client(), locked != 0); }

/* SkylinkJS's ICE options as a JSON object (see ice_config.h). */
EMSCRIPTEN_KEEPALIVE int sky_set_ice_options(const char *json, int len) {
  char *j = copy(json, len);
  int rc = j && client() ? sky_client_set_ice_options(g_client, j) : SKY_E_ARG;
  free(j);
  return rc;
}

/* SkylinkJS credentials for the next init; room NULL clears them. */
EMSCRIPTEN_KEEPALIVE int sky_set_credentials(const char *room, int room_len, const char *start, int start_len,
                                             const char *duration, int duration_len, const char *creds,
                                             int creds_len) {
  char *r = copy(room, room_len), *s = copy(start, start_len), *d = copy(duration, duration_len),
       *k = copy(creds, creds_len);
  int rc = client() ? sky_client_set_credentials(g_client, r, s, d, k) : SKY_E_NOMEM;
  free(r);
  free(s);
  free(d);
  free(k);
  return rc;
}

/* The connection handle of a peer (0: none), for read-only stats in JS. */
EMSCRIPTEN_KEEPALIVE int sky_peer_pc(const char *peer_id, int len) {
  char *id = copy(peer_id, len);
  int h = id && client() ? sky_client_peer_handle(g_client, id) : 0;
  free(id);
  return h;
}

/* targets: a JSON array of peer ids, or NULL for every peer. */
EMSCRIPTEN_KEEPALIVE int sky_refresh(const char *targets, int targets_len, int ice_restart) {
  char *t = copy(targets, targets_len);
  int rc = client() ? sky_client_refresh(g_client, t, ice_restart != 0) : SKY_E_NOMEM;
  free(t);
  return rc;
}

/* peerInfo JSON of a peer (NULL / "": self), or NULL when unknown. */
EMSCRIPTEN_KEEPALIVE const char *sky_peer_info(const char *peer_id, int len) {
  char *id = copy(peer_id, len);
  const char *out = result(client() ? sky_client_peer_info(g_client, id) : NULL);
  free(id);
  return out;
}

/* {peerId: peerInfo} of everyone in the room, self included. */
EMSCRIPTEN_KEEPALIVE const char *sky_peers(void) { return result(client() ? sky_client_peers(g_client) : NULL); }

EMSCRIPTEN_KEEPALIVE const char *sky_self_id(void) { return sky_client_peer_id(client()); }

EMSCRIPTEN_KEEPALIVE const char *sky_room_name(void) { return sky_client_room(client()); }

EMSCRIPTEN_KEEPALIVE int sky_state(void) { return (int)sky_client_room_state(client()); }

EMSCRIPTEN_KEEPALIVE void sky_close(void) {
  if (g_client) sky_client_close(g_client);
  socket_drop();
  if (g_timer) emscripten_clear_timeout(g_timer);
  g_timer = 0;
}

EMSCRIPTEN_KEEPALIVE const char *sky_strerror(int code) { return sky_client_strerror(code); }
