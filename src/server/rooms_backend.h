/* The rooms backend: where room membership lives and how room traffic reaches
 * the members. dispatch.c and resume_dispatch.c go through here only.
 *
 * Every instance keeps its own members in the local room table (room.c): a
 * message for a local member is queued at once. A backend adds what lies
 * beyond this process:
 *   - memory (rooms_memory.c): nothing; one process is the whole world. The
 *     embedded default, today's behaviour.
 *   - redis (rooms_redis.c): membership, locks and caps in Redis, traffic for
 *     peers on other instances over its pub/sub (--redis).
 * A join may complete later (the backend asks Redis first): the backend calls
 * sky_rooms_join_done() once it knows. */
#ifndef SKY_SERVER_ROOMS_BACKEND_H
#define SKY_SERVER_ROOMS_BACKEND_H

#include <stdbool.h>

#include "connection.h"

#define SKY_RESUME_REF "resume" /* the ref of what a resume causes: joined, error */

/* What a join came to. On success c is in its local room, and peers lists
 * everyone else in the room (borrowed for the call). */
typedef struct sky_join_outcome {
  sky_error_code err; /* SKY_ERR_NONE, or why the room refused */
  bool locked;
  const sky_peer_entry *peers;
  size_t peer_count;
} sky_join_outcome;

/* A join under way (the backend may be asking Redis): owned by its conn
 * (c->join) from sky_rooms_join() to sky_rooms_join_done(). Idle conns carry
 * none, so it costs nothing per idle peer. */
typedef struct sky_join {
  bool resume;
  char room[SKY_ROOM_MAX + 1];
  char ref[SKY_REF_MAX + 1];
  char *user_data; /* heap (owned) or NULL: applied when the join succeeds */
} sky_join;

typedef struct sky_rooms_ops {
  /* Puts c into room (resume: a locked room lets it in; c may already be in
   * it, taken over from its old socket), then calls sky_rooms_join_done()
   * now or later. c->join is set meanwhile. */
  void (*join)(sky_conn *c, const char *room, bool resume);
  /* peer_id has just left the local room `room` (already out of it): tells
   * the others with reason. */
  void (*left)(sky_server *s, const char *room, const char *peer_id, sky_leave_reason reason);
  /* msg from c to everyone else in its room. */
  void (*fanout)(sky_conn *c, const sky_msg *msg);
  /* Records the room's lock; the caller fans room_lock out. */
  void (*lock)(sky_conn *c, bool locked);
  /* msg to peer `to`, which is not a local member of c's room; sends c
   * unknown_peer (with ref) when no instance has it in the room. */
  void (*relay)(sky_conn *c, const char *to, const sky_msg *msg, const char *ref);
} sky_rooms_ops;

extern const sky_rooms_ops sky_rooms_memory;

/* Starts a join of room for c (a resume when resume is true). user_data: the
 * userData to apply once in, or NULL to keep c's; ownership moves here. */
void sky_rooms_join(sky_conn *c, const char *room, bool resume, const char *ref, char *user_data);
/* Ends a join started above (called by the backend): joined, token and
 * peer_joined to the local members, or the refusal. */
void sky_rooms_join_done(sky_conn *c, const sky_join_outcome *outcome);
/* Takes c out of its room, telling the others why (not while stopping). */
void sky_rooms_leave(sky_conn *c, sky_leave_reason reason);
/* peer_joined / peer_updated for c, to the rest of its room. */
void sky_rooms_announce(sky_conn *c, sky_msg_type type);
/* room_lock from c: recorded, then to everyone else (the sender's ack is the caller's). */
void sky_rooms_lock(sky_conn *c, const sky_msg *room_lock);
/* m (already stamped) to peer `to` of c's room, or unknown_peer to c. */
void sky_rooms_relay(sky_conn *c, const char *to, const sky_msg *m, const char *ref);
/* The unknown_peer error: for a peer of another room the same as for none. */
void sky_rooms_no_such_peer(sky_conn *c, const char *to, const char *ref);
/* m to everyone else in c's room. */
void sky_rooms_broadcast(sky_conn *c, const sky_msg *m);

#endif
