/* skymesh signaling protocol: one typed struct per message, one encoder and one
 * validating decoder, shared by the server (native) and the client (WASM).
 *
 * Wire format: every message is one JSON object, a WebSocket text frame, with a
 * "type" string. docs/protocol.md is the reference for every field.
 *
 * Ownership: sky_msg_decode() fills a caller-owned sky_msg; heap fields inside it
 * (marked "heap" below) belong to the message and are released by sky_msg_clear().
 * sky_msg_encode() returns a malloc'd NUL-terminated string the caller frees.
 * Opaque JSON fields (user_data, content, sdp ...) hold compact JSON text or plain
 * text exactly as noted, never NULL once decoded when required.
 */
#ifndef SKYMESH_PROTOCOL_H
#define SKYMESH_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_PROTOCOL_VERSION 1
/* The WebSocket path of the signaling endpoint, shared by server and client. */
#define SKY_SIGNALING_PATH "/signaling"

/* Hard, protocol-wide bounds. Configurable limits (sky_limits) sit below these. */
#define SKY_PEER_ID_LEN 32   /* 128 random bits as lowercase hex */
#define SKY_ROOM_MAX 64      /* bytes; charset: see sky_room_name_valid() */
#define SKY_APP_KEY_MAX 128  /* printable ASCII */
#define SKY_REF_MAX 64       /* printable ASCII, echoed back in replies */
#define SKY_ERROR_TEXT_MAX 256
#define SKY_CANDIDATE_MAX 1024
#define SKY_SDP_MID_MAX 64
#define SKY_JSON_DEPTH_MAX 16 /* nesting accepted in user_data / content */
#define SKY_TOKEN_MAX 255     /* resume tokens: printable ASCII, opaque to clients */
#define SKY_CRED_FIELD_MAX 64 /* hello.credStart / credDuration */

typedef enum sky_msg_type {
  SKY_MSG_INVALID = 0,
  /* client -> server */
  SKY_MSG_HELLO,   /* "hello": version + app key; first message on a socket */
  SKY_MSG_JOIN,    /* "join": enter a room with user data */
  SKY_MSG_LEAVE,   /* "leave": leave the current room */
  SKY_MSG_UPDATE,  /* "update": replace own user data */
  SKY_MSG_LOCK,    /* "lock": lock or unlock the current room */
  SKY_MSG_PING,    /* "ping": application-level keepalive */
  /* client -> server -> client (relayed, sender stamped by the server) */
  SKY_MSG_OFFER,     /* "offer": SDP offer to one peer */
  SKY_MSG_ANSWER,    /* "answer": SDP answer to one peer */
  SKY_MSG_CANDIDATE, /* "candidate": ICE candidate to one peer */
  SKY_MSG_MESSAGE,   /* "message": server-relayed chat, to the room or one peer */
  /* server -> client */
  SKY_MSG_WELCOME,      /* "welcome": hello accepted, peer id + limits */
  SKY_MSG_JOINED,       /* "joined": you are in the room, with who is there */
  SKY_MSG_LEFT,         /* "left": you left the room */
  SKY_MSG_PEER_JOINED,  /* "peer_joined" */
  SKY_MSG_PEER_UPDATED, /* "peer_updated" */
  SKY_MSG_PEER_LEFT,    /* "peer_left" */
  SKY_MSG_ROOM_LOCK,    /* "room_lock": the room's lock changed */
  SKY_MSG_PONG,         /* "pong" */
  SKY_MSG_ERROR,        /* "error": a request failed; see sky_error_code */
  SKY_MSG_BYE,          /* "bye": the server is closing this connection */
  SKY_MSG_TOKEN,        /* "token": a fresh resume token for this peer (see resume) */
  SKY_MSG_ICE_SERVERS,  /* "ice_servers": renewed TURN credentials */
  SKY_MSG_TYPE_COUNT
} sky_msg_type;

/* Stable error codes; their wire names ("bad_json", ...) never change. */
typedef enum sky_error_code {
  SKY_ERR_NONE = 0,
  SKY_ERR_BAD_JSON,            /* frame is not one JSON object in UTF-8 */
  SKY_ERR_BAD_MESSAGE,         /* a field is missing, of the wrong type, or out of bounds */
  SKY_ERR_UNKNOWN_TYPE,        /* "type" names no message */
  SKY_ERR_UNSUPPORTED_VERSION, /* hello.v is not a version this server speaks */
  SKY_ERR_NOT_AUTHENTICATED,   /* anything but hello before welcome */
  SKY_ERR_ALREADY_AUTHENTICATED,
  SKY_ERR_BAD_APP_KEY,         /* key unknown to a server that has keys configured */
  SKY_ERR_ORIGIN_NOT_ALLOWED,  /* key known, but not for this page's Origin */
  SKY_ERR_NOT_IN_ROOM,         /* request needs a room; you are in none */
  SKY_ERR_ALREADY_IN_ROOM,     /* join while in a room: leave first */
  SKY_ERR_BAD_ROOM_NAME,
  SKY_ERR_ROOM_LOCKED,
  SKY_ERR_ROOM_FULL,
  SKY_ERR_TOO_MANY_ROOMS,      /* the server holds its maximum number of rooms */
  SKY_ERR_USER_DATA_TOO_LARGE,
  SKY_ERR_CONTENT_TOO_LARGE,
  SKY_ERR_FRAME_TOO_LARGE,     /* fatal: the connection is closed */
  SKY_ERR_RATE_LIMITED,        /* message dropped; repeated abuse disconnects */
  SKY_ERR_UNKNOWN_PEER,        /* target is not in your room */
  SKY_ERR_SERVER_FULL,         /* fatal: connection cap reached */
  SKY_ERR_INTERNAL,
  SKY_ERR_INVALID_CREDENTIALS, /* fatal: hello.credentials missing, malformed or forged (SkylinkJS 4004) */
  SKY_ERR_CREDENTIALS_EXPIRED, /* fatal: the credentials' window is over or not begun (SkylinkJS oldTimeStamp) */
  SKY_ERR_ROOM_NOT_ALLOWED,    /* join of a room other than the credentials' room (SkylinkJS 4005) */
  SKY_ERR_CODE_COUNT
} sky_error_code;

/* Why a peer left, as told to the others in peer_left. */
typedef enum sky_leave_reason {
  SKY_LEAVE_LEFT = 0,     /* "left": it sent leave */
  SKY_LEAVE_DISCONNECTED, /* "disconnected": its socket closed */
  SKY_LEAVE_TIMEOUT,      /* "timeout": it stopped answering pings */
  SKY_LEAVE_KICKED,       /* "kicked": the server disconnected it (abuse) */
  SKY_LEAVE_SHUTDOWN,     /* "shutdown": the server is stopping */
  SKY_LEAVE_REASON_COUNT
} sky_leave_reason;

/* Limits a server enforces; sent to clients in welcome so they can respect them. */
typedef struct sky_limits {
  uint32_t max_frame_bytes;     /* "maxFrame": whole signaling frame, default 65536 */
  uint32_t max_user_data_bytes; /* "maxUserData": compact JSON of user_data, default 4096 */
  uint32_t max_content_bytes;   /* "maxContent": compact JSON of message content, default 16384 */
  uint32_t max_peers_per_room;  /* "maxPeers": default 64 */
  uint32_t msgs_per_second;     /* "rate": token bucket refill per second, default 50 */
  uint32_t msgs_burst;          /* "burst": token bucket size, default 100 */
  uint32_t ping_interval_ms;    /* "pingInterval": client should ping this often, default 20000 */
} sky_limits;

void sky_limits_default(sky_limits *limits);

typedef struct sky_peer_entry {
  char peer_id[SKY_PEER_ID_LEN + 1];
  char *user_data; /* heap: compact JSON, "{}" when the peer set none */
} sky_peer_entry;

typedef struct sky_msg {
  sky_msg_type type;
  char ref[SKY_REF_MAX + 1]; /* optional request reference; "" when absent */
  union {
    /* resume: the last token the server gave this client, "" for a new session */
    /* user_data: heap JSON, NULL when absent; a resuming client sends it so the
     * room sees no interim "{}" */
    /* room, cred_*: SkylinkJS credentials for an app key that has a secret:
     * credentials = encodeURIComponent(base64(HMAC-SHA1(secret,
     * room + "_" + cred_duration + "_" + cred_start))); cred_duration is the
     * decimal text of the hours exactly as the HMAC used it, cred_start ISO-8601 */
    struct {
      uint32_t version;
      char app_key[SKY_APP_KEY_MAX + 1];
      char resume[SKY_TOKEN_MAX + 1];
      char *user_data;
      char room[SKY_ROOM_MAX + 1];
      char cred_start[SKY_CRED_FIELD_MAX + 1];
      char cred_duration[SKY_CRED_FIELD_MAX + 1];
      char credentials[SKY_TOKEN_MAX + 1];
    } hello;
    /* resumed: hello.resume was accepted, peer_id is the old id; a joined for
     * the token's room follows when it named one */
    /* ice_servers: heap JSON array of RTCIceServer (TURN REST credentials), NULL when none */
    struct { uint32_t version; char peer_id[SKY_PEER_ID_LEN + 1]; sky_limits limits; bool resumed; char *ice_servers; } welcome;
    /* user_data: heap JSON; NULL when absent, meaning "keep what update stored" */
    struct { char room[SKY_ROOM_MAX + 1]; char *user_data; } join;
    struct { char *user_data; /* heap, JSON */ } update;
    struct { bool locked; } lock;
    /* offer / answer: "to" on the way in, "from" (server-stamped) on the way out */
    struct {
      char to[SKY_PEER_ID_LEN + 1];
      char from[SKY_PEER_ID_LEN + 1];
      char *sdp; /* heap, plain text */
    } sdp;
    struct {
      char to[SKY_PEER_ID_LEN + 1];
      char from[SKY_PEER_ID_LEN + 1];
      char *candidate; /* heap, plain text, "" = end of candidates */
      char sdp_mid[SKY_SDP_MID_MAX + 1];
      int32_t sdp_mline_index; /* -1 when absent */
    } candidate;
    struct {
      char to[SKY_PEER_ID_LEN + 1];   /* "" = whole room */
      char from[SKY_PEER_ID_LEN + 1]; /* server-stamped */
      char *content; /* heap, JSON */
    } message;
    struct {
      char room[SKY_ROOM_MAX + 1];
      char peer_id[SKY_PEER_ID_LEN + 1]; /* your own id */
      bool locked;
      sky_peer_entry *peers; /* heap array of peer_count: who was already there */
      size_t peer_count;
    } joined;
    struct { char room[SKY_ROOM_MAX + 1]; } left;
    struct { char peer_id[SKY_PEER_ID_LEN + 1]; char *user_data; /* heap, JSON */ } peer;      /* peer_joined, peer_updated */
    struct { char peer_id[SKY_PEER_ID_LEN + 1]; sky_leave_reason reason; } peer_left;
    struct { bool locked; char peer_id[SKY_PEER_ID_LEN + 1]; /* who changed it */ } room_lock;
    struct { sky_error_code code; char text[SKY_ERROR_TEXT_MAX + 1]; bool fatal; } error;
    struct { sky_leave_reason reason; } bye;
    /* token: opaque, to send as hello.resume; expires: unix seconds (informative) */
    struct { char token[SKY_TOKEN_MAX + 1]; uint32_t expires; } token;
    struct { char *ice_servers; /* heap, JSON array */ } ice_servers;
  } u;
} sky_msg;

/* Result of decoding: on failure, code says why and detail names the field. */
typedef struct sky_decode_error {
  sky_error_code code;
  char detail[SKY_ERROR_TEXT_MAX + 1];
  char ref[SKY_REF_MAX + 1]; /* the request's ref when it could be read, for the reply */
} sky_decode_error;

/* Decodes one frame of len bytes (need not be NUL-terminated). Validates every
 * field of the message's schema against the hard bounds and `limits` (NULL means
 * defaults). Unknown fields are ignored. Returns true and fills *out, or returns
 * false, leaves *out cleared, and fills *err. */
bool sky_msg_decode(const char *data, size_t len, const sky_limits *limits, sky_msg *out,
                    sky_decode_error *err);

/* Encodes a message as compact JSON. Returns a malloc'd string (caller frees) or
 * NULL when out of memory or when a field would not decode (invalid message). */
char *sky_msg_encode(const sky_msg *msg);

/* Releases heap fields and zeroes the message. Safe on a zeroed message. */
void sky_msg_clear(sky_msg *msg);

/* Deep copy (heap fields duplicated); returns false when out of memory. */
bool sky_msg_copy(sky_msg *dst, const sky_msg *src);

const char *sky_msg_type_name(sky_msg_type type);
const char *sky_error_code_name(sky_error_code code);
const char *sky_leave_reason_name(sky_leave_reason reason);

/* Room names: 1..SKY_ROOM_MAX bytes of [A-Za-z0-9 _.:@-], not starting or ending
 * with a space. */
bool sky_room_name_valid(const char *room, size_t len);
/* Peer ids: exactly SKY_PEER_ID_LEN lowercase hex digits. */
bool sky_peer_id_valid(const char *id, size_t len);

/* Perfect negotiation: of two peers, the one with the smaller id is polite. */
bool sky_peer_is_polite(const char *self_id, const char *other_id);

#endif
