/* The Redis rooms backend. Local members are served from the local room table
 * at once; Redis holds who is in every room (and on which instance), the
 * locks and the caps, and carries what peers on other instances must hear.
 * While Redis is unreachable this instance serves its own peers as the
 * memory backend would, and publishes them again once it is back. */
#include "rooms_redis.h"

#include <cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "bus_msg.h"
#include "redis_bus.h"
#include "redis_eval.h"
#include "redis_scripts.h"
#include "room.h"

static const char *me(const sky_server *s) { return s->cfg->redis.instance_id; }

/* The bus form of msg: kind, room, peer, target around its JSON. Heap (the
 * caller frees it), or NULL (logged). */
static char *bus_encode(sky_bus_kind kind, const char *room, const char *peer, const char *target, const sky_msg *msg,
                        size_t *len) {
  char *json = sky_msg_encode(msg); /* owner: here */
  if (!json) {
    lwsl_err("cannot encode a '%s' message\n", sky_msg_type_name(msg->type));
    return NULL;
  }
  sky_bus_msg b;
  memset(&b, 0, sizeof(b));
  b.kind = kind;
  snprintf(b.room, sizeof(b.room), "%s", room);
  snprintf(b.peer, sizeof(b.peer), "%s", peer);
  snprintf(b.target, sizeof(b.target), "%s", target);
  b.payload = json;
  b.payload_len = strlen(json);
  char *out = sky_bus_msg_encode(&b, len); /* owner: the caller */
  free(json);
  if (!out) lwsl_err("cannot encode a bus message for room '%s'\n", room);
  return out;
}

/* What a reply needs to find its way back. owner: the reply callback. */
typedef struct ticket {
  sky_server *s;
  char peer[SKY_PEER_ID_LEN + 1];
  uint64_t serial; /* 0: no conn to find */
  char room[SKY_ROOM_MAX + 1];
  char target[SKY_PEER_ID_LEN + 1];
  char ref[SKY_REF_MAX + 1];
  bool resume;
  sky_leave_reason reason;
} ticket;

static ticket *ticket_new(sky_server *s, const sky_conn *c, const char *peer, const char *room) {
  ticket *t = calloc(1, sizeof(*t)); /* owner: the reply callback (or the caller when sending fails) */
  if (!t) return NULL;
  t->s = s;
  snprintf(t->peer, sizeof(t->peer), "%s", peer);
  snprintf(t->room, sizeof(t->room), "%s", room);
  if (c) t->serial = c->serial;
  return t;
}

/* The conn the ticket was for, if it is still the same socket and alive. */
static sky_conn *ticket_conn(const ticket *t) {
  sky_conn *c = NULL;
  HASH_FIND_STR(t->s->peers, t->peer, c);
  return c && c->serial == t->serial && !c->dead ? c : NULL;
}

/* A reply for t's conn: an error reply is logged; NULL while the server stops
 * or when the conn is gone. */
static sky_conn *reply_conn(const ticket *t, const redisReply *r) {
  sky_redis_check_reply(t->s, r);
  return t->s->stopping ? NULL : ticket_conn(t);
}

/* ---- who the local members know on other instances ------------------------ */

static sky_remote_peer *remote_find(const sky_room *r, const char *peer_id) {
  sky_remote_peer *p = NULL;
  HASH_FIND_STR(r->remote, peer_id, p);
  return p;
}

static void remote_add(sky_room *r, const char *peer_id) {
  if (sky_room_member(r, peer_id) || remote_find(r, peer_id)) return;
  sky_remote_peer *p = calloc(1, sizeof(*p)); /* owner: r->remote, freed with the room */
  if (!p) return; /* only a missed correction after an outage */
  snprintf(p->peer_id, sizeof(p->peer_id), "%s", peer_id);
  HASH_ADD_STR(r->remote, peer_id, p);
}

static void remote_del(sky_room *r, const char *peer_id) {
  sky_remote_peer *p = remote_find(r, peer_id);
  if (!p) return;
  HASH_DEL(r->remote, p);
  free(p);
}

/* A join decided here, without Redis (it is unreachable). The newcomer is
 * told only of local members: the room forgets whom it knew elsewhere, so
 * that once Redis is back the snapshot tells every local member (the
 * newcomer too) of every remote one; the others ignore what they know. */
static void local_join(sky_conn *c, const char *room, bool resume) {
  sky_rooms_memory.join(c, room, resume);
  if (!c->room) return;
  sky_remote_peer *p, *tmp;
  HASH_ITER(hh, c->room->remote, p, tmp) remote_del(c->room, p->peer_id);
}

/* ---- leave --------------------------------------------------------------- */

static void left_reply(redisAsyncContext *ac, void *reply, void *priv) {
  (void)ac;
  ticket *t = priv;
  redisReply *r = reply;
  sky_redis_check_reply(t->s, r);
  /* 0: the peer belongs to another instance now (it resumed there): the
   * room keeps it. No reply (Redis went away): say it here at least. */
  if (!t->s->stopping && (!r || (r->type == REDIS_REPLY_INTEGER && r->integer == 1)))
    sky_room_tell_left(t->s, t->room, t->peer, t->reason);
  free(t);
}

static void send_leave(sky_server *s, const char *room, const char *peer_id, sky_leave_reason reason,
                       redisCallbackFn *fn) {
  sky_msg m;
  memset(&m, 0, sizeof(m));
  m.type = SKY_MSG_PEER_LEFT;
  snprintf(m.u.peer_left.peer_id, sizeof(m.u.peer_left.peer_id), "%s", peer_id);
  m.u.peer_left.reason = reason;
  size_t len = 0;
  char *bus = bus_encode(SKY_BUS_LEFT, room, peer_id, "", &m, &len); /* owner: here */
  ticket *t = fn ? ticket_new(s, NULL, peer_id, room) : NULL;
  if (t) t->reason = reason;
  const char *args[] = {peer_id, me(s), bus};
  bool sent = bus && (!fn || t) && sky_redis_eval(s, sky_script_leave, room, args, 3, len, fn, t);
  free(bus);
  if (sent) return;
  free(t);
  if (fn) sky_room_tell_left(s, room, peer_id, reason);
}

static void redis_left(sky_server *s, const char *room, const char *peer_id, sky_leave_reason reason) {
  if (!sky_bus_up(s->bus)) {
    sky_room_tell_left(s, room, peer_id, reason);
    return;
  }
  send_leave(s, room, peer_id, reason, left_reply);
}

/* ---- join ---------------------------------------------------------------- */

typedef struct member {
  sky_peer_entry entry;
  unsigned long long seq;
} member;

static int by_seq(const void *a, const void *b) {
  const member *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The admit message's members ([peer, instance, userData, seq] each): everyone
 * but c, in join order, the ones on other instances noted in its room. Heap
 * (the caller frees it); the userData strings point into list. */
static size_t read_members(sky_conn *c, const cJSON *list, member **out) {
  int count = cJSON_GetArraySize(list);
  *out = count > 0 ? calloc((size_t)count, sizeof(**out)) : NULL; /* owner: the caller */
  if (!*out) return 0;
  size_t n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    const cJSON *id = cJSON_GetArrayItem(e, 0), *ud = cJSON_GetArrayItem(e, 2), *seq = cJSON_GetArrayItem(e, 3);
    if (!cJSON_IsString(id) || !cJSON_IsString(ud) || !cJSON_IsString(seq) ||
        !sky_peer_id_valid(id->valuestring, strlen(id->valuestring)) || strcmp(id->valuestring, c->peer_id) == 0)
      continue;
    snprintf((*out)[n].entry.peer_id, sizeof((*out)[n].entry.peer_id), "%s", id->valuestring);
    (*out)[n].entry.user_data = ud->valuestring;
    (*out)[n].seq = strtoull(seq->valuestring, NULL, 10);
    remote_add(c->room, id->valuestring); /* local members are skipped */
    n++;
  }
  qsort(*out, n, sizeof(**out), by_seq);
  return n;
}

/* The join script's admit message (on this instance's own channel, so in
 * order with the room's other traffic: c hears exactly what was said in the
 * room after its join). */
static void admit(sky_server *s, const sky_bus_msg *m) {
  cJSON *root = cJSON_ParseWithLength(m->payload, m->payload_len); /* owner: here */
  const cJSON *serial = cJSON_GetObjectItemCaseSensitive(root, "serial");
  uint64_t want = cJSON_IsString(serial) ? strtoull(serial->valuestring, NULL, 10) : 0;
  sky_conn *c = NULL;
  HASH_FIND_STR(s->peers, m->peer, c);
  if (!c || c->serial != want || !c->join || c->dead || strcmp(c->join->room, m->room) != 0) {
    /* It went before it was in: take it out again, unless another socket of
     * this instance holds the peer id by now (a resume). */
    if (!c) send_leave(s, m->room, m->peer, SKY_LEAVE_DISCONNECTED, NULL);
    cJSON_Delete(root);
    return;
  }
  sky_join_outcome o;
  memset(&o, 0, sizeof(o));
  if (!c->room) o.err = sky_room_enter(c, m->room, false, false);
  if (o.err != SKY_ERR_NONE) {
    send_leave(s, m->room, m->peer, SKY_LEAVE_DISCONNECTED, NULL);
    sky_rooms_join_done(c, &o);
    cJSON_Delete(root);
    return;
  }
  member *ms = NULL;
  size_t n = read_members(c, cJSON_GetObjectItemCaseSensitive(root, "members"), &ms); /* owner: here */
  sky_peer_entry *peers = n ? calloc(n, sizeof(*peers)) : NULL;                       /* owner: here */
  for (size_t i = 0; peers && i < n; i++) peers[i] = ms[i].entry;
  o.locked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "locked"));
  o.peers = peers;
  o.peer_count = peers ? n : 0;
  sky_rooms_join_done(c, &o);
  free(peers);
  free(ms);
  cJSON_Delete(root);
}

/* The join script's answer: a refusal ends the join here; "ok" waits for the
 * admit message on the bus. */
static void join_reply(redisAsyncContext *ac, void *reply, void *priv) {
  (void)ac;
  ticket *t = priv;
  const redisReply *r = reply;
  sky_conn *c = reply_conn(t, r);
  if (c && c->join) {
    const char *verdict = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
                                  r->element[0]->type == REDIS_REPLY_STRING ? r->element[0]->str : "";
    sky_join_outcome o;
    memset(&o, 0, sizeof(o));
    o.err = strcmp(verdict, "locked") == 0 ? SKY_ERR_ROOM_LOCKED
            : strcmp(verdict, "full") == 0 ? SKY_ERR_ROOM_FULL
            : strcmp(verdict, "ok") == 0   ? SKY_ERR_NONE
                                           : SKY_ERR_INTERNAL;
    if (!r) local_join(c, t->room, t->resume); /* Redis went away mid-join: decide here */
    else if (o.err != SKY_ERR_NONE) sky_rooms_join_done(c, &o);
  }
  free(t);
}

/* Sends the join script for c (userData ud); fn may be NULL (a republish:
 * no admit message then). */
static bool send_join(sky_conn *c, const char *room, bool resume, const char *ud, redisCallbackFn *fn, ticket *t) {
  sky_server *s = c->server;
  sky_msg pj;
  memset(&pj, 0, sizeof(pj));
  pj.type = SKY_MSG_PEER_JOINED;
  memcpy(pj.u.peer.peer_id, c->peer_id, sizeof(pj.u.peer.peer_id));
  pj.u.peer.user_data = (char *)ud; /* borrowed: pj is not cleared */
  size_t len = 0;
  char *bus = bus_encode(SKY_BUS_JOIN, room, c->peer_id, "", &pj, &len); /* owner: here */
  if (!bus) return false;
  char cap[16];
  snprintf(cap, sizeof(cap), "%u", s->cfg->limits.max_peers_per_room);
  char serial[24];
  snprintf(serial, sizeof(serial), "%llu", fn ? (unsigned long long)c->serial : 0ull);
  const char *args[] = {c->peer_id, me(s), ud, cap, resume ? "1" : "0", room, serial, bus};
  bool sent = sky_redis_eval(s, sky_script_join, room, args, 8, len, fn, t);
  free(bus);
  return sent;
}

static void redis_join(sky_conn *c, const char *room, bool resume) {
  sky_server *s = c->server;
  if (!sky_bus_up(s->bus)) {
    local_join(c, room, resume); /* published when Redis is back */
    return;
  }
  if (!c->room && !sky_room_find(s, room) && s->room_count >= s->cfg->max_rooms) {
    sky_join_outcome o = {SKY_ERR_TOO_MANY_ROOMS, false, NULL, 0};
    sky_rooms_join_done(c, &o);
    return;
  }
  ticket *t = ticket_new(s, c, c->peer_id, room);
  if (t) t->resume = resume;
  if (t && send_join(c, room, resume, c->join->user_data ? c->join->user_data : c->user_data, join_reply, t)) return;
  free(t);
  local_join(c, room, resume);
}

/* ---- fan-out, lock, relay ------------------------------------------------ */

static void redis_fanout(sky_conn *c, const sky_msg *msg) {
  sky_server *s = c->server;
  sky_room_broadcast_msg(c->room, c, msg);
  if (!sky_bus_up(s->bus)) return;
  size_t len = 0;
  char *bus = bus_encode(SKY_BUS_ROOM, c->room->name, c->peer_id, "", msg, &len); /* owner: here */
  if (!bus) return;
  if (msg->type == SKY_MSG_PEER_UPDATED) { /* the record keeps the new userData for later joiners */
    const char *args[] = {c->peer_id, me(s), c->user_data, bus};
    sky_redis_eval(s, sky_script_update, c->room->name, args, 4, len, NULL, NULL);
  } else {
    const char *args[] = {me(s), bus};
    sky_redis_eval(s, sky_script_fanout, c->room->name, args, 2, len, NULL, NULL);
  }
  free(bus);
}

static void redis_lock(sky_conn *c, bool locked) {
  const char *args[] = {locked ? "1" : "0"};
  sky_redis_eval(c->server, sky_script_lock, c->room->name, args, 1, (size_t)-1, NULL, NULL);
}

static void relay_reply(redisAsyncContext *ac, void *reply, void *priv) {
  (void)ac;
  ticket *t = priv;
  const redisReply *r = reply;
  sky_conn *c = reply_conn(t, r);
  if (c && !(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1)) sky_rooms_no_such_peer(c, t->target, t->ref);
  free(t);
}

static void redis_relay(sky_conn *c, const char *to, const sky_msg *msg, const char *ref) {
  sky_server *s = c->server;
  size_t len = 0;
  char *bus = sky_bus_up(s->bus) ? bus_encode(SKY_BUS_PEER, c->room->name, c->peer_id, to, msg, &len) : NULL;
  ticket *t = bus ? ticket_new(s, c, c->peer_id, c->room->name) : NULL; /* owner: relay_reply */
  if (t) {
    snprintf(t->target, sizeof(t->target), "%s", to);
    snprintf(t->ref, sizeof(t->ref), "%s", ref);
    const char *args[] = {to, me(s), bus};
    if (sky_redis_eval(s, sky_script_relay, c->room->name, args, 3, len, relay_reply, t)) t = NULL;
    else sky_rooms_no_such_peer(c, to, ref);
  } else {
    sky_rooms_no_such_peer(c, to, ref);
  }
  free(t);
  free(bus);
}

const sky_rooms_ops sky_rooms_redis = {redis_join, redis_left, redis_fanout, redis_lock, redis_relay};

/* ---- the bus ------------------------------------------------------------- */

/* Another instance holds this peer id now in `room` (its socket here died
 * unnoticed and it resumed there): drop ours without a word to that room,
 * which keeps the peer. Had ours moved on to another room since, that room is
 * told it left, as on one server (resume_dispatch.h). */
static void drop_stale(sky_conn *old, const char *room) {
  sky_server *s = old->server;
  if (s->cfg->verbose > 1) lwsl_user("peer %s: resumed on another instance, dropping the socket here\n", old->peer_id);
  if (old->room && strcmp(old->room->name, room) != 0) sky_rooms_leave(old, SKY_LEAVE_DISCONNECTED);
  sky_room_remove(old);
  HASH_DELETE(hh, s->peers, old);
  old->authenticated = false; /* its destroy then tells nobody */
  sky_conn_kill(old, SKY_LEAVE_DISCONNECTED);
}

/* A snapshot of room r (the snapshot script, asked for when Redis came back):
 * tells the local members of peers that joined or left while this instance
 * could not hear it. A remote peer Redis does not list, without a note that it
 * left, stays: its instance may not have written it back yet. */
static void reconcile(sky_server *s, sky_room *r, const char *payload, size_t len) {
  cJSON *root = cJSON_ParseWithLength(payload, len); /* owner: here */
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(root, "members");
  const cJSON *gone = cJSON_GetObjectItemCaseSensitive(root, "gone");
  const cJSON *e;
  cJSON_ArrayForEach(e, gone) { /* Lua writes an empty list as {}: then nothing is iterated */
    if (!cJSON_IsString(e) || !remote_find(r, e->valuestring)) continue;
    remote_del(r, e->valuestring);
    sky_room_tell_left(s, r->name, e->valuestring, SKY_LEAVE_DISCONNECTED);
  }
  cJSON_ArrayForEach(e, members) {
    const cJSON *id = cJSON_GetArrayItem(e, 0), *inst = cJSON_GetArrayItem(e, 1), *ud = cJSON_GetArrayItem(e, 2);
    if (!cJSON_IsString(id) || !cJSON_IsString(inst) || !cJSON_IsString(ud) || strcmp(inst->valuestring, me(s)) == 0)
      continue;
    if (!sky_peer_id_valid(id->valuestring, strlen(id->valuestring)) || sky_room_member(r, id->valuestring) ||
        remote_find(r, id->valuestring))
      continue;
    remote_add(r, id->valuestring);
    sky_msg pj;
    memset(&pj, 0, sizeof(pj));
    pj.type = SKY_MSG_PEER_JOINED;
    snprintf(pj.u.peer.peer_id, sizeof(pj.u.peer.peer_id), "%s", id->valuestring);
    pj.u.peer.user_data = ud->valuestring; /* borrowed from root: pj is not cleared */
    sky_room_broadcast_msg(r, NULL, &pj);
  }
  cJSON_Delete(root);
}

static void on_bus_message(sky_server *s, const char *data, size_t len) {
  if (s->stopping) return;
  sky_bus_msg m;
  if (!sky_bus_msg_decode(data, len, &m)) {
    if (s->cfg->verbose > 1) lwsl_user("redis: a malformed bus message (%zu bytes) ignored\n", len);
    return;
  }
  sky_conn *subject = NULL;
  if (m.peer[0]) HASH_FIND_STR(s->peers, m.peer, subject);
  if (m.kind == SKY_BUS_ADMIT) {
    admit(s, &m);
    return;
  }
  if (m.kind == SKY_BUS_JOIN && subject) drop_stale(subject, m.room);
  if (m.kind == SKY_BUS_PEER) {
    sky_conn *t = NULL;
    HASH_FIND_STR(s->peers, m.target, t);
    if (t && t->room && strcmp(t->room->name, m.room) == 0) sky_conn_send_text(t, m.payload, m.payload_len);
    return;
  }
  sky_room *r = sky_room_find(s, m.room);
  if (!r) return;
  if (m.kind == SKY_BUS_SNAPSHOT) {
    reconcile(s, r, m.payload, m.payload_len);
    return;
  }
  if (m.kind == SKY_BUS_JOIN) remote_add(r, m.peer);
  if (m.kind == SKY_BUS_LEFT) remote_del(r, m.peer);
  sky_room_broadcast(r, sky_room_member(r, m.peer), m.payload, m.payload_len);
}

/* Memberships Redis has on this instance that are no longer here (they
 * ended while Redis could not be told) are reported left: the sync script,
 * told every (peer, room) this instance holds now. */
static void forget_departed(sky_server *s) {
  size_t n = 1;
  for (sky_room *r = s->rooms; r; r = r->hh.next) n += 2 * r->member_count;
  const char **args = calloc(n, sizeof(*args)); /* owner: here */
  if (!args) return;
  int nargs = 0;
  args[nargs++] = me(s);
  for (sky_room *r = s->rooms; r; r = r->hh.next) {
    for (sky_conn *c = r->members; c; c = c->room_hh.next) {
      args[nargs++] = c->peer_id;
      args[nargs++] = r->name;
    }
  }
  sky_redis_eval(s, sky_script_sync, NULL, args, nargs, (size_t)-1, NULL, NULL);
  free(args);
}

/* Asks Redis for room's members as they are now, to arrive on the bus in
 * order with the room's other messages (reconcile() reads it). */
static void take_snapshot(sky_server *s, sky_room *r) {
  const char **args = calloc(2 + HASH_COUNT(r->remote), sizeof(*args)); /* owner: here */
  if (!args) return;
  int nargs = 0;
  args[nargs++] = me(s);
  args[nargs++] = r->name;
  for (sky_remote_peer *p = r->remote; p; p = p->hh.next) args[nargs++] = p->peer_id;
  sky_redis_eval(s, sky_script_snapshot, r->name, args, nargs, (size_t)-1, NULL, NULL);
  free(args);
}

/* Redis is (back) up: whatever this instance did alone, or what a restarted
 * Redis forgot, goes back in, and what it remembers of peers gone meanwhile
 * goes out. Clients ignore a peer_joined for a peer they have, so telling the
 * others again is harmless. */
static void on_up(sky_server *s) {
  sky_redis_load_scripts(s);
  forget_departed(s);
  char ttl[16];
  snprintf(ttl, sizeof(ttl), "%d", SKY_HEARTBEAT_TTL_MS);
  const char *hb[] = {me(s), ttl};
  sky_redis_eval(s, sky_script_heartbeat, NULL, hb, 2, (size_t)-1, NULL, NULL);
  for (sky_room *r = s->rooms; r; r = r->hh.next) {
    if (r->locked) redis_lock(r->members, true);
    for (sky_conn *c = r->members; c; c = c->room_hh.next) send_join(c, r->name, true, c->user_data, NULL, NULL);
    take_snapshot(s, r); /* what the local members missed while this instance was away */
  }
}

static void reap_reply(redisAsyncContext *ac, void *reply, void *priv) {
  (void)ac;
  sky_server *s = priv;
  redisReply *r = reply;
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && s->cfg->verbose > 0)
    lwsl_user("redis: %lld peer(s) of a dead instance reported left\n", r->integer);
  sky_redis_check_reply(s, r);
}

static void on_tick(sky_server *s) {
  char ttl[16], grace[16];
  snprintf(ttl, sizeof(ttl), "%d", SKY_HEARTBEAT_TTL_MS);
  snprintf(grace, sizeof(grace), "%llu", (unsigned long long)s->cfg->redis.grace_s * 1000u);
  const char *hb[] = {me(s), ttl};
  sky_redis_eval(s, sky_script_heartbeat, NULL, hb, 2, (size_t)-1, NULL, NULL);
  const char *reap[] = {grace};
  sky_redis_eval(s, sky_script_reap, NULL, reap, 1, (size_t)-1, reap_reply, s);
}

/* Redis is gone: joins waiting for their admit message are decided here. */
static void on_down(sky_server *s) {
  sky_conn *c;
  DL_FOREACH(s->conns, c) {
    if (c->join && !c->dead) local_join(c, c->join->room, c->join->resume);
  }
}

bool sky_rooms_redis_start(sky_server *s) {
  char channel[sizeof("sky:bus:") + SKY_INSTANCE_ID_MAX];
  snprintf(channel, sizeof(channel), "sky:bus:%s", me(s));
  s->bus = sky_bus_create(s, channel, on_bus_message, on_up, on_tick, on_down); /* owner: s, freed by sky_rooms_redis_stop */
  if (!s->bus) return false;
  s->rooms_ops = &sky_rooms_redis;
  return true;
}

void sky_rooms_redis_stop(sky_server *s) {
  sky_bus_destroy(s->bus);
  s->bus = NULL;
}
