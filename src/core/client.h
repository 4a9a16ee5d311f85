/* The skymesh client core: the room state machine and the per-peer state
 * machines, with no knowledge of the browser.
 *
 * Everything the client does to the outside world goes through sky_client_ops
 * (a vtable plus one user pointer, libuv-style); everything the outside world
 * tells it arrives through the sky_client_on_* functions. The WASM layer wires
 * the ops to emscripten/websocket.h and the EM_JS WebRTC bridge; the unit tests
 * wire them to a fake that records calls.
 *
 * Room states:  idle -> connecting -> authenticated <-> joining -> in_room
 *               in_room -> leaving -> authenticated;  any -> error (fatal)
 * Peer states:  new -> offering | answering -> connected <-> disconnected -> closed
 *
 * Events for the API layer are emitted as (name, JSON array of the listener's
 * arguments), e.g. ("peerJoined", ["ab..", {peerInfo}, false]). Names starting
 * with '_' are internal completions for the API layer ("_join", "_leave").
 * Events are queued while the core runs and delivered when the outermost call
 * returns, so a listener may call back into the client safely.
 *
 * Strings: every const char * argument is borrowed for the duration of the
 * call; the core copies what it keeps. Strings handed to ops are borrowed by
 * the op for the duration of the call.
 */
#ifndef SKYMESH_CLIENT_H
#define SKYMESH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sky_client sky_client;

typedef enum sky_room_state {
  SKY_ROOM_IDLE = 0,
  SKY_ROOM_CONNECTING,    /* socket opening, hello sent (or queued) */
  SKY_ROOM_AUTHENTICATED, /* welcome received: we have a peer id */
  SKY_ROOM_JOINING,       /* join sent */
  SKY_ROOM_IN_ROOM,       /* joined received */
  SKY_ROOM_LEAVING,       /* leave sent */
  SKY_ROOM_ERROR          /* fatal server error or lost socket; init() again */
} sky_room_state;

typedef enum sky_peer_state {
  SKY_PEER_NEW = 0,
  SKY_PEER_OFFERING,
  SKY_PEER_ANSWERING,
  SKY_PEER_CONNECTED,    /* data channel open */
  SKY_PEER_DISCONNECTED, /* ICE disconnected, may recover */
  SKY_PEER_CLOSED
} sky_peer_state;

typedef enum sky_sdp_type { SKY_SDP_OFFER = 0, SKY_SDP_ANSWER = 1 } sky_sdp_type;

/* Kinds of state change reported by sky_client_on_pc_state. */
typedef enum sky_pc_state_kind {
  SKY_PCS_CONNECTION = 0, /* RTCPeerConnection.connectionState */
  SKY_PCS_ICE = 1,        /* iceConnectionState */
  SKY_PCS_SIGNALING = 2,  /* signalingState: ignored, the core derives it (peer.c) */
  SKY_PCS_CHANNEL = 3     /* RTCDataChannel.readyState, plus "error" */
} sky_pc_state_kind;

/* API error codes (negative). sky_client_strerror names them. */
enum {
  SKY_OK = 0,
  SKY_E_ARG = -1,          /* bad argument (not JSON, bad room name, unknown target ...) */
  SKY_E_STATE = -2,        /* wrong time: not initialised / not in a room */
  SKY_E_NOMEM = -3,
  SKY_E_TOO_LARGE = -4,    /* message or user data above the limits */
  SKY_E_QUEUE_FULL = -5,   /* a peer's send queue is full (slow receiver) */
  SKY_E_UNKNOWN_PEER = -6, /* target peer not in the room */
  SKY_E_OFFLINE = -7       /* the signaling socket is down (reconnecting) */
};

/* Operations the core asks of its environment. Handles are ints chosen by the
 * core (> 0). All ops are asynchronous: results come back via sky_client_on_*. */
typedef struct sky_client_ops {
  /* Signaling socket. open: start connecting to url (result: on_socket_open or
   * on_socket_close). send: called only while open; text is NUL-terminated. */
  int (*socket_open)(void *user, const char *url);
  int (*socket_send)(void *user, const char *text, size_t len);
  void (*socket_close)(void *user);
  /* Peer connection `pc` with one negotiated, reliable, ordered data channel.
   * config_json: {"iceServers":[...]} */
  int (*pc_create)(void *user, int pc, const char *config_json);
  void (*pc_close)(void *user, int pc);
  void (*pc_create_offer)(void *user, int pc);  /* -> on_local_description */
  /* An offer with fresh ICE credentials on the same connection (ICE restart)
   * -> on_local_description. Returns 0, or -1 when the stack cannot restart
   * ICE (restarts then use a new connection). May be NULL: the same. */
  int (*pc_restart_ice)(void *user, int pc);
  void (*pc_create_answer)(void *user, int pc); /* -> on_local_description */
  /* -> on_remote_description_set. rollback_first: our own offer is pending and
   * must be rolled back before this offer is applied (the polite side of a
   * glare); the core knows it, so the environment need not track it. */
  void (*pc_set_remote)(void *user, int pc, sky_sdp_type type, const char *sdp, bool rollback_first);
  void (*pc_add_candidate)(void *user, int pc, const char *candidate, const char *sdp_mid,
                           int sdp_mline_index);
  /* Sends one text frame on pc's data channel; 0 on success. */
  int (*dc_send)(void *user, int pc, const char *data, size_t len);
  /* Sends one binary frame (a part of a message longer than one frame); 0 on
   * success. May be NULL: such messages then fail with SKY_E_TOO_LARGE. */
  int (*dc_send_binary)(void *user, int pc, const char *data, size_t len);
  size_t (*dc_buffered)(void *user, int pc);
  /* One-shot timer: call sky_client_on_timer after ms; 0 cancels. */
  void (*set_timer)(void *user, uint32_t ms);
  /* Monotonic milliseconds (any origin). Every deadline is measured with it. */
  uint64_t (*now_ms)(void *user);
  /* One event for the API layer: name and a JSON array of arguments. */
  void (*emit)(void *user, const char *name, const char *args_json);
  /* Data transfers (transfer.h); each may be NULL: transfers then cannot
   * start (send) or cannot be stored (receive). xfer_send_chunk: sends one
   * binary frame on pc's channel, the header_len bytes of header followed by
   * bytes [offset, offset + len) of the source the API layer registered as
   * src; 0 on success, SKY_XF_CHUNK_LATER when those bytes are not at hand
   * yet (a Blob read asynchronously): nothing was sent, the core sends that
   * chunk again later, and the API layer calls sky_client_on_channel_drain(pc)
   * once they are (any other value: the leg fails). xfer_sink_write: stores len bytes at offset of the
   * download sink `sink` (made on its first write, for size bytes in all);
   * 0 on success. dc_max_message: the largest message pc's channel takes, 0
   * when unknown. */
#define SKY_XF_CHUNK_LATER 1
  int (*xfer_send_chunk)(void *user, int pc, int src, uint64_t offset, size_t len, const char *header,
                         size_t header_len);
  int (*xfer_sink_write)(void *user, int sink, uint64_t size, uint64_t offset, const char *data, size_t len);
  size_t (*dc_max_message)(void *user, int pc);
  /* Media (media.h): stream handles are the environment's. Attach / detach
   * every track of local stream `stream` on pc (after pc's operations so far;
   * the stack then asks for a renegotiation). Enable / disable its tracks.
   * Stop its tracks and forget the handle. Each may be NULL: no media. */
  void (*pc_add_stream)(void *user, int pc, int stream);
  void (*pc_remove_stream)(void *user, int pc, int stream);
  void (*stream_enable)(void *user, int stream, bool audio, bool video);
  void (*stream_stop)(void *user, int stream);
  /* What local stream `stream`'s video track delivers (its settings): width,
   * height, frame rate; 0 where not known. May be NULL: not known. */
  void (*stream_video)(void *user, int stream, int *width, int *height, int *frame_rate);
} sky_client_ops;

/* Bytes queued on a data channel above which the core stops sending. */
#define SKY_DC_HIGH_WATER (1024 * 1024)
/* Bytes a peer's send queue may hold in C before sends fail with QUEUE_FULL. */
#define SKY_PEER_QUEUE_MAX (4 * 1024 * 1024)
/* ICE candidates held per peer while its remote description is not set. */
#define SKY_PEER_CANDIDATES_MAX 64
/* Signaling frames held while the socket is not open. */
#define SKY_OUTBOX_MAX 256
/* Fresh connections tried with one peer after failed handshakes. */
#define SKY_PEER_RESTARTS_MAX 3
/* Retry period while a channel is above its high-water mark. */
#define SKY_FLUSH_RETRY_MS 1

/* Liveness and resume timings (docs/resilience.md explains each). */
#define SKY_HEARTBEAT_MS 500           /* a channel quiet this long sends a heartbeat */
#define SKY_PEER_SILENCE_MS 4500       /* nothing from a peer this long: it is gone */
#define SKY_SERVER_GONE_GRACE_MS 1500  /* server says gone, channel open: wait this */
#define SKY_CHANNEL_LOST_GRACE_MS 1500 /* channel closed: a fresh offer may follow */
#define SKY_CONNECT_TIMEOUT_MS 6000    /* a connection not open by then is retried (relay-only) */
#define SKY_OFFER_HOLD_MS 1000         /* a newcomer's offer not made by then no longer holds its next ones */
#define SKY_REJOIN_RETRY_MS 3000       /* a lost peer still in the room: offer again this often */
#define SKY_REJOIN_WINDOW_MS 60000     /* ... for this long */
#define SKY_PATH_SUSPECT_MS 2000       /* silent this long, TURN known, not relayed: go relay-only */
#define SKY_PEER_UNACKED_MAX (4 * 1024 * 1024) /* bytes sent and not acknowledged before sending pauses */
/* A receiver acknowledges at once, not on the next tick, once this many chat
 * bytes arrived unacknowledged: acks only every SKY_LIVENESS_TICK_MS capped a
 * sender at SKY_PEER_UNACKED_MAX per tick (16 MiB/s). */
#define SKY_ACK_EAGER_BYTES (512 * 1024)
#define SKY_LIVENESS_TICK_MS 250       /* how often the above are checked */
#define SKY_ICE_GRACE_MS 1000          /* ICE disconnected this long: impolite restarts */
#define SKY_ICE_POLITE_GRACE_MS 3000   /* ... and the polite side this long */
#define SKY_ICE_RESTART_RETRY_MS 4000  /* a restart not back by then is tried again */
#define SKY_ICE_RESTARTS_MAX 3         /* ICE restarts without recovery before a drop */
#define SKY_SIG_PING_MS 5000           /* signaling ping period (at most) */
#define SKY_SIG_SILENCE_MS 10000       /* a socket silent this long is dead */
#define SKY_RETRY_BASE_MS 250          /* first reconnection delay (before jitter) */
#define SKY_RETRY_MAX_MS 10000         /* cap of the exponential backoff */

sky_client *sky_client_new(const sky_client_ops *ops, void *user);
/* Closes everything without emitting events and frees the client. */
void sky_client_free(sky_client *c);

/* Connects to the signaling server at url and authenticates with app_key.
 * ice_servers_json: a JSON array of RTCIceServer, NULL for none. Allowed in
 * idle or error; returns SKY_E_STATE otherwise. */
int sky_client_init(sky_client *c, const char *url, const char *app_key, const char *ice_servers_json);
/* Replaces own user data (JSON text). Sent at once when authenticated, and with
 * every later join. Emits peerUpdated for self. */
int sky_client_set_user_data(sky_client *c, const char *json);
/* Own user data as compact JSON ("{}" when never set). Borrowed. */
const char *sky_client_user_data(const sky_client *c);
/* SkylinkJS's ICE options and the app's servers, a JSON object (ice_config.h):
 * {iceServers, enableTURNServer, enableSTUNServer, forceTURN,
 *  TURNServerTransport, filterCandidatesType, iceServer}. Applies to
 * connections made from now on. SKY_E_ARG when a field has the wrong type. */
int sky_client_set_ice_options(sky_client *c, const char *options_json);
/* SkylinkJS credentials for the next init (NULL room: none): sent in hello. */
int sky_client_set_credentials(sky_client *c, const char *room, const char *start, const char *duration,
                               const char *credentials);
/* Joins room (NULL: the default room given to sky_client_set_default_room).
 * Before welcome: remembered and sent on welcome. In a room: leaves first. */
int sky_client_join(sky_client *c, const char *room);
void sky_client_set_default_room(sky_client *c, const char *room);
int sky_client_leave(sky_client *c);
/* Sends content (JSON text) on the data channels: to targets_json (a JSON array
 * of peer ids, private) or to every peer in the room when NULL. Echoes an
 * incomingMessage with isSelf true. */
int sky_client_send_p2p(sky_client *c, const char *content_json, const char *targets_json);
/* The same, content_json being len bytes (its strlen: known to the caller, not
 * counted again over 200 KB), and when echo_id > 0 the echo's content is {"$echo":echo_id}: the
 * API layer still holds the message it sent and puts it there itself, so a
 * 200 KB message is not printed into the event and parsed back. The echo is
 * emitted unless the call fails with SKY_E_ARG, SKY_E_STATE or
 * SKY_E_UNKNOWN_PEER (nothing was sent). */
int sky_client_send_p2p_echo(sky_client *c, const char *content_json, size_t len, const char *targets_json,
                             uint32_t echo_id);
/* The same for binary content: len bytes (at most SKY_DC_MESSAGE_MAX, else
 * SKY_E_TOO_LARGE), copied. Receivers (and the echo) get incomingMessage with
 * content {"$binary": id, "size": len} and isBinary true: the bytes are taken
 * with sky_client_take_binary(id) during that event. */
int sky_client_send_p2p_binary(sky_client *c, const void *data, size_t len, const char *targets_json);
/* The bytes of the binary chat an incomingMessage announced as {"$binary": id}:
 * malloc'd, the caller owns (free) them; *len gets their count. NULL when the
 * id is unknown or already taken. Valid during that event's emit only: what is
 * not taken is freed when the outermost call into the client returns. */
char *sky_client_take_binary(sky_client *c, uint32_t id, size_t *len);
/* Sends content through the server, to target (private) or the whole room. */
int sky_client_send_server(sky_client *c, const char *content_json, const char *target);
int sky_client_lock(sky_client *c, bool locked);
/* peerInfo of peer_id (NULL or own id: self) as malloc'd JSON; NULL when unknown. */
char *sky_client_peer_info(sky_client *c, const char *peer_id);
/* Every peer in the room, as malloc'd JSON {"id": peerInfo, ...} (self included). */
char *sky_client_peers(sky_client *c);
/* Leaves, closes every peer connection and the socket; back to idle. */
void sky_client_close(sky_client *c);
/* refreshConnection: restarts the connection with each peer of targets_json
 * (a JSON array of ids; NULL: every peer), with an ICE restart on the same
 * connection when ice_restart, else on a fresh connection. */
int sky_client_refresh(sky_client *c, const char *targets_json, bool ice_restart);

sky_room_state sky_client_room_state(const sky_client *c);
const char *sky_client_room_state_name(sky_room_state s);
const char *sky_client_peer_id(const sky_client *c); /* "" before welcome */
const char *sky_client_room(const sky_client *c);    /* "" when not in a room */
size_t sky_client_peer_count(const sky_client *c);
/* State of a peer; SKY_PEER_CLOSED when unknown. */
sky_peer_state sky_client_peer_state(const sky_client *c, const char *peer_id);
const char *sky_client_peer_state_name(sky_peer_state s);
/* Peer connection handle of a peer, 0 when none. */
int sky_client_peer_handle(const sky_client *c, const char *peer_id);
const char *sky_client_strerror(int code);

/* ---- events in ---------------------------------------------------------- */
void sky_client_on_socket_open(sky_client *c);
void sky_client_on_socket_close(sky_client *c, int code, const char *reason);
void sky_client_on_socket_error(sky_client *c);
void sky_client_on_socket_text(sky_client *c, const char *data, size_t len);

void sky_client_on_local_description(sky_client *c, int pc, sky_sdp_type type, const char *sdp,
                                     size_t len);
void sky_client_on_remote_description_set(sky_client *c, int pc, bool ok);
/* candidate: "" (or NULL) is end-of-candidates. sdp_mid may be NULL. */
void sky_client_on_ice_candidate(sky_client *c, int pc, const char *candidate, size_t len,
                                 const char *sdp_mid, int sdp_mline_index);
void sky_client_on_pc_state(sky_client *c, int pc, sky_pc_state_kind kind, const char *state);
void sky_client_on_channel_message(sky_client *c, int pc, const char *data, size_t len, bool is_text);
/* The channel's bufferedAmount fell low, or the bytes of a transfer's chunk
 * that was SKY_XF_CHUNK_LATER are read: send what is queued. */
void sky_client_on_channel_drain(sky_client *c, int pc);
void sky_client_on_timer(sky_client *c);

#endif
