/* The in-memory rooms backend: one process holds every room, so the local
 * room table (room.c) is the whole truth and nothing travels further. */
#include <stdlib.h>
#include <string.h>

#include "rooms_backend.h"
#include "room.h"

static void memory_join(sky_conn *c, const char *room, bool resume) {
  sky_join_outcome o;
  memset(&o, 0, sizeof(o));
  /* A resume may find c already in the room (taken over from its old socket). */
  if (!c->room) o.err = sky_room_enter(c, room, !resume, true);
  if (o.err != SKY_ERR_NONE) {
    sky_rooms_join_done(c, &o);
    return;
  }
  sky_room *r = c->room;
  /* owner: here, freed below; the user_data strings are borrowed from the members */
  sky_peer_entry *peers = calloc(r->member_count, sizeof(*peers));
  if (!peers) {
    sky_room_remove(c);
    o.err = SKY_ERR_INTERNAL;
    sky_rooms_join_done(c, &o);
    return;
  }
  for (sky_conn *p = r->members; p; p = p->room_hh.next) {
    if (p == c) continue;
    memcpy(peers[o.peer_count].peer_id, p->peer_id, sizeof(peers[o.peer_count].peer_id));
    peers[o.peer_count].user_data = p->user_data;
    o.peer_count++;
  }
  o.peers = peers;
  o.locked = r->locked;
  sky_rooms_join_done(c, &o);
  free(peers);
}

static void memory_left(sky_server *s, const char *room, const char *peer_id, sky_leave_reason reason) {
  sky_room_tell_left(s, room, peer_id, reason);
}

static void memory_fanout(sky_conn *c, const sky_msg *msg) { sky_room_broadcast_msg(c->room, c, msg); }

static void memory_lock(sky_conn *c, bool locked) {
  (void)c; /* the local room's flag is the lock */
  (void)locked;
}

static void memory_relay(sky_conn *c, const char *to, const sky_msg *msg, const char *ref) {
  (void)msg; /* not a local member: in one process, no member at all */
  sky_rooms_no_such_peer(c, to, ref);
}

const sky_rooms_ops sky_rooms_memory = {memory_join, memory_left, memory_fanout, memory_lock, memory_relay};
