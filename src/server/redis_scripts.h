/* What lives in Redis, and the Lua scripts that change it: each runs
 * atomically inside Redis, so a check and its change (a join against the
 * lock and the cap; a departure against the peer's current instance; the
 * reaper's "who announces") can never interleave with another instance's.
 *
 * Keys (R = the room name in lowercase hex, so that no name, whatever its
 * characters, reaches into another room's keys or a channel):
 *   sky:room:R          hash  peer id -> "SEQ|INSTANCE|USERDATA" (SEQ: join order)
 *   sky:room:R:inst     hash  instance -> how many of the room's peers it holds
 *   sky:room:R:lock     string, present while the room is locked
 *   sky:room:R:seq      counter behind SEQ
 *   sky:peers:INSTANCE  hash  peer id -> room name: what the reaper reports
 *   sky:where           hash  peer id -> the instance it is in a room on (a resume
 *                       elsewhere tells that instance its socket is stale)
 *   sky:hb:INSTANCE     string with a TTL (SKY_HEARTBEAT_TTL_MS), refreshed every second
 *   sky:instances       set of every instance that has sent a heartbeat
 *   sky:dead            hash  instance -> when (Redis clock, ms) its peers are reported left
 *   sky:gone:PEER       string for 60 s after a peer left its room: for instances
 *                       that missed the news (snapshot)
 * Channel: sky:bus:INSTANCE, one per instance (bus_msg.h). A room's traffic
 * goes to the instances listed in sky:room:R:inst only.
 * A room's keys go when its last peer does (its lock with them). */
#ifndef SKY_SERVER_REDIS_SCRIPTS_H
#define SKY_SERVER_REDIS_SCRIPTS_H

#define SKY_HEARTBEAT_TTL_MS 3000

/* Every room script takes the same five keys (sky_redis_room_keys):
 * KEYS[1] sky:room:R, [2] :inst, [3] :lock, [4] :seq, [5] sky:peers:ME. */
#define SKY_ROOM_KEYS 5

/* ARGV: peer, me, userData, maxPeers, resume ("1": the lock does not apply),
 * room name, serial of the joining socket ("0": none, a republish), bus
 * message ('j' peer_joined, to the others). Returns {"locked"}, {"full"} or
 * {"ok"}; with "ok" and a serial it publishes the 'a' (admit) bus message,
 * with the lock and the members, to this instance's own channel. A peer
 * already a member (a resume, or a republish) passes the checks and keeps its
 * place. */
extern const char sky_script_join[];
/* ARGV: peer, me, bus message ('r' peer_left). Removes peer if this instance
 * still holds it and fans the message out: 1; else 0 (it went elsewhere). */
extern const char sky_script_leave[];
/* ARGV: peer, me, userData, bus message ('r' peer_updated). 1 or 0 as leave. */
extern const char sky_script_update[];
/* ARGV: me, bus message ('r'): to every other instance of the room. */
extern const char sky_script_fanout[];
/* ARGV: locked ("1"/"0"). */
extern const char sky_script_lock[];
/* ARGV: target, me, bus message ('p'). 1 when sent to the target's instance;
 * 0 when the target is in no instance's copy of the room. */
extern const char sky_script_relay[];
/* No keys. ARGV: me, TTL ms. The heartbeat; also says "not dead" to sky:dead. */
extern const char sky_script_heartbeat[];
/* No keys. ARGV: grace ms. For each instance without a heartbeat: starts its
 * grace, or once over, removes its peers that no instance took over, tells
 * their rooms peer_left "disconnected" (the 'r' message is built here) and
 * forgets the instance. Atomic: exactly one caller does each. Returns how
 * many peers it reported. */
extern const char sky_script_reap[];

/* No keys. ARGV: me, then peer id and room of every peer in a room on this
 * instance now. Once Redis is back after an outage: every other membership
 * Redis still has on this instance (peers that left or moved while Redis could
 * not be told) is removed and its room told peer_left "disconnected". The peers kept are then written again with the
 * join script. Returns how many it reported. */
extern const char sky_script_sync[];

/* KEYS: the room's five. ARGV: me, room name, then the peer ids this instance
 * believes are in the room on other instances. Publishes to this instance's
 * own channel an 's' bus message (bus_msg.h): every member with its instance
 * and userData, and which of the given peers left the room (a sky:gone note)
 * - so that it arrives in order with every other message of the room. */
extern const char sky_script_snapshot[];

#endif
