/* A message on the bus between instances (Redis pub/sub, one channel per
 * instance): what to deliver to which local peers. Codec only: no hiredis,
 * no libwebsockets, so it is unit-tested and fuzzed on its own.
 *
 * Wire format (text; every field but the payload is one line):
 *
 *   SKY1 <kind>\n<room>\n<peer>\n<target>\n<payload>
 *
 *   kind     'r' to every local member of room but peer;
 *            'j' the same, and peer has just (re)joined on the sending
 *                instance: a local socket still holding that id is stale;
 *            'l' the same, and peer has left the room (payload: peer_left);
 *            'p' to target only, if it is a local member of room;
 *            'a' to nobody: peer is in the room now (the join script's
 *                admit, on the joining instance's own channel, payload
 *                {"type":"admit","serial":"N","locked":bool,"members":[...]}
 *                as for 's'); the local room takes it in;
 *            's' to nobody: the room's members as Redis has them, published
 *                by the snapshot script to the instance that asked (payload
 *                {"type":"snapshot","members":[[peer, instance, userData
 *                text, seq]...],"gone":[peer...]}), in order with the rest
 *   room     a valid room name (sky_room_name_valid): no newline in it
 *   peer     the peer the message is from or about (a peer id; required
 *            for 'j', 'l' and 'a'), or empty
 *   target   a peer id for 'p', empty otherwise
 *   payload  one JSON object with a string "type": a server-to-client
 *            message an instance encoded, sent to clients as it is
 *
 * The Lua reaper (redis_scripts.c) writes 'r' messages itself: keep both in
 * step. Room and peer come from the server's own state, never from a
 * client's words, so no client can address a room it is not in. */
#ifndef SKY_SERVER_BUS_MSG_H
#define SKY_SERVER_BUS_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"

#define SKY_BUS_MAGIC "SKY1 "

typedef enum sky_bus_kind {
  SKY_BUS_ROOM = 'r',
  SKY_BUS_JOIN = 'j',
  SKY_BUS_LEFT = 'l',
  SKY_BUS_PEER = 'p',
  SKY_BUS_SNAPSHOT = 's',
  SKY_BUS_ADMIT = 'a'
} sky_bus_kind;

typedef struct sky_bus_msg {
  sky_bus_kind kind;
  char room[SKY_ROOM_MAX + 1];
  char peer[SKY_PEER_ID_LEN + 1];   /* "" = none */
  char target[SKY_PEER_ID_LEN + 1]; /* 'p' only */
  const char *payload;              /* borrowed: from the caller (encode) or the input (decode) */
  size_t payload_len;
} sky_bus_msg;

/* The wire form of m, NUL-terminated, length in *len. Heap (the caller frees
 * it), or NULL when out of memory or m's fields are not valid. */
char *sky_bus_msg_encode(const sky_bus_msg *m, size_t *len);

/* Reads data (len bytes, any bytes at all) into *m; m->payload points into
 * data. False, leaving *m unspecified, for anything that is not exactly the
 * format above. */
bool sky_bus_msg_decode(const char *data, size_t len, sky_bus_msg *m);

#endif
