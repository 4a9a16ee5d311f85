/* Shared internals of client.c (room) and peer.c (peers). Not a public API. */
#ifndef SKYMESH_CLIENT_INTERNAL_H
#define SKYMESH_CLIENT_INTERNAL_H

#include <stddef.h>

/* The tables' hash, out of line (peer.c): uthash's default expands Jenkins's
 * hash into every HASH_ADD / HASH_FIND (1 KB of WASM, 550 bytes once out of
 * line); FNV-1a (uthash's HASH_FNV) is a loop. Keys are peer ids the server
 * made (32 hex digits, validated) and our own handles; no key is unkeyed-hash
 * proof either way, and a room's peer cap bounds every table. */
unsigned sky__hash(const void *key, size_t len);
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = sky__hash((keyptr), (size_t)(keylen)))
#include <uthash.h>

#include "client.h"
#include "dc_frame.h"
#include "ice_config.h"
#include "media.h"
#include "protocol.h"

struct cJSON;

/* A queued text: signaling frame, data-channel frame, or event. */
typedef struct sky_text {
  struct sky_text *next;
  char *name; /* events only */
  uint32_t seq; /* data-channel frames: the chat's sequence number */
  size_t len;
  char data[]; /* NUL-terminated */
} sky_text;

typedef struct sky_textq {
  sky_text *head, *tail;
  size_t count, bytes;
} sky_textq;

typedef struct sky_cand {
  struct sky_cand *next;
  int mline;
  char mid[SKY_SDP_MID_MAX + 1];
  char text[]; /* NUL-terminated candidate line */
} sky_cand;

typedef enum { SIG_STABLE = 0, SIG_HAVE_LOCAL_OFFER, SIG_HAVE_REMOTE_OFFER } sky_sig;

typedef struct sky_peer {
  char id[SKY_PEER_ID_LEN + 1];
  int pc;               /* peer connection handle, 0 before one exists */
  char *user_data;      /* compact JSON, never NULL */
  sky_peer_state state;
  sky_sig sig;          /* signaling state as the core drove it */
  bool polite;          /* perfect negotiation role */
  bool making_offer;    /* create_offer requested, description not back yet */
  bool ignore_offer;    /* impolite side ignored a colliding offer */
  bool offer_abandoned; /* polite side accepted an offer over its own pending one */
  bool remote_set;      /* a remote description has been applied */
  bool channel_open;
  bool offerer;         /* we made the offer this connection was negotiated with */
  bool offer_queued;    /* newcomer: our offer waits for the previous one to be made (peer.c) */
  unsigned restarts;    /* connections thrown away after a failed handshake */
  bool relay_only;      /* this connection gathers relay candidates only */
  char remote_fp[128];  /* a=fingerprint of the remote description applied: a new one is a new connection */
  char remote_ufrag[64]; /* its a=ice-ufrag: the same fingerprint and ufrag is a media renegotiation */
  char gone_fp[128];    /* remote_fp and remote_ufrag of the connection we last threw away: */
  char gone_ufrag[64];  /* an offer that still renegotiates it is stale (peer.c, on_offer) */
  bool renegotiate;     /* the stack asked for an offer (media changed): made at the next stable point */
  sky_peer_media media; /* streams it sends us, what we attached to its connection (media.c) */
  uint64_t pc_started_ms; /* when this connection's negotiation began */
  /* liveness (liveness.c) */
  uint64_t last_rx_ms;    /* anything received on the channel */
  uint64_t last_tx_ms;    /* anything sent on the channel */
  uint64_t server_gone_ms;/* the server said its socket is gone; 0 = no */
  uint64_t channel_lost_ms;/* its open channel closed (a restart may follow); 0 = no */
  uint64_t ice_bad_ms;    /* ICE disconnected/failed since; 0 = healthy */
  bool ice_failed;        /* ... and it was "failed", not only "disconnected" */
  bool restart_wanted;    /* an ICE restart waits for signaling / a stable state */
  bool restart_by_hand;   /* ... asked for by refreshConnection */
  bool ice_restarting;    /* our restart offer is out, not yet connected again */
  unsigned ice_restarts;  /* ICE restarts since the connection was last healthy */
  /* Lost by liveness while the server may still list it (a path that broke,
   * not a peer that left): reported left, kept hidden from the API, and
   * connected again (impolite side offers) until SKY_REJOIN_WINDOW_MS ends;
   * reported joined again when a channel opens. */
  bool hidden;
  uint64_t rejoin_next_ms;
  uint64_t rejoin_until_ms;
  sky_cand *cands;      /* candidates waiting for the remote description */
  size_t cand_count;
  sky_textq outq;       /* frames waiting for the channel (open / drained) */
  sky_textq sent;       /* frames sent but not acknowledged: sent again on a fresh connection */
  uint32_t send_seq;    /* last chat sequence number given out */
  uint32_t recv_seq;    /* last chat sequence number delivered to the app */
  bool ack_due;         /* something arrived that we have not acknowledged yet */
  size_t rx_unacked;    /* chat bytes received since our last ack (SKY_ACK_EAGER_BYTES) */
  sky_dc_reasm reasm;
  UT_hash_handle hh;    /* by id */
  UT_hash_handle hh_pc; /* by pc handle */
} sky_peer;

/* The signaling session (resume.c): one socket at a time, re-opened with
 * backoff after a loss, resumed with the server's token. */
typedef enum {
  SKY_SIG_OFF = 0,    /* no socket wanted (idle, closed, fatal error) */
  SKY_SIG_OPENING,    /* socket opening / hello sent, no welcome yet */
  SKY_SIG_UP,         /* welcome received on this socket */
  SKY_SIG_WAITING     /* lost; the next attempt is due at retry_at_ms */
} sky_sig_state;

typedef struct sky_session {
  sky_sig_state state;
  char *url;             /* heap: the signaling URLs of init, each NUL-terminated, one after another */
  unsigned url_count;    /* how many; 1 unless init named several servers */
  unsigned url_index;    /* the one this attempt uses: the next one after each loss */
  char app_key[SKY_APP_KEY_MAX + 1];
  char token[SKY_TOKEN_MAX + 1]; /* latest resume token, "" = none */
  bool ever_welcomed;    /* a session exists: losses are retried, not fatal */
  bool resuming;         /* this socket's hello carried a token */
  bool await_room;       /* resumed into a room: its joined is due */
  bool leave_wanted;     /* leaveRoom() during the outage */
  bool quiet_leave;      /* a leave whose events were already given */
  bool token_room;       /* the latest token came while we were in a room */
  bool resume_room;      /* ... and it was the token this socket's hello sent */
  unsigned attempt;      /* reconnection attempts since the last success */
  uint64_t retry_at_ms;
  uint64_t last_rx_ms;   /* last frame from the server on this socket */
  uint64_t last_ping_ms;
  uint32_t rng;          /* xorshift state for the backoff jitter */
  /* SkylinkJS credentials sent in every hello (room[0] == 0: none) */
  char cred_room[SKY_ROOM_MAX + 1];
  char cred_start[SKY_CRED_FIELD_MAX + 1];
  char cred_duration[SKY_CRED_FIELD_MAX + 1];
  char credentials[SKY_TOKEN_MAX + 1];
} sky_session;

/* A binary chat received (or echoed) and announced by incomingMessage as
 * {"$binary": id, "size": len}: kept until the listener's host takes it
 * (sky_client_take_binary) or the outermost call returns, whichever is first. */
typedef struct sky_bin {
  struct sky_bin *next;
  uint32_t id;
  size_t len;
  char *data; /* malloc'd, never NULL */
} sky_bin;

struct sky_client {
  sky_client_ops ops;
  void *user;
  sky_room_state state;
  sky_session session;
  bool socket_open;
  bool closing;            /* sky_client_close in progress: no more events */
  char self_id[SKY_PEER_ID_LEN + 1];
  char room[SKY_ROOM_MAX + 1];
  char default_room[SKY_ROOM_MAX + 1];
  char pending_room[SKY_ROOM_MAX + 1];
  bool join_pending;       /* join wanted once the current step completes */
  bool leave_pending;      /* leave wanted once the join in flight completes */
  bool locked;
  char *user_data;         /* compact JSON, never NULL */
  sky_ice_prefs ice;       /* servers and SkylinkJS's ICE options (ice_config.h) */
  sky_limits limits;
  sky_textq outbox;        /* signaling frames waiting for the socket */
  sky_textq events;        /* events waiting for the outermost call to return */
  int depth;               /* nesting of public entry points */
  sky_peer *peers;         /* by id */
  sky_peer *peers_by_pc;   /* by pc */
  int next_pc;
  uint32_t join_seq;
  uint64_t timer_at_ms;    /* when the armed timer fires, 0 = none */
  uint64_t next_tick_ms;   /* next liveness tick */
  bool flush_blocked;      /* some channel is above its high-water mark */
  sky_bin *binaries;       /* announced binary chats not yet taken */
  sky_media media;         /* the streams we send (media.c) */
  uint32_t next_bin_id;
  struct sky_xfer *xfers;  /* data transfers, every leg (transfer.c) */
  uint32_t next_xfer_id;   /* last upload number given out */
  int next_sink;           /* last download sink handle given out */
};

/* client.c */
uint64_t sky__now(const sky_client *c);
/* ms from since to now, 0 when since is later: a timestamp taken after a
 * tick read its clock (the clock moves during a call) must not wrap around. */
uint64_t sky__elapsed(uint64_t now, uint64_t since);
void sky__emit_peer_event(sky_client *c, const char *name, const char *peer_id, const char *user_data, bool self);
void sky__emit_done(sky_client *c, const char *name, const char *code, const char *text, struct cJSON *result);
void sky__emit_simple(sky_client *c, const char *name, struct cJSON *arg);
void sky__start_leave(sky_client *c);
void sky__out_of_room(sky_client *c, char *previous);
void sky__left_room(sky_client *c);
void sky__send_update(sky_client *c);
bool sky__send_join(sky_client *c, const char *room);
void sky__enter(sky_client *c);
void sky__exit(sky_client *c);
void sky__emit(sky_client *c, const char *name, struct cJSON *args); /* takes args */
struct cJSON *sky__peer_info(const sky_client *c, const char *user_data);
struct cJSON *sky__peer_info_of(const sky_client *c, const char *peer_id);
bool sky__send_msg(sky_client *c, const sky_msg *m);
void sky__arm_timer(sky_client *c);
void sky__incoming(sky_client *c, const char *content, const char *from, const char *target,
                   bool is_private, bool data_channel);
/* The same for a binary chat of len bytes: takes data (malloc'd). */
/* targets_json: NULL, or a JSON array (parsed: targets) of visible peer ids:
 * SKY_OK, else SKY_E_ARG or SKY_E_UNKNOWN_PEER (client.c). */
int sky__check_targets(const sky_client *c, const char *targets_json, const struct cJSON *targets);
void sky__incoming_binary(sky_client *c, char *data, size_t len, const char *from, const char *target,
                          bool is_private);
bool sky__textq_push(sky_textq *q, const char *name, const char *data, size_t len);
void sky__textq_append(sky_textq *q, sky_text *t); /* takes t */
sky_text *sky__textq_pop(sky_textq *q);
void sky__textq_clear(sky_textq *q);

/* resume.c: the signaling session */
/* After sky_client_init has reset the client: remembers url and key, opens. */
bool sky__session_start(sky_client *c, const char *url, const char *app_key);
void sky__session_stop(sky_client *c); /* no more reconnects; frees the url */
/* The socket is gone (closed, errored, silent, or a retryable fatal error). */
void sky__session_lost(sky_client *c, const char *code, const char *text);
/* Whether the server can be asked for something now. */
bool sky__session_online(const sky_client *c);
void sky__session_on_frame(sky_client *c); /* any frame from the server */
bool sky__session_on_welcome(sky_client *c, const sky_msg *m); /* true: handled */
bool sky__session_on_joined(sky_client *c, const sky_msg *m);  /* true: handled */
void sky__session_on_token(sky_client *c, const sky_msg *m);
void sky__session_on_error(sky_client *c, const sky_msg *m); /* ref "resume" */
/* Timer work; returns the next deadline (absolute ms), 0 for none. */
uint64_t sky__session_tick(sky_client *c, uint64_t now);

/* liveness.c: heartbeats, the server's word, ICE restarts */
void sky__live_on_rx(sky_client *c, sky_peer *p);
void sky__live_on_ice(sky_client *c, sky_peer *p, const char *state);
/* peer_left from the server. */
void sky__live_on_server_left(sky_client *c, sky_peer *p, sky_leave_reason reason);
/* An offer arrived on a connection whose channel is open: a renegotiation. */
void sky__live_on_remote_restart(sky_client *c, sky_peer *p);
/* Asks for an ICE restart (by hand or by policy); runs when signaling allows.
 * Returns false when p was dropped instead (too many restarts): p is freed. */
bool sky__live_request_restart(sky_client *c, sky_peer *p, bool by_hand);
/* Signaling came back: restarts that waited go out. */
void sky__live_resume(sky_client *c);
uint64_t sky__live_tick(sky_client *c, uint64_t now);

/* transfer.c: data transfers (transfer.h) */
typedef struct sky_xfer sky_xfer;
/* A binary frame from p: true when it was a transfer frame (handled). */
bool sky__xfer_on_frame(sky_client *c, sky_peer *p, const unsigned char *data, size_t len);
/* Sends what p's channel takes of the uploads to p (after chat). */
void sky__xfer_pump(sky_client *c, sky_peer *p);
/* p left (left: every transfer with it ends) or its connection p->pc is being
 * replaced (the transfers on it end). */
void sky__xfer_peer_gone(sky_client *c, sky_peer *p, bool left);
/* Timeouts; returns the next deadline (absolute ms), 0 for none. */
uint64_t sky__xfer_tick(sky_client *c, uint64_t now);
/* media.c */
/* Adds settings.audio / settings.video / mediaStatus of peer_id (NULL or
 * ours: self) to info; returns info. */
struct cJSON *sky__media_info(const sky_client *c, struct cJSON *info, const char *peer_id);
/* Attaches the local streams not yet on p's connection. */
void sky__media_attach(sky_client *c, sky_peer *p);
/* p's connection is stable: an offer that waited for it goes out. */
void sky__media_stable(sky_client *c, sky_peer *p);
/* p's connection is gone (reset or dropped): its streams end (announce: with
 * streamEnded), nothing is attached any more. */
void sky__media_pc_gone(sky_client *c, sky_peer *p, bool announce);
/* Sends our media state on p's channel (when open). */
void sky__media_send_state(sky_client *c, sky_peer *p);
/* A text frame that is a media frame: applied, true. Anything else: false. */
bool sky__media_on_frame(sky_client *c, sky_peer *p, const char *data, size_t len);
void sky__media_on_joined(sky_client *c);
void sky__media_on_leave(sky_client *c); /* leaveRoom: stops what it was not asked to keep */
void sky__media_stop_all(sky_client *c);  /* close: stops everything */

/* peer.c */
sky_peer *sky__peer_find(const sky_client *c, const char *id);
/* The peer whose connection handle is pc (hidden ones too), or NULL. */
sky_peer *sky__peer_by_pc(const sky_client *c, int pc);
sky_peer *sky__peer_add(sky_client *c, const char *id, const char *user_data);
/* Removes a peer: emits peerLeft when announce (never for a hidden peer),
 * closes its connection, frees. */
void sky__peer_drop(sky_client *c, sky_peer *p, bool announce);
void sky__peer_drop_all(sky_client *c, bool announce);
bool sky__peer_start_offer(sky_client *c, sky_peer *p);
/* Starts the next queued offer (offer_queued) unless one is being made. */
void sky__peer_offer_next(sky_client *c);
void sky__peer_on_offer(sky_client *c, const sky_msg *m);
void sky__peer_on_answer(sky_client *c, const sky_msg *m);
void sky__peer_on_candidate(sky_client *c, const sky_msg *m);
int sky__peer_send_chat(sky_client *c, sky_peer *p, const char *content_json, bool is_private);
int sky__peer_send_binary(sky_client *c, sky_peer *p, const void *data, size_t len, bool is_private);
void sky__peer_flush_all(sky_client *c);
/* Starts an ICE restart offer on p's connection (signaling must be up). */
bool sky__peer_restart_ice(sky_client *c, sky_peer *p);
/* The offerer's answer to a connection that did not come up: a fresh one,
 * relay-only when a TURN server is known; bounded, then the peer is dropped. */
void sky__peer_retry(sky_client *c, sky_peer *p);
/* Reports p left (as a drop would) but keeps it, hidden, to connect again. */
void sky__peer_hide(sky_client *c, sky_peer *p);
/* A visible peer of the room (not hidden), or NULL. */
sky_peer *sky__peer_visible(const sky_client *c, const char *id);
/* Throws p's connection away and offers again on a fresh one; what the old
 * channel carried without an acknowledgement is sent again on the new one. */
void sky__peer_reconnect(sky_client *c, sky_peer *p);
/* Sends the acknowledgement (or, idle, a heartbeat with it) when one is due. */
void sky__peer_send_ack(sky_client *c, sky_peer *p, bool heartbeat);

#endif
