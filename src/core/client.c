/* The room state machine: signaling socket, authentication, join/leave, user
 * data, server-relayed messages, room lock. The peers live in peer.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"
#include "json_util.h"

#define SKY_AGENT_NAME "skymesh"
#define SKY_AGENT_VERSION "0.1.0"

/* SkywayJS readyState values, as readyStateChange reports them. */
enum { READY_INIT = 0, READY_LOADING = 1, READY_COMPLETED = 2, READY_ERROR = -1 };

/* ---- small queues ------------------------------------------------------ */

bool sky__textq_push(sky_textq *q, const char *name, const char *data, size_t len) {
  sky_text *t = malloc(sizeof *t + len + 1);
  if (!t) return false;
  t->next = NULL;
  t->name = NULL;
  t->seq = 0;
  if (name && !(t->name = sky_strdup(name))) {
    free(t);
    return false;
  }
  t->len = len;
  memcpy(t->data, data, len);
  t->data[len] = '\0';
  if (q->tail) q->tail->next = t;
  else q->head = t;
  q->tail = t;
  q->count++;
  q->bytes += len;
  return true;
}

void sky__textq_append(sky_textq *q, sky_text *t) {
  t->next = NULL;
  if (q->tail) q->tail->next = t;
  else q->head = t;
  q->tail = t;
  q->count++;
  q->bytes += t->len;
}

sky_text *sky__textq_pop(sky_textq *q) {
  sky_text *t = q->head;
  if (!t) return NULL;
  q->head = t->next;
  if (!q->head) q->tail = NULL;
  q->count--;
  q->bytes -= t->len;
  return t;
}

static void text_free(sky_text *t) {
  if (!t) return;
  free(t->name);
  free(t);
}

void sky__textq_clear(sky_textq *q) {
  sky_text *t;
  while ((t = sky__textq_pop(q))) text_free(t);
}

/* ---- events: queued while the core runs, delivered on the way out ------- */

static void bins_clear(sky_client *c) {
  while (c->binaries) {
    sky_bin *next = c->binaries->next;
    free(c->binaries->data);
    free(c->binaries);
    c->binaries = next;
  }
}

char *sky_client_take_binary(sky_client *c, uint32_t id, size_t *len) {
  if (!c) return NULL;
  for (sky_bin **at = &c->binaries; *at; at = &(*at)->next) {
    sky_bin *b = *at;
    if (b->id != id) continue;
    *at = b->next;
    char *data = b->data;
    if (len) *len = b->len;
    free(b);
    return data;
  }
  return NULL;
}

void sky__enter(sky_client *c) { c->depth++; }

void sky__exit(sky_client *c) {
  if (c->depth > 1) {
    c->depth--;
    return;
  }
  /* Outermost call: deliver. A listener may call back in (depth stays > 0, so
   * its events are appended and delivered by this same loop, in order). */
  sky_text *t;
  while ((t = sky__textq_pop(&c->events))) {
    if (c->ops.emit && !c->closing) c->ops.emit(c->user, t->name, t->data);
    text_free(t);
  }
  bins_clear(c); /* every incomingMessage was delivered: what is not taken goes */
  c->depth--;
}

void sky__emit(sky_client *c, const char *name, cJSON *args) {
  char *text = args ? cJSON_PrintUnformatted(args) : NULL;
  cJSON_Delete(args);
  if (!text) return; /* out of memory: the event is lost, state is intact */
  if (!c->closing) sky__textq_push(&c->events, name, text, strlen(text));
  free(text);
}

static cJSON *str_or_null(const char *s) { return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

cJSON *sky__peer_info(const sky_client *c, const char *user_data) {
  cJSON *info = cJSON_CreateObject();
  cJSON *agent = cJSON_AddObjectToObject(info, "agent");
  cJSON *settings = cJSON_AddObjectToObject(info, "settings");
  cJSON_AddItemToObject(info, "userData", cJSON_CreateRaw(user_data ? user_data : "{}"));
  cJSON_AddItemToObject(info, "room", str_or_null(c->room));
  cJSON_AddStringToObject(agent, "name", SKY_AGENT_NAME);
  cJSON_AddStringToObject(agent, "version", SKY_AGENT_VERSION);
  cJSON_AddBoolToObject(settings, "data", true);
  cJSON_AddBoolToObject(settings, "audio", false);
  cJSON_AddBoolToObject(settings, "video", false);
  cJSON_AddObjectToObject(info, "mediaStatus");
  return info;
}

cJSON *sky__peer_info_of(const sky_client *c, const char *peer_id) {
  if (!peer_id || !*peer_id || strcmp(peer_id, c->self_id) == 0) {
    return sky__media_info(c, sky__peer_info(c, c->user_data), NULL);
  }
  sky_peer *p = sky__peer_visible(c, peer_id);
  return p ? sky__media_info(c, sky__peer_info(c, p->user_data), p->id) : NULL;
}

/* Emits (peerId, peerInfo, isSelf): peerJoined / peerUpdated / peerLeft. */
void sky__emit_peer_event(sky_client *c, const char *name, const char *peer_id, const char *user_data,
                            bool self) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, str_or_null(peer_id));
  cJSON_AddItemToArray(args, sky__media_info(c, sky__peer_info(c, user_data), peer_id));
  cJSON_AddItemToArray(args, cJSON_CreateBool(self));
  sky__emit(c, name, args);
}

static void sky__emit_ready(sky_client *c, int state, const char *code, const char *text) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateNumber(state));
  if (code) {
    cJSON *err = cJSON_CreateObject();
    cJSON_AddStringToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", text ? text : code);
    cJSON_AddItemToArray(args, err);
  } else {
    cJSON_AddItemToArray(args, cJSON_CreateNull());
  }
  sky__emit(c, "readyStateChange", args);
}

/* Internal completion ("_join" / "_leave"): [error|null, result|null]. */
void sky__emit_done(sky_client *c, const char *name, const char *code, const char *text, cJSON *result) {
  cJSON *args = cJSON_CreateArray();
  if (code) {
    cJSON *err = cJSON_CreateObject();
    cJSON_AddStringToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", text ? text : code);
    cJSON_AddItemToArray(args, err);
  } else {
    cJSON_AddItemToArray(args, cJSON_CreateNull());
  }
  cJSON_AddItemToArray(args, result ? result : cJSON_CreateNull());
  sky__emit(c, name, args);
}

void sky__emit_simple(sky_client *c, const char *name, cJSON *arg) {
  cJSON *args = cJSON_CreateArray();
  if (arg) cJSON_AddItemToArray(args, arg);
  sky__emit(c, name, args);
}

/* Queues incomingMessage: args printed without the message's content, which
 * (raw, compact JSON) is spliced in front as the first member, written once
 * straight into the queued event: a 200 KB chat is not duplicated into a cJSON
 * raw item, printed around and copied into the queue (three copies). */
static void emit_spliced(sky_client *c, cJSON *args, const char *raw) {
  char *rest = cJSON_PrintUnformatted(args); /* [{"senderPeerId":...},...] */
  cJSON_Delete(args);
  if (!rest || c->closing || strncmp(rest, "[{\"", 3) != 0) {
    free(rest);
    return;
  }
  static const char head[] = "[{\"content\":";
  size_t rlen = strlen(raw), tlen = strlen(rest + 2);
  size_t len = sizeof head - 1 + rlen + 1 + tlen;
  sky_text *t = malloc(sizeof *t + len + 1); /* the queue's; freed when delivered */
  if (t && !(t->name = sky_strdup("incomingMessage"))) {
    free(t);
    t = NULL;
  }
  if (t) {
    t->next = NULL;
    t->seq = 0;
    t->len = len;
    char *p = t->data;
    memcpy(p, head, sizeof head - 1);
    memcpy(p += sizeof head - 1, raw, rlen);
    p[rlen] = ',';
    memcpy(p + rlen + 1, rest + 2, tlen + 1);
    sky__textq_append(&c->events, t);
  }
  free(rest);
}

/* content: a cJSON item (taken), or NULL and raw compact JSON text. */
static void emit_incoming(sky_client *c, cJSON *content, const char *raw, const char *from, const char *target,
                          bool is_private, bool data_channel, bool binary) {
  bool self = strcmp(from, c->self_id) == 0;
  cJSON *msg = cJSON_CreateObject();
  if (content) cJSON_AddItemToObject(msg, "content", content);
  cJSON_AddStringToObject(msg, "senderPeerId", from);
  cJSON_AddItemToObject(msg, "targetPeerId", is_private ? str_or_null(target) : cJSON_CreateNull());
  cJSON_AddBoolToObject(msg, "isPrivate", is_private);
  cJSON_AddBoolToObject(msg, "isDataChannel", data_channel);
  cJSON_AddBoolToObject(msg, "isBinary", binary);
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, msg);
  cJSON_AddItemToArray(args, cJSON_CreateString(from));
  cJSON *info = sky__peer_info_of(c, from);
  cJSON_AddItemToArray(args, info ? info : sky__peer_info(c, "{}"));
  cJSON_AddItemToArray(args, cJSON_CreateBool(self));
  if (content) sky__emit(c, "incomingMessage", args);
  else emit_spliced(c, args, raw);
}

void sky__incoming(sky_client *c, const char *content, const char *from, const char *target,
                   bool is_private, bool data_channel) {
  emit_incoming(c, NULL, content, from, target, is_private, data_channel, false);
}

void sky__incoming_binary(sky_client *c, char *data, size_t len, const char *from, const char *target,
                          bool is_private) {
  sky_bin *b = c->closing ? NULL : malloc(sizeof *b);
  if (!b) { /* no event without its bytes */
    free(data);
    return;
  }
  b->id = ++c->next_bin_id ? c->next_bin_id : ++c->next_bin_id; /* never 0 */
  b->len = len;
  b->data = data;
  b->next = c->binaries;
  c->binaries = b;
  cJSON *content = cJSON_CreateObject();
  cJSON_AddNumberToObject(content, "$binary", b->id);
  cJSON_AddNumberToObject(content, "size", (double)len);
  emit_incoming(c, content, NULL, from, target, is_private, true, true);
}

/* ---- signaling out ----------------------------------------------------- */

static void flush_outbox(sky_client *c) {
  sky_text *t;
  while (c->socket_open && (t = sky__textq_pop(&c->outbox))) {
    c->ops.socket_send(c->user, t->data, t->len);
    text_free(t);
  }
}

/* Encodes and sends m, or queues it until the socket opens. */
bool sky__send_msg(sky_client *c, const sky_msg *m) {
  char *text = sky_msg_encode(m);
  if (!text) return false;
  bool ok = true;
  size_t len = strlen(text);
  if (c->socket_open && !c->outbox.head) c->ops.socket_send(c->user, text, len);
  else if (c->outbox.count < SKY_OUTBOX_MAX) ok = sky__textq_push(&c->outbox, NULL, text, len);
  else ok = false;
  free(text);
  flush_outbox(c);
  return ok;
}

static bool send_simple(sky_client *c, sky_msg_type type) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  return sky__send_msg(c, &m);
}

bool sky__send_join(sky_client *c, const char *room) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_JOIN;
  snprintf(m.ref, sizeof m.ref, "j%u", ++c->join_seq);
  snprintf(m.u.join.room, sizeof m.u.join.room, "%s", room);
  m.u.join.user_data = c->user_data; /* borrowed: not cleared */
  if (!sky__send_msg(c, &m)) return false;
  c->state = SKY_ROOM_JOINING;
  c->join_pending = false;
  return true;
}

void sky__send_update(sky_client *c) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_UPDATE;
  m.u.update.user_data = c->user_data; /* borrowed */
  sky__send_msg(c, &m);
}

/* ---- the one timer: every deadline is absolute, the earliest is armed ---- */

/* Plus one: 0 means "never" in every timestamp the core keeps. */
uint64_t sky__now(const sky_client *c) { return (c->ops.now_ms ? c->ops.now_ms(c->user) : 0) + 1; }

uint64_t sky__elapsed(uint64_t now, uint64_t since) { return now > since ? now - since : 0; }

static uint64_t earliest(uint64_t a, uint64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

/* Does what is due at now and returns the next deadline (0: none). */
static uint64_t run_due(sky_client *c, uint64_t now) {
  if (c->closing || c->state == SKY_ROOM_IDLE) return 0;
  if (c->flush_blocked) sky__peer_flush_all(c);
  uint64_t next = sky__session_tick(c, now);
  next = earliest(next, sky__live_tick(c, now));
  next = earliest(next, sky__xfer_tick(c, now));
  if (c->flush_blocked) next = earliest(next, now + SKY_FLUSH_RETRY_MS);
  return next;
}

void sky__arm_timer(sky_client *c) {
  if (!c->ops.set_timer) return;
  uint64_t now = sky__now(c);
  uint64_t at = c->closing || c->state == SKY_ROOM_IDLE ? 0 : sky__session_tick(c, now);
  if (!c->closing && c->state != SKY_ROOM_IDLE) {
    if (c->peers && (c->state == SKY_ROOM_IN_ROOM || c->state == SKY_ROOM_LEAVING))
      at = earliest(at, c->next_tick_ms ? c->next_tick_ms : now);
    if (c->flush_blocked) at = earliest(at, now + SKY_FLUSH_RETRY_MS);
  }
  if (at == c->timer_at_ms) return;
  c->timer_at_ms = at;
  uint64_t ms = !at ? 0 : at > now ? at - now : 1;
  c->ops.set_timer(c->user, ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms);
}

void sky_client_on_timer(sky_client *c) {
  if (!c) return;
  sky__enter(c);
  c->timer_at_ms = 0;
  run_due(c, sky__now(c));
  sky__arm_timer(c);
  sky__exit(c);
}

/* ---- lifecycle --------------------------------------------------------- */

sky_client *sky_client_new(const sky_client_ops *ops, void *user) {
  if (!ops || !ops->socket_open || !ops->socket_send || !ops->pc_create || !ops->dc_send) return NULL;
  sky_client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->ops = *ops;
  c->user = user;
  c->next_pc = 1;
  c->user_data = sky_strdup("{}");
  bool ice_ok = sky_ice_prefs_init(&c->ice);
  if (!c->user_data || !ice_ok) {
    sky_client_free(c);
    return NULL;
  }
  sky_limits_default(&c->limits);
  return c;
}

static void reset_connection(sky_client *c) {
  sky__peer_drop_all(c, false);
  sky__textq_clear(&c->outbox);
  c->socket_open = false;
  c->room[0] = '\0';
  c->locked = false;
  c->flush_blocked = false;
  c->next_tick_ms = 0;
}

void sky_client_free(sky_client *c) {
  if (!c) return;
  c->closing = true;
  if (c->state != SKY_ROOM_IDLE && c->ops.socket_close) c->ops.socket_close(c->user);
  reset_connection(c);
  sky__session_stop(c);
  if (c->timer_at_ms && c->ops.set_timer) c->ops.set_timer(c->user, 0);
  sky__textq_clear(&c->events);
  bins_clear(c);
  free(c->user_data);
  sky_ice_prefs_clear(&c->ice);
  free(c);
}

int sky_client_init(sky_client *c, const char *url, const char *app_key, const char *ice_servers_json) {
  if (!c || !url || !*url || !app_key || strlen(app_key) > SKY_APP_KEY_MAX) return SKY_E_ARG;
  if (c->state != SKY_ROOM_IDLE && c->state != SKY_ROOM_ERROR) return SKY_E_STATE;
  /* the app's servers; the options given before (set_ice_options) stay */
  if (ice_servers_json && !sky_ice_prefs_set_app(&c->ice, ice_servers_json)) return SKY_E_ARG;
  sky__enter(c);
  c->closing = false;
  reset_connection(c);
  c->self_id[0] = '\0';
  sky_limits_default(&c->limits);
  c->state = SKY_ROOM_CONNECTING;
  sky__emit_ready(c, READY_INIT, NULL, NULL);
  sky__emit_ready(c, READY_LOADING, NULL, NULL);
  if (!sky__session_start(c, url, app_key)) {
    c->state = SKY_ROOM_ERROR;
    sky__session_stop(c);
    sky__emit_ready(c, READY_ERROR, "connect_failed", "could not open the signaling socket");
  }
  sky__arm_timer(c);
  sky__exit(c);
  return c->state == SKY_ROOM_ERROR ? SKY_E_ARG : SKY_OK;
}

void sky_client_close(sky_client *c) {
  if (!c || c->state == SKY_ROOM_IDLE) return;
  sky__enter(c);
  sky__media_stop_all(c);
  if (c->state == SKY_ROOM_IN_ROOM || c->state == SKY_ROOM_JOINING) {
    sky__peer_drop_all(c, true);
    if (c->state == SKY_ROOM_IN_ROOM) sky__emit_peer_event(c, "peerLeft", c->self_id, c->user_data, true);
    send_simple(c, SKY_MSG_LEAVE);
  }
  c->state = SKY_ROOM_IDLE;
  c->join_pending = c->leave_pending = false;
  if (c->ops.socket_close) c->ops.socket_close(c->user);
  reset_connection(c);
  sky__session_stop(c);
  sky__emit_simple(c, "channelClose", NULL);
  sky__arm_timer(c);
  sky__exit(c);
}

/* ---- API --------------------------------------------------------------- */

int sky_client_set_ice_options(sky_client *c, const char *options_json) {
  if (!c || !options_json) return SKY_E_ARG;
  return sky_ice_prefs_set_options(&c->ice, options_json) ? SKY_OK : SKY_E_ARG;
}

int sky_client_set_user_data(sky_client *c, const char *json) {
  if (!c || !json) return SKY_E_ARG;
  char *data = sky_json_compact(json, strlen(json), SKY_JSON_DEPTH_MAX);
  if (!data) return SKY_E_ARG;
  if (strlen(data) > c->limits.max_user_data_bytes) {
    free(data);
    return SKY_E_TOO_LARGE;
  }
  sky__enter(c);
  free(c->user_data);
  c->user_data = data;
  /* Offline, it goes with the resuming hello. */
  if (c->state != SKY_ROOM_IDLE && c->state != SKY_ROOM_CONNECTING && c->state != SKY_ROOM_ERROR &&
      sky__session_online(c)) {
    sky__send_update(c);
  }
  sky__emit_peer_event(c, "peerUpdated", c->self_id, c->user_data, true);
  sky__exit(c);
  return SKY_OK;
}

const char *sky_client_user_data(const sky_client *c) { return c ? c->user_data : "{}"; }

void sky_client_set_default_room(sky_client *c, const char *room) {
  if (c && room) snprintf(c->default_room, sizeof c->default_room, "%s", room);
}

/* Out of the room, as the API sees it: every peer and then ourselves
 * reported left. Leaves the room's name in `previous` (SKY_ROOM_MAX + 1). */
void sky__out_of_room(sky_client *c, char *previous) {
  sky__peer_drop_all(c, true);
  snprintf(previous, SKY_ROOM_MAX + 1, "%s", c->room);
  sky__emit_peer_event(c, "peerLeft", c->self_id, c->user_data, true);
  c->room[0] = '\0';
  c->locked = false;
  c->state = SKY_ROOM_AUTHENTICATED;
  c->leave_pending = false;
}

/* Out of the room, and leaveRoom()'s completion with the room we were in. */
void sky__left_room(sky_client *c) {
  char previous[SKY_ROOM_MAX + 1];
  sky__out_of_room(c, previous);
  cJSON *res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "peerId", c->self_id);
  cJSON_AddStringToObject(res, "previousRoom", previous);
  sky__emit_done(c, "_leave", NULL, NULL, res);
}

/* Stops talking to the peers at once; the server confirms with "left". */
void sky__start_leave(sky_client *c) {
  c->leave_pending = false;
  sky__peer_drop_all(c, true);
  send_simple(c, SKY_MSG_LEAVE);
  c->state = SKY_ROOM_LEAVING;
}

int sky_client_join(sky_client *c, const char *room) {
  if (!c) return SKY_E_ARG;
  if (!room || !*room) room = c->default_room;
  if (!sky_room_name_valid(room, strlen(room))) return SKY_E_ARG;
  if (c->state == SKY_ROOM_IDLE || c->state == SKY_ROOM_ERROR) return SKY_E_STATE;
  sky__enter(c);
  /* Only the latest request counts: an older one not yet sent is superseded. */
  if (c->join_pending) sky__emit_done(c, "_join", "superseded", "another joinRoom() replaced this one", NULL);
  snprintf(c->pending_room, sizeof c->pending_room, "%s", room);
  c->join_pending = true;
  c->leave_pending = false;
  switch (sky__session_online(c) ? c->state : SKY_ROOM_CONNECTING) {
  case SKY_ROOM_AUTHENTICATED:
    sky__send_join(c, c->pending_room);
    break;
  case SKY_ROOM_IN_ROOM: /* the server refuses join in a room: leave first */
    sky__start_leave(c);
    break;
  default: /* connecting, joining, leaving: the next step picks it up */
    break;
  }
  sky__exit(c);
  return SKY_OK;
}

int sky_client_leave(sky_client *c) {
  if (!c) return SKY_E_ARG;
  if (c->state == SKY_ROOM_JOINING || c->join_pending) {
    sky__enter(c);
    if (c->join_pending) sky__emit_done(c, "_join", "cancelled", "leaveRoom() cancelled this join", NULL);
    c->join_pending = false;
    if (c->state == SKY_ROOM_JOINING) c->leave_pending = true; /* leave once in */
    else sky__emit_done(c, "_leave", NULL, NULL, NULL);
    sky__exit(c);
    return SKY_OK;
  }
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  sky__enter(c);
  c->join_pending = false;
  sky__media_on_leave(c); /* leaveRoom stops what we send, as SkylinkJS's does */
  if (sky__session_online(c)) {
    sky__start_leave(c);
  } else { /* the server hears of it once we are back; the room goes now */
    sky__left_room(c);
    c->session.leave_wanted = true;
  }
  sky__exit(c);
  return SKY_OK;
}

/* A JSON array of peer ids, every one a visible peer of the room: SKY_OK,
 * else ARG (not such an array) or UNKNOWN_PEER. NULL targets pass. */
int sky__check_targets(const sky_client *c, const char *targets_json, const cJSON *targets) {
  if (!targets_json) return SKY_OK;
  if (!cJSON_IsArray(targets) || cJSON_GetArraySize(targets) < 1) return SKY_E_ARG;
  const cJSON *t;
  cJSON_ArrayForEach(t, targets) {
    if (!cJSON_IsString(t)) return SKY_E_ARG;
    if (!sky__peer_visible(c, t->valuestring)) return SKY_E_UNKNOWN_PEER;
  }
  return SKY_OK;
}

int sky_client_send_server(sky_client *c, const char *content_json, const char *target) {
  if (!c || !content_json) return SKY_E_ARG;
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  if (target && *target && !sky__peer_visible(c, target)) return SKY_E_UNKNOWN_PEER;
  if (!sky__session_online(c)) return SKY_E_OFFLINE;
  char *content = sky_json_compact(content_json, strlen(content_json), SKY_JSON_DEPTH_MAX);
  if (!content) return SKY_E_ARG;
  if (strlen(content) > c->limits.max_content_bytes) {
    free(content);
    return SKY_E_TOO_LARGE;
  }
  sky__enter(c);
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_MESSAGE;
  if (target) snprintf(m.u.message.to, sizeof m.u.message.to, "%s", target);
  m.u.message.content = content; /* borrowed */
  int rc = sky__send_msg(c, &m) ? SKY_OK : SKY_E_NOMEM;
  if (rc == SKY_OK) sky__incoming(c, content, c->self_id, target, target && *target, false);
  sky__exit(c);
  free(content);
  return rc;
}

int sky_client_lock(sky_client *c, bool locked) {
  if (!c) return SKY_E_ARG;
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  if (!sky__session_online(c)) return SKY_E_OFFLINE;
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_LOCK;
  m.u.lock.locked = locked;
  return sky__send_msg(c, &m) ? SKY_OK : SKY_E_NOMEM;
}

int sky_client_refresh(sky_client *c, const char *targets_json, bool ice_restart) {
  if (!c) return SKY_E_ARG;
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  cJSON *targets = targets_json ? cJSON_Parse(targets_json) : NULL;
  int rc = sky__check_targets(c, targets_json, targets);
  if (rc == SKY_OK && !ice_restart && !sky__session_online(c)) rc = SKY_E_OFFLINE; /* the offer needs the server */
  const cJSON *t;
  if (rc == SKY_OK) {
    sky__enter(c);
    sky_peer *p, *tmp;
    HASH_ITER(hh, c->peers, p, tmp) {
      if (p->hidden) continue;
      bool wanted = !targets;
      cJSON_ArrayForEach(t, targets) wanted |= strcmp(t->valuestring, p->id) == 0;
      if (!wanted) continue;
      /* Without an ICE restart: a fresh connection, as SkylinkJS does. */
      if (ice_restart && p->channel_open) sky__live_request_restart(c, p, true);
      else sky__peer_reconnect(c, p);
    }
    sky__arm_timer(c);
    sky__exit(c);
  }
  cJSON_Delete(targets);
  return rc;
}

char *sky_client_peer_info(sky_client *c, const char *peer_id) {
  if (!c) return NULL;
  cJSON *info = sky__peer_info_of(c, peer_id);
  char *out = sky_json_print(info);
  cJSON_Delete(info);
  return out;
}

char *sky_client_peers(sky_client *c) {
  if (!c) return NULL;
  cJSON *all = cJSON_CreateObject();
  if (c->state == SKY_ROOM_IN_ROOM) {
    cJSON_AddItemToObject(all, c->self_id, sky__peer_info_of(c, NULL));
    for (sky_peer *p = c->peers; p; p = p->hh.next) {
      if (!p->hidden) cJSON_AddItemToObject(all, p->id, sky__peer_info_of(c, p->id));
    }
  }
  char *out = sky_json_print(all);
  cJSON_Delete(all);
  return out;
}

sky_room_state sky_client_room_state(const sky_client *c) { return c ? c->state : SKY_ROOM_IDLE; }
const char *sky_client_peer_id(const sky_client *c) { return c ? c->self_id : ""; }
const char *sky_client_room(const sky_client *c) { return c ? c->room : ""; }
size_t sky_client_peer_count(const sky_client *c) {
  size_t n = 0;
  if (c) for (const sky_peer *p = c->peers; p; p = p->hh.next) n += !p->hidden;
  return n;
}

const char *sky_client_room_state_name(sky_room_state s) {
  static const char *const names[] = {"idle", "connecting", "authenticated", "joining",
                                      "in_room", "leaving", "error"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *sky_client_strerror(int code) {
  switch (code) {
  case SKY_OK: return "ok";
  case SKY_E_ARG: return "invalid argument";
  case SKY_E_STATE: return "not allowed now (call init() first, or join a room)";
  case SKY_E_NOMEM: return "out of memory";
  case SKY_E_TOO_LARGE: return "too large";
  case SKY_E_QUEUE_FULL: return "send queue full";
  case SKY_E_UNKNOWN_PEER: return "no such peer in the room";
  case SKY_E_OFFLINE: return "the signaling server is unreachable (reconnecting)";
  default: return "unknown error";
  }
}

/* ---- signaling in ------------------------------------------------------ */

void sky_client_on_socket_open(sky_client *c) {
  if (!c || c->session.state != SKY_SIG_OPENING || c->socket_open) return;
  sky__enter(c);
  c->socket_open = true;
  flush_outbox(c);
  sky__emit_simple(c, "channelOpen", NULL);
  sky__arm_timer(c);
  sky__exit(c);
}

/* Refusals that retrying cannot fix. */
static bool retryable(const char *code) {
  return strcmp(code, "bad_app_key") != 0 && strcmp(code, "origin_not_allowed") != 0 &&
         strcmp(code, "unsupported_version") != 0 && strcmp(code, "invalid_credentials") != 0 &&
         strcmp(code, "credentials_expired") != 0;
}

/* SkylinkJS's systemAction reasons for the refusals it names. */
static const char *reject_reason(sky_error_code code) {
  switch (code) {
  case SKY_ERR_ROOM_LOCKED: return "locked";
  case SKY_ERR_ROOM_FULL: return "roomfull";
  case SKY_ERR_INVALID_CREDENTIALS: return "credentialError";
  case SKY_ERR_CREDENTIALS_EXPIRED: return "oldTimeStamp";
  case SKY_ERR_ROOM_NOT_ALLOWED: return "roomNotAllowed";
  default: return NULL;
  }
}

static void emit_reject(sky_client *c, sky_error_code code, const char *text) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString("reject"));
  cJSON_AddItemToArray(args, cJSON_CreateString(text));
  cJSON_AddItemToArray(args, cJSON_CreateString(reject_reason(code)));
  sky__emit(c, "systemAction", args);
}

static void lost_connection(sky_client *c, const char *code, const char *text) {
  if (c->session.ever_welcomed && retryable(code)) {
    sky__session_lost(c, code, text); /* the session lives on: reconnect */
    sky__arm_timer(c);
    return;
  }
  bool resuming = c->session.ever_welcomed;
  bool was_connecting = c->state == SKY_ROOM_CONNECTING;
  bool in_room = c->state == SKY_ROOM_IN_ROOM || c->state == SKY_ROOM_LEAVING;
  bool joining = c->join_pending || c->state == SKY_ROOM_JOINING;
  sky__peer_drop_all(c, true);
  if (in_room) sky__emit_peer_event(c, "peerLeft", c->self_id, c->user_data, true);
  if (c->state == SKY_ROOM_LEAVING) sky__emit_done(c, "_leave", NULL, NULL, NULL);
  if (joining) sky__emit_done(c, "_join", code, text, NULL);
  bool had_socket = c->socket_open;
  c->state = SKY_ROOM_ERROR;
  c->join_pending = c->leave_pending = false;
  reset_connection(c);
  sky__session_stop(c);
  if (had_socket) sky__emit_simple(c, "channelClose", NULL);
  if (was_connecting && !resuming) sky__emit_ready(c, READY_ERROR, code, text);
  if (resuming) sky__emit_simple(c, "signalingState", cJSON_CreateString("failed"));
  sky__arm_timer(c);
}

void sky_client_on_socket_close(sky_client *c, int code, const char *reason) {
  (void)code;
  (void)reason;
  if (!c || c->state == SKY_ROOM_IDLE || c->state == SKY_ROOM_ERROR) return;
  if (c->session.state == SKY_SIG_WAITING || c->session.state == SKY_SIG_OFF) return;
  sky__enter(c);
  lost_connection(c, "connection_lost", "the signaling connection closed");
  sky__exit(c);
}

void sky_client_on_socket_error(sky_client *c) {
  if (!c || c->state == SKY_ROOM_IDLE) return;
  sky__enter(c);
  cJSON *err = cJSON_CreateObject();
  cJSON_AddStringToObject(err, "code", "socket_error");
  cJSON_AddStringToObject(err, "message", "signaling socket error");
  sky__emit_simple(c, "channelError", err);
  sky__exit(c);
}

static void on_welcome(sky_client *c, const sky_msg *m) {
  if (c->session.state != SKY_SIG_OPENING) return;
  if (sky__session_on_welcome(c, m)) return; /* a reconnection */
  if (c->state != SKY_ROOM_CONNECTING) return;
  snprintf(c->self_id, sizeof c->self_id, "%s", m->u.welcome.peer_id);
  c->limits = m->u.welcome.limits;
  c->state = SKY_ROOM_AUTHENTICATED;
  if (strcmp(c->user_data, "{}") != 0) sky__send_update(c);
  sky__emit_ready(c, READY_COMPLETED, NULL, NULL);
  if (c->join_pending) sky__send_join(c, c->pending_room);
}

static void on_joined(sky_client *c, const sky_msg *m) {
  if (sky__session_on_joined(c, m)) return; /* back in the room after a resume */
  if (c->state != SKY_ROOM_JOINING) return;
  c->state = SKY_ROOM_IN_ROOM;
  snprintf(c->room, sizeof c->room, "%s", m->u.joined.room);
  c->locked = m->u.joined.locked;
  sky__emit_peer_event(c, "peerJoined", c->self_id, c->user_data, true);
  cJSON *res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "room", c->room);
  cJSON_AddStringToObject(res, "peerId", c->self_id);
  cJSON_AddItemToObject(res, "peerInfo", sky__peer_info_of(c, NULL));
  sky__emit_done(c, "_join", NULL, NULL, res);
  sky__media_on_joined(c); /* incomingStream (self) for what we send already */
  /* The newcomer offers to everyone already there, one offer after another
   * (peer.c, sky__peer_offer_next). */
  for (size_t i = 0; i < m->u.joined.peer_count; i++) {
    const sky_peer_entry *e = &m->u.joined.peers[i];
    if (strcmp(e->peer_id, c->self_id) == 0 || sky__peer_find(c, e->peer_id)) continue;
    sky_peer *p = sky__peer_add(c, e->peer_id, e->user_data);
    if (!p) continue;
    sky__emit_peer_event(c, "peerJoined", p->id, p->user_data, false);
    p->offer_queued = true;
  }
  sky__peer_offer_next(c);
  /* Asked for another room, or to leave, meanwhile. */
  if (c->join_pending || c->leave_pending) sky__start_leave(c);
}

static void on_left(sky_client *c) {
  if (c->state != SKY_ROOM_LEAVING && c->state != SKY_ROOM_IN_ROOM) return;
  if (c->session.quiet_leave) { /* its events were given when it was asked */
    c->session.quiet_leave = false;
    c->room[0] = '\0';
    c->locked = false;
    c->state = SKY_ROOM_AUTHENTICATED;
    if (c->join_pending) sky__send_join(c, c->pending_room);
    return;
  }
  sky__left_room(c);
  if (c->join_pending) sky__send_join(c, c->pending_room);
}

static void on_error(sky_client *c, const sky_msg *m) {
  const char *code = sky_error_code_name(m->u.error.code);
  const char *text = m->u.error.text[0] ? m->u.error.text : code;
  if (m->u.error.fatal) {
    bool retry = c->session.ever_welcomed && retryable(code);
    if (reject_reason(m->u.error.code)) emit_reject(c, m->u.error.code, text);
    lost_connection(c, code, text);
    if (!retry && c->ops.socket_close) c->ops.socket_close(c->user);
    return;
  }
  if (strcmp(m->ref, "resume") == 0) {
    sky__session_on_error(c, m);
    return;
  }
  if (strncmp(m->ref, "rj", 2) == 0) { /* a lost peer we offered to has left */
    sky_peer *gone = sky__peer_find(c, m->ref + 2);
    if (gone && gone->hidden && m->u.error.code == SKY_ERR_UNKNOWN_PEER) sky__peer_drop(c, gone, false);
    return;
  }
  if (c->state == SKY_ROOM_JOINING && m->ref[0] == 'j') {
    c->state = SKY_ROOM_AUTHENTICATED;
    if (reject_reason(m->u.error.code)) emit_reject(c, m->u.error.code, text);
    sky__emit_done(c, "_join", code, text, NULL);
    if (c->join_pending) sky__send_join(c, c->pending_room);
    return;
  }
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString("warning"));
  cJSON_AddItemToArray(args, cJSON_CreateString(text));
  cJSON *err = cJSON_CreateObject();
  cJSON_AddStringToObject(err, "code", code);
  cJSON_AddStringToObject(err, "ref", m->ref);
  cJSON_AddItemToArray(args, err);
  sky__emit(c, "systemAction", args);
}

static void on_peer_updated(sky_client *c, const sky_msg *m);

static void on_peer_joined(sky_client *c, const sky_msg *m) {
  if (c->state != SKY_ROOM_IN_ROOM || strcmp(m->u.peer.peer_id, c->self_id) == 0) return;
  sky_peer *known = sky__peer_find(c, m->u.peer.peer_id);
  if (known && known->hidden) { /* lost, and back with the server: try now */
    known->rejoin_next_ms = sky__now(c);
    known->rejoin_until_ms = known->rejoin_next_ms + SKY_REJOIN_WINDOW_MS;
    char *data = sky_strdup(m->u.peer.user_data ? m->u.peer.user_data : "{}");
    if (data) {
      free(known->user_data);
      known->user_data = data;
    }
    return;
  }
  if (known) { /* it resumed: no churn, at most new userData */
    known->server_gone_ms = 0;
    if (m->u.peer.user_data && strcmp(known->user_data, m->u.peer.user_data) != 0) on_peer_updated(c, m);
    return;
  }
  sky_peer *p = sky__peer_add(c, m->u.peer.peer_id, m->u.peer.user_data);
  if (p) sky__emit_peer_event(c, "peerJoined", p->id, p->user_data, false); /* it will offer */
}

static void on_peer_updated(sky_client *c, const sky_msg *m) {
  sky_peer *p = sky__peer_find(c, m->u.peer.peer_id);
  if (!p) return;
  char *data = sky_strdup(m->u.peer.user_data ? m->u.peer.user_data : "{}");
  if (!data) return;
  free(p->user_data);
  p->user_data = data;
  if (p->hidden) return; /* told when it is back */
  sky__emit_peer_event(c, "peerUpdated", p->id, p->user_data, false);
}

static void on_room_lock(sky_client *c, const sky_msg *m) {
  if (c->state != SKY_ROOM_IN_ROOM) return;
  c->locked = m->u.room_lock.locked;
  const char *who = m->u.room_lock.peer_id;
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateBool(c->locked));
  cJSON_AddItemToArray(args, str_or_null(who));
  cJSON *info = sky__peer_info_of(c, who);
  cJSON_AddItemToArray(args, info ? info : cJSON_CreateNull());
  cJSON_AddItemToArray(args, cJSON_CreateBool(strcmp(who, c->self_id) == 0));
  sky__emit(c, "roomLock", args);
}

static void on_message(sky_client *c, const sky_msg *m) {
  if (c->state != SKY_ROOM_IN_ROOM || !m->u.message.content) return;
  if (strcmp(m->u.message.from, c->self_id) == 0) return; /* already echoed locally */
  bool priv = m->u.message.to[0] != '\0';
  sky__incoming(c, m->u.message.content, m->u.message.from, priv ? c->self_id : NULL, priv, false);
}

void sky_client_on_socket_text(sky_client *c, const char *data, size_t len) {
  if (!c || !data || !c->socket_open) return;
  sky_msg m;
  sky_decode_error err;
  /* maxFrame bounds what we send. The server's own frames may be larger: a
   * joined lists up to maxPeers - 1 peers with up to maxUserData each. */
  sky_limits limits = c->limits;
  uint64_t server_max = (uint64_t)limits.max_peers_per_room * (limits.max_user_data_bytes + 128u) + limits.max_frame_bytes;
  if (server_max > 16u * 1024 * 1024) server_max = 16u * 1024 * 1024;
  if (server_max > limits.max_frame_bytes) limits.max_frame_bytes = (uint32_t)server_max;
  sky__session_on_frame(c); /* the socket is alive, whatever it said */
  if (!sky_msg_decode(data, len, &limits, &m, &err)) return; /* a bad frame is dropped */
  sky__enter(c);
  switch (m.type) {
  case SKY_MSG_WELCOME: on_welcome(c, &m); break;
  case SKY_MSG_JOINED: on_joined(c, &m); break;
  case SKY_MSG_LEFT: on_left(c); break;
  case SKY_MSG_PEER_JOINED: on_peer_joined(c, &m); break;
  case SKY_MSG_PEER_UPDATED: on_peer_updated(c, &m); break;
  case SKY_MSG_PEER_LEFT: {
    sky_peer *p = sky__peer_find(c, m.u.peer_left.peer_id);
    if (p) sky__live_on_server_left(c, p, m.u.peer_left.reason);
    break;
  }
  case SKY_MSG_TOKEN: sky__session_on_token(c, &m); break;
  case SKY_MSG_ICE_SERVERS: sky_ice_prefs_set_server(&c->ice, m.u.ice_servers.ice_servers); break;
  case SKY_MSG_OFFER: sky__peer_on_offer(c, &m); break;
  case SKY_MSG_ANSWER: sky__peer_on_answer(c, &m); break;
  case SKY_MSG_CANDIDATE: sky__peer_on_candidate(c, &m); break;
  case SKY_MSG_MESSAGE: on_message(c, &m); break;
  case SKY_MSG_ROOM_LOCK: on_room_lock(c, &m); break;
  case SKY_MSG_ERROR: on_error(c, &m); break;
  case SKY_MSG_BYE: break; /* the close follows */
  default: break;          /* pong, and anything only a server should get */
  }
  sky_msg_clear(&m);
  sky__arm_timer(c);
  sky__exit(c);
}
