/* What every backend shares: the ends of a join, leaving, and relay to local
 * members first. See rooms_backend.h. */
#include "rooms_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "resume_dispatch.h"
#include "room.h"

/* The fuzz target and a server started without --redis leave it NULL. */
static const sky_rooms_ops *ops_of(const sky_server *s) { return s->rooms_ops ? s->rooms_ops : &sky_rooms_memory; }

void sky_rooms_join(sky_conn *c, const char *room, bool resume, const char *ref, char *user_data) {
  sky_join *j = calloc(1, sizeof(*j)); /* owner: c->join until sky_rooms_join_done */
  if (!j) {
    free(user_data);
    sky_conn_send_error(c, SKY_ERR_INTERNAL, ref, false, "out of memory");
    return;
  }
  j->resume = resume;
  snprintf(j->room, sizeof(j->room), "%s", room);
  snprintf(j->ref, sizeof(j->ref), "%s", ref);
  j->user_data = user_data;
  c->join = j;
  ops_of(c->server)->join(c, j->room, resume);
}

static void send_joined(sky_conn *c, const sky_join_outcome *o, const char *ref) {
  sky_msg j;
  memset(&j, 0, sizeof(j));
  j.type = SKY_MSG_JOINED;
  memcpy(j.u.joined.room, c->room->name, sizeof(j.u.joined.room));
  memcpy(j.u.joined.peer_id, c->peer_id, sizeof(j.u.joined.peer_id));
  j.u.joined.locked = o->locked;
  /* borrowed from the backend: j is not passed to sky_msg_clear() */
  j.u.joined.peers = (sky_peer_entry *)o->peers;
  j.u.joined.peer_count = o->peer_count;
  snprintf(j.ref, sizeof(j.ref), "%s", ref);
  sky_conn_send_msg(c, &j);
}

void sky_rooms_join_done(sky_conn *c, const sky_join_outcome *o) {
  sky_join *j = c->join; /* owner: here now; the backend may have passed j->room in */
  c->join = NULL;
  if (o->err != SKY_ERR_NONE) {
    sky_refuse_join(c, j->ref, j->room, o->err);
    if (j->resume) sky_resume_send_token(c); /* for no room */
    free(j->user_data);
    free(j);
    return;
  }
  /* join's userData replaces what an earlier update stored; absent keeps it,
   * so setUserData-then-join works either way. */
  if (j->user_data) sky_conn_set_user_data(c, j->user_data);
  send_joined(c, o, j->ref);
  free(j);
  sky_resume_send_token(c); /* the token now names the room */
  /* The local members; the backend told the others. After a resume this
   * reaches peers that never saw it go too: clients ignore a peer_joined for
   * a peer they have. */
  sky_msg announce;
  memset(&announce, 0, sizeof(announce));
  announce.type = SKY_MSG_PEER_JOINED;
  memcpy(announce.u.peer.peer_id, c->peer_id, sizeof(announce.u.peer.peer_id));
  announce.u.peer.user_data = c->user_data; /* borrowed: announce is not cleared */
  sky_room_broadcast_msg(c->room, c, &announce);
}

void sky_rooms_leave(sky_conn *c, sky_leave_reason reason) {
  if (!c->room) return;
  char room[SKY_ROOM_MAX + 1];
  memcpy(room, c->room->name, sizeof(room));
  sky_room_remove(c);
  if (!c->server->stopping) ops_of(c->server)->left(c->server, room, c->peer_id, reason);
}

void sky_rooms_announce(sky_conn *c, sky_msg_type type) {
  sky_msg announce;
  memset(&announce, 0, sizeof(announce));
  announce.type = type;
  memcpy(announce.u.peer.peer_id, c->peer_id, sizeof(announce.u.peer.peer_id));
  announce.u.peer.user_data = c->user_data; /* borrowed: announce is not cleared */
  ops_of(c->server)->fanout(c, &announce);
}

void sky_rooms_lock(sky_conn *c, const sky_msg *room_lock) {
  c->room->locked = room_lock->u.room_lock.locked;
  ops_of(c->server)->lock(c, room_lock->u.room_lock.locked);
  ops_of(c->server)->fanout(c, room_lock);
}

void sky_rooms_relay(sky_conn *c, const char *to, const sky_msg *m, const char *ref) {
  sky_conn *t = sky_room_member(c->room, to);
  if (t && t != c) {
    sky_conn_send_msg(t, m);
    return;
  }
  if (t == c || strcmp(to, c->peer_id) == 0) {
    sky_rooms_no_such_peer(c, to, ref);
    return;
  }
  ops_of(c->server)->relay(c, to, m, ref);
}

void sky_rooms_no_such_peer(sky_conn *c, const char *to, const char *ref) {
  sky_conn_send_error(c, SKY_ERR_UNKNOWN_PEER, ref, false, "no peer '%.32s' in your room", to);
}

void sky_rooms_broadcast(sky_conn *c, const sky_msg *m) { ops_of(c->server)->fanout(c, m); }
