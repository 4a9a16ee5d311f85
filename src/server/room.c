/* Room table and membership. See room.h. */
#include "room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A room's member table starts at 4 buckets instead of uthash's 32: rooms are
 * small (--max-peers 64) and there is one table per room, so 32 buckets cost
 * 45 bytes per held peer in rooms of 10. uthash doubles the table once chains
 * grow past 10, and the bucket count lives in the table, so other files that
 * find or delete members need not agree on this. (Debian's uthash.h defines
 * these unconditionally: they are replaced after it, before any HASH_ADD.) */
#undef HASH_INITIAL_NUM_BUCKETS
#undef HASH_INITIAL_NUM_BUCKETS_LOG2
#define HASH_INITIAL_NUM_BUCKETS 4U
#define HASH_INITIAL_NUM_BUCKETS_LOG2 2U

static sky_room *room_create(sky_server *s, const char *name) {
  sky_room *r = calloc(1, sizeof(*r)); /* owner: s->rooms until it empties */
  if (!r) return NULL;
  snprintf(r->name, sizeof(r->name), "%s", name);
  HASH_ADD_STR(s->rooms, name, r);
  s->room_count++;
  return r;
}

static void room_free(sky_server *s, sky_room *r) {
  HASH_DEL(s->rooms, r);
  s->room_count--;
  HASH_CLEAR(room_hh, r->members); /* members are borrowed: just unlink */
  sky_remote_peer *p, *tmp;
  HASH_ITER(hh, r->remote, p, tmp) {
    HASH_DEL(r->remote, p);
    free(p);
  }
  free(r);
}

sky_room *sky_room_find(sky_server *s, const char *name) {
  sky_room *r = NULL;
  HASH_FIND_STR(s->rooms, name, r);
  return r;
}

sky_error_code sky_room_enter(sky_conn *c, const char *name, bool check_lock, bool check_cap) {
  sky_server *s = c->server;
  sky_room *r = sky_room_find(s, name);
  if (r) {
    if (r->locked && check_lock) return SKY_ERR_ROOM_LOCKED;
    if (r->member_count >= s->cfg->limits.max_peers_per_room && check_cap) return SKY_ERR_ROOM_FULL;
  } else {
    if (s->room_count >= s->cfg->max_rooms) return SKY_ERR_TOO_MANY_ROOMS;
    r = room_create(s, name);
    if (!r) return SKY_ERR_INTERNAL;
  }
  HASH_ADD(room_hh, r->members, peer_id, SKY_PEER_ID_LEN, c);
  r->member_count++;
  c->room = r;
  return SKY_ERR_NONE;
}

void sky_room_replace(sky_conn *from, sky_conn *to) {
  sky_room *r = from->room;
  HASH_DELETE(room_hh, r->members, from);
  from->room = NULL;
  HASH_ADD(room_hh, r->members, peer_id, SKY_PEER_ID_LEN, to);
  to->room = r; /* member_count unchanged */
}

void sky_room_remove(sky_conn *c) {
  sky_room *r = c->room;
  if (!r) return;
  HASH_DELETE(room_hh, r->members, c);
  r->member_count--;
  c->room = NULL;
  if (r->member_count == 0) room_free(c->server, r);
}

void sky_room_tell_left(sky_server *s, const char *room, const char *peer_id, sky_leave_reason reason) {
  sky_room *r = sky_room_find(s, room);
  if (!r) return;
  sky_msg m;
  memset(&m, 0, sizeof(m));
  m.type = SKY_MSG_PEER_LEFT;
  snprintf(m.u.peer_left.peer_id, sizeof(m.u.peer_left.peer_id), "%s", peer_id);
  m.u.peer_left.reason = reason;
  sky_room_broadcast_msg(r, NULL, &m);
}

sky_conn *sky_room_member(const sky_room *room, const char *peer_id) {
  sky_conn *c = NULL;
  if (strlen(peer_id) != SKY_PEER_ID_LEN) return NULL;
  HASH_FIND(room_hh, room->members, peer_id, SKY_PEER_ID_LEN, c);
  return c;
}

void sky_room_broadcast(sky_room *room, const sky_conn *except, const char *json, size_t len) {
  /* sky_conn_send_text never removes a member (a slow one is only marked
   * dead and leaves at CLOSED), so plain iteration is safe here. */
  for (sky_conn *m = room->members; m; m = m->room_hh.next) {
    if (m != except) sky_conn_send_text(m, json, len);
  }
}

void sky_room_broadcast_msg(sky_room *room, const sky_conn *except, const sky_msg *msg) {
  char *json = sky_msg_encode(msg); /* owner: here */
  if (!json) {
    lwsl_err("cannot encode a '%s' message\n", sky_msg_type_name(msg->type));
    return;
  }
  sky_room_broadcast(room, except, json, strlen(json));
  free(json);
}

void sky_rooms_free_all(sky_server *s) {
  sky_room *r, *tmp;
  HASH_ITER(hh, s->rooms, r, tmp) {
    for (sky_conn *m = r->members; m; m = m->room_hh.next) m->room = NULL;
    room_free(s, r);
  }
}
