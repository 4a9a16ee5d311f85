/* Rooms: the in-memory room table, membership, and fan-out to members.
 * A room exists while it has members: it is created by the first join and
 * freed (and so unlocked) when its last member leaves. */
#ifndef SKY_SERVER_ROOM_H
#define SKY_SERVER_ROOM_H

#include <stdbool.h>
#include <uthash.h>

#include "connection.h"
#include "protocol.h"

/* A member of the room on another instance (Redis backend, rooms_redis.c):
 * one this instance's members have been told about, so that what they missed
 * while Redis was out of reach can be told them afterwards. */
typedef struct sky_remote_peer {
  char peer_id[SKY_PEER_ID_LEN + 1];
  UT_hash_handle hh;
} sky_remote_peer;

struct sky_room {
  char name[SKY_ROOM_MAX + 1];
  bool locked;
  sky_conn *members;  /* uthash (room_hh) by peer id, in join order; borrowed */
  uint32_t member_count;
  sky_remote_peer *remote; /* uthash by peer id; each owned here, freed with the room */
  UT_hash_handle hh;  /* server->rooms, keyed by name */
};

/* Puts c into the local room called name, creating it if needed. Returns
 * SKY_ERR_NONE, or ROOM_LOCKED / ROOM_FULL / TOO_MANY_ROOMS / INTERNAL with
 * nothing changed. The lock and the peer cap are checked only when asked (a
 * resume ignores the lock; with Redis both live there); --max-rooms always.
 * Sends nothing: the caller announces the join. */
sky_error_code sky_room_enter(sky_conn *c, const char *name, bool check_lock, bool check_cap);

/* The local room called name, or NULL. */
sky_room *sky_room_find(sky_server *s, const char *name);

/* Resume takeover: `to` (same peer id) takes `from`'s place in its room, with
 * nobody told anything. */
void sky_room_replace(sky_conn *from, sky_conn *to);

/* Takes c out of its local room, telling nobody. Frees the room when it
 * empties (which also unlocks it). */
void sky_room_remove(sky_conn *c);
/* peer_left {peer_id, reason} to the local members of room (if any). */
void sky_room_tell_left(sky_server *s, const char *room, const char *peer_id, sky_leave_reason reason);

/* The member with this id, or NULL. */
sky_conn *sky_room_member(const sky_room *room, const char *peer_id);

/* Queues json to every member except `except` (may be NULL). */
void sky_room_broadcast(sky_room *room, const sky_conn *except, const char *json, size_t len);
/* Encodes msg once and broadcasts it. */
void sky_room_broadcast_msg(sky_room *room, const sky_conn *except, const sky_msg *msg);

/* Frees every room (at exit, after the context closed every socket). */
void sky_rooms_free_all(sky_server *s);

#endif
