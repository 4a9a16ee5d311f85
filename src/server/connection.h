/* One signaling socket: its identity, the message being assembled from
 * fragments, its outgoing queue, its token bucket, and how it ends.
 *
 * Lifecycle: sky_conn_create() at LWS_CALLBACK_ESTABLISHED, sky_conn_destroy()
 * at LWS_CALLBACK_CLOSED. In between a conn may be "closing" (a final frame is
 * queued and the socket closes once it is written) or "dead" (dropped without
 * a goodbye: its queue is gone and lws closes it on the next loop turn). Room
 * departure happens in exactly two places: an explicit leave, and destroy. */
#ifndef SKY_SERVER_CONNECTION_H
#define SKY_SERVER_CONNECTION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>

#include "protocol.h"
#include "server.h"

#define SKY_ORIGIN_HEADER_MAX 256

/* One encoded frame waiting for LWS_CALLBACK_SERVER_WRITEABLE. */
typedef struct sky_frame {
  struct sky_frame *next;
  int mode;            /* LWS_WRITE_TEXT, or LWS_WRITE_PING for keepalive */
  size_t len;          /* payload bytes, after the LWS_PRE headroom */
  unsigned char buf[]; /* LWS_PRE bytes for lws's header, then the payload */
} sky_frame;

struct sky_conn {
  sky_server *server;
  struct lws *wsi;
  sky_conn *prev, *next; /* server->conns */

  /* identity */
  bool authenticated;
  char peer_id[SKY_PEER_ID_LEN + 1]; /* set at welcome, never changes */
  char *origin;    /* heap (owned) or NULL when the upgrade had no Origin */
  bool origin_too_long;
  /* compact JSON: heap (owned), or sky_conn_no_user_data ("{}", shared, never
   * freed) while the peer has none: most peers never set any */
  char *user_data;
  char *app_key;   /* heap (owned) from welcome on: resume tokens are bound to it */
  uint64_t token_ms; /* sky_now_ms() when the last resume token was sent */
  uint64_t turn_ms;  /* sky_now_ms() when the last TURN credentials were sent */
  /* SkylinkJS credentials bind a connection to one room: heap (owned), or
   * NULL = any room (the common case: no bytes spent on it) */
  char *bound_room;
  sky_room *room;  /* borrowed: the room this peer is in, or NULL */
  struct sky_join *join; /* heap (owned) while a join is under way, else NULL: rooms_backend.h */
  uint64_t serial; /* unique in this process: a late Redis reply finds its conn by (peer id, serial) */
  UT_hash_handle hh;      /* server->peers, keyed by peer_id */
  UT_hash_handle room_hh; /* room->members, keyed by peer_id */

  /* incoming message assembly (fragments are joined up to max_frame) */
  char *rx;        /* heap (owned), rx_cap bytes */
  uint32_t rx_len, rx_cap; /* bounded by max_frame (config.c caps it far below 4 GiB) */
  bool rx_binary;
  bool read_ahead_queued; /* in server->read_ahead (read_ahead.h) */
  uint16_t rx_turn;       /* server->read_ahead_turn when rx_turn_bytes started */
  uint16_t rx_turn_bytes; /* wire bytes received in that turn (estimated, capped) */

  /* outgoing queue, bounded by max_queue_bytes / max_queue_frames */
  sky_frame *q_head, *q_tail; /* each frame owned by the queue */
  uint32_t q_bytes, q_frames; /* bounded by max_queue_bytes / max_queue_frames */

  /* token bucket (rate limiting) and the abuse meter that disconnects */
  double tokens;
  double strikes;
  uint64_t bucket_ms;
  uint64_t last_rx_ms; /* any frame or pong: the keepalive's measure of life */
  sky_deadline keepalive; /* in server->keepalives while open */
  sky_deadline hello;     /* in server->hello_deadlines until hello */

  /* ending */
  bool closing;   /* input read and ignored; closes once the queue is written */
  bool close_now; /* closing, and done lingering: send the close frame */
  uint64_t linger_deadline_ms;
  bool dead;      /* input and output ignored; lws closes it asynchronously */
  sky_leave_reason leave_reason; /* what the room is told at destroy */
  uint16_t close_status;         /* WebSocket close code sent when closing */
};

/* At ESTABLISHED. Captures the Origin header while lws still has it. NULL when
 * out of memory (the caller then refuses the socket). */
sky_conn *sky_conn_create(sky_server *s, struct lws *wsi);
/* The hello deadline (--hello-timeout): armed at ESTABLISHED, met at hello;
 * a socket still silent then is dropped. */
void sky_conn_await_hello(sky_conn *c);
void sky_conn_hello_met(sky_conn *c);
/* From the server's tick: hello deadlines and keepalive checks now due. */
void sky_conn_run_deadlines(sky_server *s);
/* At CLOSED: leaves the room (telling the others why), unlinks, frees. */
void sky_conn_destroy(sky_conn *c);

/* LWS_CALLBACK_RECEIVE: appends a fragment; dispatches complete messages.
 * Returns -1 when lws should close the socket at once. */
int sky_conn_on_receive(sky_conn *c, const void *in, size_t len);
void sky_conn_on_pong(sky_conn *c);
/* LWS_CALLBACK_SERVER_WRITEABLE: writes one queued frame. -1 = close now. */
int sky_conn_on_writeable(sky_conn *c);

/* Queues a copy of json (len bytes). On queue overflow the conn is killed. */
void sky_conn_send_text(sky_conn *c, const char *json, size_t len);
/* Queues a text frame of len bytes and returns where its payload goes: the
 * caller fills all len bytes at once, before anything else touches c. NULL
 * when nothing was queued (the conn is dead, or was killed on overflow). */
char *sky_conn_send_reserve(sky_conn *c, size_t len);
/* Encodes and queues msg. */
void sky_conn_send_msg(sky_conn *c, const sky_msg *msg);
/* Queues an error; with fatal the socket is closed once it is written and
 * the room (if any) is told the peer was "kicked". ref may be NULL or "". */
void sky_conn_send_error(sky_conn *c, sky_error_code code, const char *ref, bool fatal,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Stops acting on input and closes once the queue is written. With linger,
 * the close waits until the client has been quiet for a moment (bounded):
 * closing a TCP socket that still has unread input sends a reset, and a reset
 * makes the client's kernel discard our last frames (the error saying why)
 * before the client reads them. */
void sky_conn_close(sky_conn *c, sky_leave_reason reason, uint16_t ws_status, bool linger);
/* LWS_CALLBACK_TIMER: the keepalive (ping an idle socket, drop a silent one)
 * or, once closing, the linger check. */
void sky_conn_on_timer(sky_conn *c);
/* Drops the socket without writing anything more (e.g. a reader too slow to
 * keep up with its queue). Safe to call on any conn from any callback. */
void sky_conn_kill(sky_conn *c, sky_leave_reason reason);

/* Replaces the stored user data (takes ownership of user_data). */
void sky_conn_set_user_data(sky_conn *c, char *user_data);
/* The shared "{}" a conn holds while it has no user data of its own. */
extern char sky_conn_no_user_data[];

#endif
