/* The server: one lws context, one vhost, the connection list, the peer and
 * room tables, and the run/shutdown lifecycle. Single-threaded: everything
 * below runs inside lws_service(), so no locking anywhere. */
#ifndef SKY_SERVER_SERVER_H
#define SKY_SERVER_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "deadline_fifo.h"
#include "lws.h"

typedef struct sky_conn sky_conn;
typedef struct sky_room sky_room;
typedef struct sky_rooms_ops sky_rooms_ops;
typedef struct sky_bus sky_bus;

/* Most bytes one writable turn sends in a single write. */
#define SKY_BATCH_BYTES 65536
/* Most sockets read ahead per round (read_ahead.h); more wait for the poll. */
#define SKY_READ_AHEAD_MAX 256

typedef struct sky_server {
  const sky_config *cfg;     /* borrowed from main() */
  struct lws_context *ctx;   /* owned: lws_context_destroy() in sky_server_destroy() */
  struct lws_vhost *vhost;   /* owned by ctx */
  sky_conn *conns;           /* utlist DL of every signaling socket; each owned here */
  uint32_t conn_count;       /* entries in conns (including ones being refused) */
  sky_conn *peers;           /* uthash (hh) of authenticated conns by peer id; borrowed */
  sky_room *rooms;           /* uthash of rooms by name; each owned here */
  uint32_t room_count;
  const sky_rooms_ops *rooms_ops; /* static; NULL = in memory (rooms_backend.h) */
  sky_bus *bus;              /* owned with --redis (rooms_redis.c), else NULL */
  uint64_t conn_serial;      /* the last sky_conn.serial handed out */
  bool stopping;             /* shutdown started: no new work, no peer_left fan-out */
  bool done;                 /* leave the service loop */
  uint64_t stop_deadline_ms; /* give the byes this long to reach clients */
  /* The event loop lws runs on: libev (epoll). lws's own loop poll()s every
   * socket on every turn: with 10,000 idle peers held, relay fell from ~175k
   * to 2.6k messages/s. Owned: ev_loop_new in init, ev_loop_destroy. */
  struct ev_loop *loop;
  lws_sorted_usec_list_t tick; /* periodic timer: signals, shutdown, the deadlines below */
  sky_deadline_fifo keepalives;      /* each conn's keepalive check (see connection.c) */
  sky_deadline_fifo hello_deadlines; /* sockets that have not said hello yet */
  /* Sockets to read again before the next poll (read_ahead.h): queued by
   * their receive callbacks, and the round being read. Borrowed: a conn
   * leaves both at sky_conn_destroy. */
  sky_conn *read_ahead[SKY_READ_AHEAD_MAX];
  sky_conn *read_ahead_round[SKY_READ_AHEAD_MAX];
  unsigned read_ahead_count, read_ahead_round_count;
  uint16_t read_ahead_turn; /* bumped per read round: each conn's byte count starts afresh */
  /* Scratch for framing several queued frames into one write (one service
   * thread, so one buffer serves every connection). */
  unsigned char batch[LWS_PRE + SKY_BATCH_BYTES];
  /* The welcome of a new session, encoded once with a placeholder peer id
   * (dispatch.c). Owned: freed in sky_server_destroy; NULL until the first hello. */
  char *welcome_template;
  size_t welcome_len;   /* strlen(welcome_template) */
  size_t welcome_id_at; /* offset of the SKY_PEER_ID_LEN characters of the peer id */
} sky_server;

/* Set by the signal handler (async-signal-safe: a plain store); the tick
 * timer turns it into an orderly shutdown from inside the event loop. */
extern volatile sig_atomic_t sky_stop_requested;

/* Creates the context and the listening vhost. Returns false (after logging)
 * when the address cannot be bound. */
bool sky_server_init(sky_server *s, const sky_config *cfg);
/* Prints "listening on http://HOST:PORT/" and services until shutdown completes. */
void sky_server_run(sky_server *s);
/* Destroys the context (closing any socket still open) and frees every room. */
void sky_server_destroy(sky_server *s);

/* Monotonic milliseconds, for rate limiting and timeouts. */
uint64_t sky_now_ms(void);

#endif
