/* Shared internals of client.c (room) and peer.c (peers). Not a public API. */
#ifndef SKYMESH_CLIENT_INTERNAL_H
#define SKYMESH_CLIENT_INTERNAL_H

#include <uthash.h>

#include "client.h"
#include "dc_frame.h"
#include "protocol.h"

struct cJSON;

/* A queued text: signaling frame, data-channel frame, or event. */
typedef struct sky_text {
  struct sky_text *next;
  char *name; /* events only */
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
  unsigned restarts;    /* connections thrown away after a failed handshake */
  sky_cand *cands;      /* candidates waiting for the remote description */
  size_t cand_count;
  sky_textq outq;       /* frames waiting for the channel (open / drained) */
  sky_dc_reasm reasm;
  UT_hash_handle hh;    /* by id */
  UT_hash_handle hh_pc; /* by pc handle */
} sky_peer;

struct sky_client {
  sky_client_ops ops;
  void *user;
  sky_room_state state;
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
  char *ice_json;          /* {"iceServers":[...]} */
  sky_limits limits;
  sky_textq outbox;        /* signaling frames waiting for the socket */
  sky_textq events;        /* events waiting for the outermost call to return */
  int depth;               /* nesting of public entry points */
  sky_peer *peers;         /* by id */
  sky_peer *peers_by_pc;   /* by pc */
  int next_pc;
  uint32_t next_msg_id;
  uint32_t join_seq;
  uint32_t timer_armed;    /* ms the pending timer was armed for, 0 = none */
  uint32_t since_ping;     /* ms since the last ping */
  bool flush_blocked;      /* some channel is above its high-water mark */
};

/* client.c */
void sky__enter(sky_client *c);
void sky__exit(sky_client *c);
void sky__emit(sky_client *c, const char *name, struct cJSON *args); /* takes args */
struct cJSON *sky__peer_info(const sky_client *c, const char *user_data);
struct cJSON *sky__peer_info_of(const sky_client *c, const char *peer_id);
bool sky__send_msg(sky_client *c, const sky_msg *m);
void sky__arm_timer(sky_client *c);
void sky__incoming(sky_client *c, const char *content, const char *from, const char *target,
                   bool is_private, bool data_channel);
bool sky__textq_push(sky_textq *q, const char *name, const char *data, size_t len);
sky_text *sky__textq_pop(sky_textq *q);
void sky__textq_clear(sky_textq *q);

/* peer.c */
sky_peer *sky__peer_find(const sky_client *c, const char *id);
sky_peer *sky__peer_add(sky_client *c, const char *id, const char *user_data);
/* Removes a peer: emits peerLeft when announce, closes its connection, frees. */
void sky__peer_drop(sky_client *c, sky_peer *p, bool announce);
void sky__peer_drop_all(sky_client *c, bool announce);
bool sky__peer_start_offer(sky_client *c, sky_peer *p);
void sky__peer_on_offer(sky_client *c, const sky_msg *m);
void sky__peer_on_answer(sky_client *c, const sky_msg *m);
void sky__peer_on_candidate(sky_client *c, const sky_msg *m);
int sky__peer_send_chat(sky_client *c, sky_peer *p, const char *content_json, bool is_private);
void sky__peer_flush_all(sky_client *c);

#endif
