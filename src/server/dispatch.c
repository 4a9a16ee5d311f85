/* Client message handlers, one per message type. See dispatch.h.
 * Every field was validated by sky_msg_decode against this server's limits
 * (sizes, room names, peer ids): the handlers check only state. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_keys.h"
#include "credentials.h"
#include "peer_id.h"
#include "relay_splice.h"
#include "resume_dispatch.h"
#include "room.h"
#include "rooms_backend.h"
#include "turn_dispatch.h"

static const sky_limits *limits_of(const sky_conn *c) { return &c->server->cfg->limits; }

static void send_reply(sky_conn *c, sky_msg *reply, const sky_msg *req) {
  memcpy(reply->ref, req->ref, sizeof(reply->ref));
  sky_conn_send_msg(c, reply);
}

/* ---- hello ------------------------------------------------------------- */

static bool assign_peer_id(sky_conn *c) {
  for (int attempt = 0; attempt < 4; attempt++) {
    if (!sky_peer_id_generate(c->peer_id)) return false;
    sky_conn *clash = NULL;
    HASH_FIND_STR(c->server->peers, c->peer_id, clash);
    if (!clash) return true; /* 2^-128 odds, but a clash would merge two peers */
  }
  return false;
}

/* A key with a secret admits only SkylinkJS credentials (credentials.h),
 * and binds the connection to their room. A key without one ignores them.
 * False after sending the fatal error. */
static bool check_credentials(sky_conn *c, const sky_msg *m) {
  const sky_app_key *k = sky_app_keys_find(&c->server->cfg->keys, m->u.hello.app_key);
  if (!k || !k->secret) return true;
  sky_cred_claim claim = {m->u.hello.room, m->u.hello.cred_start, m->u.hello.cred_duration, m->u.hello.credentials};
  int64_t now_ms = sky_cred_now_ms(), start_ms = 0, end_ms = 0;
  sky_cred_verdict v = sky_cred_verify(k->secret, k->secret_len, &claim, now_ms, &end_ms);
  if (v == SKY_CRED_OK) {
    if (!m->u.hello.room[0]) return true; /* no room named: bound to none */
    size_t len = strlen(m->u.hello.room) + 1;
    free(c->bound_room); /* NULL: only one hello gets this far */
    c->bound_room = malloc(len); /* owner: c, freed in sky_conn_destroy */
    if (!c->bound_room) {
      sky_conn_send_error(c, SKY_ERR_INTERNAL, m->ref, true, "out of memory");
      return false;
    }
    memcpy(c->bound_room, m->u.hello.room, len);
    return true;
  }
  if (v == SKY_CRED_NOT_YET) sky_cred_parse_start(m->u.hello.cred_start, &start_ms);
  char why[SKY_ERROR_TEXT_MAX + 1];
  sky_cred_describe(v, start_ms, end_ms, now_ms, why, sizeof(why));
  if (c->server->cfg->verbose > 1) lwsl_user("hello: credentials refused: %s\n", why);
  sky_conn_send_error(c, sky_cred_verdict_code(v), m->ref, true, "%s", why);
  return false;
}

/* A new session's welcome (no ref, not resumed, no iceServers) differs from
 * one peer to the next only in its peer id, and the limits never change: it
 * is encoded once, by the encoder itself with a placeholder id, and each
 * hello writes its id into that place. Encoding it per hello (a cJSON tree,
 * seven numbers through printf and a scanf round trip) cost ~3 us a join. */
#define WELCOME_ID_PLACEHOLDER "00000000000000000000000000000000"
_Static_assert(sizeof(WELCOME_ID_PLACEHOLDER) == SKY_PEER_ID_LEN + 1, "the placeholder is a peer id");
static bool welcome_template_ready(sky_server *s) {
  if (s->welcome_template) return true;
  sky_msg w;
  memset(&w, 0, sizeof(w));
  w.type = SKY_MSG_WELCOME;
  w.u.welcome.version = SKY_PROTOCOL_VERSION;
  memcpy(w.u.welcome.peer_id, WELCOME_ID_PLACEHOLDER, sizeof(WELCOME_ID_PLACEHOLDER));
  w.u.welcome.limits = s->cfg->limits;
  char *json = sky_msg_encode(&w); /* owner: s->welcome_template, freed in sky_server_destroy */
  static const char id_field[] = "\"peerId\":\"" WELCOME_ID_PLACEHOLDER "\"";
  char *at = json ? strstr(json, id_field) : NULL;
  if (!at) { /* cannot happen; the encoder serves every hello then */
    free(json);
    return false;
  }
  s->welcome_template = json;
  s->welcome_len = strlen(json);
  s->welcome_id_at = (size_t)(at - json) + sizeof("\"peerId\":\"") - 1;
  return true;
}

static void on_hello(sky_conn *c, sky_msg *m) {
  if (c->authenticated) {
    sky_conn_send_error(c, SKY_ERR_ALREADY_AUTHENTICATED, m->ref, false, "hello was already accepted");
    return;
  }
  if (m->u.hello.version != SKY_PROTOCOL_VERSION) {
    sky_conn_send_error(c, SKY_ERR_UNSUPPORTED_VERSION, m->ref, true,
                        "protocol version %u is not supported; this server speaks %d",
                        (unsigned)m->u.hello.version, SKY_PROTOCOL_VERSION);
    return;
  }
  const sky_app_keys *keys = &c->server->cfg->keys;
  /* An Origin too long to store never matches: pass one no list contains. */
  const char *origin = c->origin_too_long ? "\x01" : c->origin;
  sky_error_code key_err = sky_app_keys_check(keys, m->u.hello.app_key, origin);
  if (key_err == SKY_ERR_BAD_APP_KEY) {
    sky_conn_send_error(c, key_err, m->ref, true, "unknown application key");
    return;
  }
  if (key_err == SKY_ERR_ORIGIN_NOT_ALLOWED) {
    sky_conn_send_error(c, key_err, m->ref, true, "this application key is not allowed from origin %s",
                        c->origin_too_long ? "(too long)" : c->origin ? c->origin : "(none)");
    return;
  }
  if (!check_credentials(c, m)) return;
  size_t key_len = strlen(m->u.hello.app_key);
  free(c->app_key); /* NULL: only one hello gets this far */
  c->app_key = malloc(key_len + 1); /* owner: c, freed in sky_conn_destroy */
  if (!c->app_key) {
    sky_conn_send_error(c, SKY_ERR_INTERNAL, m->ref, true, "out of memory");
    return;
  }
  memcpy(c->app_key, m->u.hello.app_key, key_len + 1);
  /* A valid resume token gives back its peer id (and takes it from an older
   * socket still holding it); anything else is simply a new session. */
  sky_resume_claim claim;
  bool resumed = sky_resume_take_over(c, m, c->bound_room, &claim);
  if (!resumed && !assign_peer_id(c)) {
    sky_conn_send_error(c, SKY_ERR_INTERNAL, m->ref, true, "no randomness for a peer id");
    return;
  }
  if (m->u.hello.user_data) {
    sky_conn_set_user_data(c, m->u.hello.user_data);
    m->u.hello.user_data = NULL; /* ownership moved to c */
  }
  c->authenticated = true;
  HASH_ADD_STR(c->server->peers, peer_id, c);
  sky_conn_hello_met(c);

  char *ice_servers = sky_turn_ice_servers_for(c); /* owner: here, freed below; NULL without TURN */
  if (!resumed && !ice_servers && !m->ref[0] && welcome_template_ready(c->server)) {
    /* The client's first hello carries no ref: the common case, one copy. */
    sky_server *s = c->server;
    memcpy(s->welcome_template + s->welcome_id_at, c->peer_id, SKY_PEER_ID_LEN);
    sky_conn_send_text(c, s->welcome_template, s->welcome_len);
  } else {
    sky_msg w;
    memset(&w, 0, sizeof(w));
    w.type = SKY_MSG_WELCOME;
    w.u.welcome.version = SKY_PROTOCOL_VERSION;
    memcpy(w.u.welcome.peer_id, c->peer_id, sizeof(w.u.welcome.peer_id));
    w.u.welcome.limits = *limits_of(c);
    w.u.welcome.resumed = resumed;
    w.u.welcome.ice_servers = ice_servers;
    send_reply(c, &w, m);
  }
  free(ice_servers);
  if (resumed) sky_resume_restore_room(c, &claim); /* joined and token, or error and token */
  else sky_resume_send_token(c);
}

/* ---- rooms ------------------------------------------------------------- */

void sky_refuse_join(sky_conn *c, const char *ref, const char *room, sky_error_code code) {
  switch (code) {
  case SKY_ERR_ROOM_LOCKED:
    sky_conn_send_error(c, code, ref, false, "room '%s' is locked", room);
    break;
  case SKY_ERR_ROOM_FULL:
    sky_conn_send_error(c, code, ref, false, "room '%s' is full (%u peers)", room,
                        limits_of(c)->max_peers_per_room);
    break;
  case SKY_ERR_TOO_MANY_ROOMS:
    sky_conn_send_error(c, code, ref, false, "the server holds its maximum of %u rooms",
                        c->server->cfg->max_rooms);
    break;
  default:
    sky_conn_send_error(c, SKY_ERR_INTERNAL, ref, false, "cannot join room '%s'", room);
    break;
  }
}

static void on_join(sky_conn *c, sky_msg *m) {
  if (c->room || c->join) {
    sky_conn_send_error(c, SKY_ERR_ALREADY_IN_ROOM, m->ref, false, "already in room '%s': leave it first",
                        c->room ? c->room->name : c->join->room);
    return;
  }
  if (c->bound_room && strcmp(m->u.join.room, c->bound_room) != 0) {
    sky_conn_send_error(c, SKY_ERR_ROOM_NOT_ALLOWED, m->ref, false,
                        "this connection's credentials are for room '%s' only", c->bound_room);
    return;
  }
  sky_rooms_join(c, m->u.join.room, false, m->ref, m->u.join.user_data);
  m->u.join.user_data = NULL; /* ownership moved to the join */
}

static bool require_room(sky_conn *c, const sky_msg *m) {
  if (c->room) return true;
  sky_conn_send_error(c, SKY_ERR_NOT_IN_ROOM, m->ref, false, "'%s' needs a room: join one first",
                      sky_msg_type_name(m->type));
  return false;
}

static void on_leave(sky_conn *c, const sky_msg *m) {
  if (!require_room(c, m)) return;
  sky_msg l;
  memset(&l, 0, sizeof(l));
  l.type = SKY_MSG_LEFT;
  memcpy(l.u.left.room, c->room->name, sizeof(l.u.left.room));
  sky_rooms_leave(c, SKY_LEAVE_LEFT);
  send_reply(c, &l, m);
  sky_resume_send_token(c); /* the token names no room any more */
}

static void on_update(sky_conn *c, sky_msg *m) {
  sky_conn_set_user_data(c, m->u.update.user_data);
  m->u.update.user_data = NULL; /* ownership moved to c */
  if (!c->room) return; /* kept for the next join; nobody to tell */
  sky_rooms_announce(c, SKY_MSG_PEER_UPDATED);
}

static void on_lock(sky_conn *c, const sky_msg *m) {
  if (!require_room(c, m)) return;
  sky_msg rl;
  memset(&rl, 0, sizeof(rl));
  rl.type = SKY_MSG_ROOM_LOCK;
  rl.u.room_lock.locked = m->u.lock.locked;
  memcpy(rl.u.room_lock.peer_id, c->peer_id, sizeof(rl.u.room_lock.peer_id));
  sky_rooms_lock(c, &rl);                  /* the others, without the sender's ref */
  send_reply(c, &rl, m);                   /* the sender: its ack */
}

/* ---- relay ------------------------------------------------------------- */

/* offer / answer / candidate: to one peer, stamped with the real sender. */
static void on_signal(sky_conn *c, sky_msg *m) {
  if (!require_room(c, m)) return;
  char *to = m->type == SKY_MSG_CANDIDATE ? m->u.candidate.to : m->u.sdp.to;
  char *from = m->type == SKY_MSG_CANDIDATE ? m->u.candidate.from : m->u.sdp.from;
  char target[SKY_PEER_ID_LEN + 1], ref[SKY_REF_MAX + 1];
  memcpy(target, to, sizeof(target));
  memcpy(ref, m->ref, sizeof(ref));
  memcpy(from, c->peer_id, SKY_PEER_ID_LEN + 1); /* never the client's claim */
  to[0] = '\0';
  m->ref[0] = '\0'; /* refs are between one client and the server */
  sky_rooms_relay(c, target, m, ref);
}

static void on_message(sky_conn *c, sky_msg *m) {
  if (!require_room(c, m)) return;
  char ref[SKY_REF_MAX + 1];
  memcpy(ref, m->ref, sizeof(ref));
  memcpy(m->u.message.from, c->peer_id, sizeof(m->u.message.from));
  m->ref[0] = '\0';
  /* keeps "to": the receiver sees it was private */
  if (m->u.message.to[0]) sky_rooms_relay(c, m->u.message.to, m, ref);
  else sky_rooms_broadcast(c, m);
}

static void on_ping(sky_conn *c, const sky_msg *m) {
  sky_msg p;
  memset(&p, 0, sizeof(p));
  p.type = SKY_MSG_PONG;
  send_reply(c, &p, m);
}

/* ---- entry ------------------------------------------------------------- */

static void route(sky_conn *c, sky_msg *m) {
  if (m->type != SKY_MSG_HELLO && !c->authenticated) {
    sky_conn_send_error(c, SKY_ERR_NOT_AUTHENTICATED, m->ref, false, "send hello first");
    return;
  }
  switch (m->type) {
  case SKY_MSG_HELLO: on_hello(c, m); break;
  case SKY_MSG_JOIN: on_join(c, m); break;
  case SKY_MSG_LEAVE: on_leave(c, m); break;
  case SKY_MSG_UPDATE: on_update(c, m); break;
  case SKY_MSG_LOCK: on_lock(c, m); break;
  case SKY_MSG_PING: on_ping(c, m); break;
  case SKY_MSG_OFFER:
  case SKY_MSG_ANSWER:
  case SKY_MSG_CANDIDATE: on_signal(c, m); break;
  case SKY_MSG_MESSAGE: on_message(c, m); break;
  default: /* server -> client types are not requests */
    sky_conn_send_error(c, SKY_ERR_UNKNOWN_TYPE, m->ref, false, "'%s' is not a client message",
                        sky_msg_type_name(m->type));
    break;
  }
}

/* The relay fast path: an offer / answer / candidate in our encoder's own
 * spelling, to another member of the room on this instance, is forwarded with
 * `from` spliced in (relay_splice.h says why that is exactly what the slow
 * path would send). Anything else, every error included, takes the full
 * decoder below. False when the frame was not handled here. */
static bool relay_spliced(sky_conn *c, const char *data, size_t len) {
  if (!c->authenticated || !c->room) return false;
  sky_relay_splice s;
  if (!sky_relay_splice_parse(data, len, limits_of(c)->max_frame_bytes, &s)) return false;
  sky_conn *target = sky_room_member(c->room, s.to);
  if (!target || target == c) return false; /* elsewhere (Redis), or itself: an error */
  char *out = sky_conn_send_reserve(target, sky_relay_splice_len(&s));
  if (out) sky_relay_splice_write(&s, c->peer_id, out);
  return true;
}

void sky_dispatch(sky_conn *c, const char *data, size_t len) {
  if (relay_spliced(c, data, len)) return;
  sky_msg m;
  sky_decode_error err;
  memset(&m, 0, sizeof(m));
  memset(&err, 0, sizeof(err));
  if (!sky_msg_decode(data, len, limits_of(c), &m, &err)) {
    sky_error_code code = err.code == SKY_ERR_NONE ? SKY_ERR_BAD_MESSAGE : err.code;
    /* A version we cannot speak will not get better by retrying. */
    bool fatal = code == SKY_ERR_UNSUPPORTED_VERSION;
    sky_conn_send_error(c, code, err.ref, fatal, "%s", err.detail[0] ? err.detail : "invalid message");
    return;
  }
  route(c, &m);
  sky_msg_clear(&m);
}
