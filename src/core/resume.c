/* The signaling session: one socket at a time, re-opened with jittered
 * exponential backoff when it is lost, and resumed with the server's token so
 * that the peer keeps its id, its room and its data channels.
 *
 *   off --init--> opening --welcome--> up --lost--> waiting --due--> opening ...
 *   any --close / fatal refusal--> off
 *
 * While the socket is down the room state (client.c) stays as it was: peers and
 * channels live on, only what needs the server waits or fails with OFFLINE.
 * docs/resilience.md describes what the user sees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"
#include "json_util.h"

static void emit_sig_state(sky_client *c, const char *state) {
  sky__emit_simple(c, "signalingState", cJSON_CreateString(state));
}

/* xorshift32: jitter only needs to differ between clients, not be secret. */
static uint32_t next_random(sky_session *s) {
  uint32_t x = s->rng ? s->rng : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return s->rng = x;
}

/* Attempt n waits min(cap, base * 2^(n-1)) scaled by a factor in [0.5, 1]. */
static uint32_t backoff_ms(sky_session *s) {
  uint32_t exp = s->attempt > 16 ? 16 : s->attempt - 1;
  uint64_t full = (uint64_t)SKY_RETRY_BASE_MS << exp;
  if (full > SKY_RETRY_MAX_MS) full = SKY_RETRY_MAX_MS;
  uint64_t half = full / 2;
  return (uint32_t)(half + next_random(s) % (half + 1));
}


/* The URL this attempt uses: the url_index-th of the list. */
static const char *current_url(const sky_session *s) {
  const char *u = s->url;
  for (unsigned i = 0; i < s->url_index; i++) u += strlen(u) + 1;
  return u;
}

/* Queues hello (with the token and userData when resuming) and opens. now is
 * the caller's clock reading: every deadline of one tick uses the same one. */
static bool open_socket(sky_client *c, uint64_t now) {
  sky_session *s = &c->session;
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_HELLO;
  m.u.hello.version = SKY_PROTOCOL_VERSION;
  memcpy(m.u.hello.app_key, s->app_key, sizeof m.u.hello.app_key);
  s->resuming = s->token[0] != '\0';
  s->resume_room = s->resuming && s->token_room;
  if (s->cred_room[0]) {
    memcpy(m.u.hello.room, s->cred_room, sizeof m.u.hello.room);
    memcpy(m.u.hello.cred_start, s->cred_start, sizeof m.u.hello.cred_start);
    memcpy(m.u.hello.cred_duration, s->cred_duration, sizeof m.u.hello.cred_duration);
    memcpy(m.u.hello.credentials, s->credentials, sizeof m.u.hello.credentials);
  }
  if (s->resuming) {
    memcpy(m.u.hello.resume, s->token, sizeof m.u.hello.resume);
    m.u.hello.user_data = c->user_data; /* borrowed: m is not cleared */
  }
  sky__textq_clear(&c->outbox); /* hello goes first on every socket */
  c->socket_open = false;
  sky__send_msg(c, &m);
  s->state = SKY_SIG_OPENING;
  s->await_room = false;
  s->last_rx_ms = s->last_ping_ms = now;
  if (c->ops.socket_open(c->user, current_url(s)) != 0) {
    sky__textq_clear(&c->outbox);
    return false;
  }
  return true;
}

int sky_client_set_credentials(sky_client *c, const char *room, const char *start, const char *duration,
                               const char *credentials) {
  if (!c) return SKY_E_ARG;
  sky_session *s = &c->session;
  if (!room) {
    s->cred_room[0] = '\0';
    return SKY_OK;
  }
  bool fits = start && duration && credentials && strlen(start) <= SKY_CRED_FIELD_MAX &&
              strlen(duration) <= SKY_CRED_FIELD_MAX && strlen(credentials) <= SKY_TOKEN_MAX &&
              *start && *duration && *credentials && sky_room_name_valid(room, strlen(room));
  if (!fits) return SKY_E_ARG;
  snprintf(s->cred_room, sizeof s->cred_room, "%s", room);
  snprintf(s->cred_start, sizeof s->cred_start, "%s", start);
  snprintf(s->cred_duration, sizeof s->cred_duration, "%s", duration);
  snprintf(s->credentials, sizeof s->credentials, "%s", credentials);
  return SKY_OK;
}

bool sky__session_start(sky_client *c, const char *url, const char *app_key) {
  sky_session *s = &c->session;
  char *copy = sky_strdup(url); /* owner: the session, freed by sky__session_stop */
  if (!copy) return false;
  free(s->url);
  s->url = copy;
  /* "URL URL ...": several servers sharing rooms (docs/api.md, roomServer);
   * a lost or refused socket moves on to the next one. */
  s->url_count = 1;
  s->url_index = 0;
  for (char *p = copy; (p = strchr(p, ' ')) != NULL; p++) {
    *p = '\0';
    s->url_count++;
  }
  snprintf(s->app_key, sizeof s->app_key, "%s", app_key);
  s->token[0] = '\0';
  s->ever_welcomed = s->resuming = s->await_room = s->leave_wanted = false;
  s->quiet_leave = s->token_room = s->resume_room = false;
  s->attempt = 0;
  s->rng ^= (uint32_t)sky__now(c) ^ (uint32_t)(uintptr_t)c;
  return open_socket(c, sky__now(c));
}

void sky__session_stop(sky_client *c) {
  sky_session *s = &c->session;
  free(s->url);
  s->url = NULL;
  s->state = SKY_SIG_OFF;
  s->token[0] = '\0';
  s->ever_welcomed = s->resuming = s->await_room = s->leave_wanted = false;
  s->quiet_leave = s->token_room = s->resume_room = false;
  s->attempt = 0;
}

bool sky__session_online(const sky_client *c) {
  return c->session.state == SKY_SIG_UP && c->socket_open && !c->session.await_room;
}

static void schedule_retry(sky_client *c) {
  sky_session *s = &c->session;
  s->attempt++;
  if (s->url_count > 1) s->url_index = (s->url_index + 1) % s->url_count;
  s->state = SKY_SIG_WAITING;
  s->retry_at_ms = sky__now(c) + backoff_ms(s);
}

void sky__session_lost(sky_client *c, const char *code, const char *text) {
  (void)code;
  (void)text;
  sky_session *s = &c->session;
  bool had_socket = c->socket_open;
  bool was_up = s->state == SKY_SIG_UP;
  if (c->ops.socket_close) c->ops.socket_close(c->user);
  c->socket_open = false;
  sky__textq_clear(&c->outbox);
  /* A join in flight may or may not have reached the server: the token says
   * where we are, and the join is asked again once we are back. */
  if (c->state == SKY_ROOM_JOINING) {
    c->state = SKY_ROOM_AUTHENTICATED;
    c->join_pending = true;
  }
  /* A leave in flight completes locally: the peers are already dropped. */
  if (c->state == SKY_ROOM_LEAVING) {
    sky__left_room(c);
    s->leave_wanted = true; /* the token still names the room */
  }
  if (had_socket) sky__emit_simple(c, "channelClose", NULL);
  if (was_up || s->attempt == 0) emit_sig_state(c, "reconnecting");
  schedule_retry(c);
}

void sky__session_on_frame(sky_client *c) { c->session.last_rx_ms = sky__now(c); }

void sky__session_on_token(sky_client *c, const sky_msg *m) {
  memcpy(c->session.token, m->u.token.token, sizeof c->session.token);
  /* The server sends a token after welcome, joined and left: which room it
   * names follows from where we are when it arrives. */
  c->session.token_room = c->state == SKY_ROOM_IN_ROOM || c->state == SKY_ROOM_LEAVING;
}

/* The resumed session is complete: wanted changes go out, waiting restarts too. */
static void resumed(sky_client *c) {
  sky_session *s = &c->session;
  s->await_room = false;
  if (c->state == SKY_ROOM_IN_ROOM && (s->leave_wanted || c->join_pending)) {
    s->leave_wanted = false;
    sky__start_leave(c); /* a pending join follows on "left" */
  } else if (c->state == SKY_ROOM_AUTHENTICATED && c->join_pending) {
    sky__send_join(c, c->pending_room);
  }
  s->leave_wanted = false;
  sky__live_resume(c);
}

/* The old session is gone (no token, or the server refused it): come back as
 * a new peer. Everyone we knew is reported left, and we join again. */
static void restarted(sky_client *c, const sky_msg *m) {
  if (c->state == SKY_ROOM_IN_ROOM) {
    sky__out_of_room(c, c->pending_room); /* and back into it below */
    c->join_pending = true;
  }
  c->state = SKY_ROOM_AUTHENTICATED;
  snprintf(c->self_id, sizeof c->self_id, "%s", m->u.welcome.peer_id);
  emit_sig_state(c, "restarted");
  if (c->join_pending) sky__send_join(c, c->pending_room);
  else if (strcmp(c->user_data, "{}") != 0) sky__send_update(c);
}

bool sky__session_on_welcome(sky_client *c, const sky_msg *m) {
  sky_session *s = &c->session;
  /* Fresh TURN credentials come with every welcome (NULL: the server has none). */
  sky_ice_prefs_set_server(&c->ice, m->u.welcome.ice_servers);
  bool first = !s->ever_welcomed;
  s->state = SKY_SIG_UP;
  s->ever_welcomed = true;
  s->attempt = 0;
  if (first) { /* client.c handles the first welcome of init() */
    emit_sig_state(c, "connected");
    return false;
  }
  c->limits = m->u.welcome.limits;
  bool same = m->u.welcome.resumed && strcmp(m->u.welcome.peer_id, c->self_id) == 0;
  if (!same) {
    restarted(c, m);
    return true;
  }
  emit_sig_state(c, "resumed");
  /* The token named a room: its joined follows. Otherwise the session is
   * whole already. */
  s->await_room = s->resume_room;
  if (!s->await_room) resumed(c);
  return true;
}

/* joined after a resume: who the server has in the room. */
bool sky__session_on_joined(sky_client *c, const sky_msg *m) {
  sky_session *s = &c->session;
  if (strcmp(m->ref, "resume") != 0) return false;
  if (!s->await_room || c->state != SKY_ROOM_IN_ROOM) {
    /* Back in a room we meant to leave: leave it quietly. */
    s->await_room = false;
    s->leave_wanted = false;
    c->state = SKY_ROOM_IN_ROOM;
    snprintf(c->room, sizeof c->room, "%s", m->u.joined.room);
    sky__start_leave(c);
    s->quiet_leave = true;
    return true;
  }
  c->locked = m->u.joined.locked;
  /* Peers we knew that the server does not list: gone if their channel is. */
  sky_peer *p, *tmp;
  HASH_ITER(hh, c->peers, p, tmp) {
    bool listed = false;
    for (size_t i = 0; i < m->u.joined.peer_count && !listed; i++) listed = strcmp(m->u.joined.peers[i].peer_id, p->id) == 0;
    if (!listed && !p->channel_open) sky__peer_drop(c, p, true);
  }
  /* Listed peers: new ones are announced and offered to; known ones whose
   * channel is not open are connected again. */
  for (size_t i = 0; i < m->u.joined.peer_count; i++) {
    const sky_peer_entry *e = &m->u.joined.peers[i];
    if (strcmp(e->peer_id, c->self_id) == 0) continue;
    sky_peer *known = sky__peer_find(c, e->peer_id);
    if (known) {
      known->server_gone_ms = 0;
      if (!known->channel_open) sky__peer_reconnect(c, known);
      continue;
    }
    sky_peer *fresh = sky__peer_add(c, e->peer_id, e->user_data);
    if (!fresh) continue;
    sky__emit_peer_event(c, "peerJoined", fresh->id, fresh->user_data, false);
    sky__peer_start_offer(c, fresh);
  }
  resumed(c);
  return true;
}

/* The server could not put us back into our room (full, or too many rooms):
 * we are out of it, as if kicked. */
void sky__session_on_error(sky_client *c, const sky_msg *m) {
  sky_session *s = &c->session;
  if (!s->await_room) return;
  s->await_room = false;
  if (c->state == SKY_ROOM_IN_ROOM) {
    char previous[SKY_ROOM_MAX + 1];
    sky__out_of_room(c, previous);
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, cJSON_CreateString("reject"));
    cJSON_AddItemToArray(args, cJSON_CreateString(m->u.error.text[0] ? m->u.error.text : "cannot resume in the room"));
    sky__emit(c, "systemAction", args);
  }
  resumed(c);
}

static void send_ping(sky_client *c, uint64_t now) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_PING;
  sky__send_msg(c, &m);
  c->session.last_ping_ms = now;
}

static uint64_t earliest(uint64_t a, uint64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

uint64_t sky__session_tick(sky_client *c, uint64_t now) {
  sky_session *s = &c->session;
  if (s->state == SKY_SIG_WAITING && now >= s->retry_at_ms) {
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, cJSON_CreateString("nonfallback"));
    cJSON_AddItemToArray(args, cJSON_CreateNumber(s->attempt));
    sky__emit(c, "channelRetry", args);
    if (!open_socket(c, now)) schedule_retry(c);
  }
  if (s->state == SKY_SIG_WAITING) return s->retry_at_ms;
  if (s->state == SKY_SIG_OFF || !c->socket_open) {
    /* An opening socket that never opens is given up on like a silent one. */
    if (s->state == SKY_SIG_OPENING && s->ever_welcomed) {
      if (sky__elapsed(now, s->last_rx_ms) >= SKY_SIG_SILENCE_MS) {
        sky__session_lost(c, "connection_lost", "the signaling server did not answer");
        return s->retry_at_ms;
      }
      return s->last_rx_ms + SKY_SIG_SILENCE_MS;
    }
    return 0;
  }
  if (s->ever_welcomed && sky__elapsed(now, s->last_rx_ms) >= SKY_SIG_SILENCE_MS) {
    sky__session_lost(c, "connection_lost", "the signaling socket went silent");
    return s->retry_at_ms;
  }
  uint32_t period = c->limits.ping_interval_ms && c->limits.ping_interval_ms < SKY_SIG_PING_MS
                        ? c->limits.ping_interval_ms
                        : SKY_SIG_PING_MS;
  if (s->state == SKY_SIG_UP && sky__elapsed(now, s->last_ping_ms) >= period) send_ping(c, now);
  uint64_t next = s->state == SKY_SIG_UP ? s->last_ping_ms + period : 0;
  if (s->ever_welcomed) next = earliest(next, s->last_rx_ms + SKY_SIG_SILENCE_MS);
  return next;
}
