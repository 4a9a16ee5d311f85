/* Context, vhost, service loop and shutdown. See server.h. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "server.h"
#include "read_ahead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utlist.h>
#include <ev.h>

#include "connection.h"
#include "http.h"
#include "room.h"
#include "redis_bus.h"
#include "rooms_redis.h"
#include "ws.h"

#define TICK_MS 100
/* How long connected clients get to receive bye before the sockets close. */
#define SHUTDOWN_GRACE_MS 1000

volatile sig_atomic_t sky_stop_requested = 0;

uint64_t sky_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void begin_shutdown(sky_server *s) {
  s->stopping = true;
  s->stop_deadline_ms = sky_now_ms() + SHUTDOWN_GRACE_MS;
  sky_msg bye;
  memset(&bye, 0, sizeof(bye));
  bye.type = SKY_MSG_BYE;
  bye.u.bye.reason = SKY_LEAVE_SHUTDOWN;
  sky_conn *c;
  DL_FOREACH(s->conns, c) {
    if (c->dead || c->closing) continue;
    sky_conn_send_msg(c, &bye);
    sky_conn_close(c, SKY_LEAVE_SHUTDOWN, LWS_CLOSE_STATUS_GOINGAWAY, false);
  }
  lwsl_user("shutting down: %u connection(s) told\n", s->conn_count);
}

/* Runs every TICK_MS inside the loop: the only place a signal is acted on. */
static void on_tick(lws_sorted_usec_list_t *sul) {
  sky_server *s = lws_container_of(sul, sky_server, tick);
  if (sky_stop_requested && !s->stopping) begin_shutdown(s);
  if (!s->stopping) sky_conn_run_deadlines(s);
  if (s->stopping && (s->conn_count == 0 || sky_now_ms() >= s->stop_deadline_ms)) {
    s->done = true;
    /* No timer is scheduled any more: without this wake-up (lws's event
     * pipe) ev_run would wait for the next socket event to see `done`. */
    lws_cancel_service(s->ctx);
    return;
  }
  lws_sul_schedule(s->ctx, 0, &s->tick, on_tick, TICK_MS * LWS_US_PER_MS);
}

static void log_level(int verbose) {
  int levels = LLL_ERR | LLL_USER;
  if (verbose > 0) levels |= LLL_WARN | LLL_NOTICE;
  if (verbose > 2) levels |= LLL_INFO;
  lws_set_log_level(levels, NULL);
}

/* "0.0.0.0" and "::" mean every interface; lws wants NULL for that. lws also
 * takes an interface name or a numeric address, but not a host name. */
static const char *listen_iface(const char *host) {
  if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || strcmp(host, "*") == 0) return NULL;
  if (strcmp(host, "localhost") == 0) return "127.0.0.1";
  return host;
}

/* No lws "validity" timer per socket: our own keepalive (connection.c) pings
 * and drops silent sockets. lws re-arms that timer on every frame received
 * with an O(N) sorted insert (lws_dll2_add_sorted), the hottest function of a
 * join storm at 10,000 sockets before it was switched off. */
static const lws_retry_bo_t no_lws_validity = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};

/* The signaling protocol, then the raw one the Redis sockets are adopted
 * with (only used with --redis; harmless otherwise). */
static const struct lws_protocols *all_protocols(const sky_config *cfg) {
  static struct lws_protocols list[3];
  list[0] = sky_ws_protocols(cfg)[0];
  list[1] = sky_bus_protocol;
  memset(&list[2], 0, sizeof(list[2]));
  return list;
}

bool sky_server_init(sky_server *s, const sky_config *cfg) {
  memset(s, 0, sizeof(*s));
  s->cfg = cfg;
  log_level(cfg->verbose);

  bool ipv6 = strchr(cfg->host, ':') != NULL;
  uint64_t options = ipv6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;

  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.options = options | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = s;
  info.gid = -1;
  info.uid = -1;
  info.port = CONTEXT_PORT_NO_LISTEN;
  /* libev rather than libuv: lws 4.1.6's libuv backend closes a socket
   * without its WebSocket close frame (no close code reaches the client). */
  s->loop = ev_loop_new(EVFLAG_AUTO); /* owner: s, ev_loop_destroy in sky_server_destroy */
  if (!s->loop) {
    fprintf(stderr, "skymesh-server: cannot create the event loop\n");
    return false;
  }
  void *loops[] = {s->loop};
  info.options |= LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = loops;
  s->ctx = lws_create_context(&info);
  if (!s->ctx) {
    fprintf(stderr, "skymesh-server: cannot create the lws context\n");
    sky_server_destroy(s);
    return false;
  }

  struct lws_context_creation_info vinfo;
  memset(&vinfo, 0, sizeof(vinfo));
  vinfo.options = options;
  vinfo.vhost_name = "skymesh";
  vinfo.port = cfg->port;
  vinfo.iface = listen_iface(cfg->host);
  vinfo.protocols = all_protocols(cfg);
  vinfo.mounts = sky_http_mounts(cfg);
  vinfo.keepalive_timeout = 5;       /* idle HTTP keep-alive connections */
  vinfo.timeout_secs_ah_idle = 10;   /* a client holding headers without sending */
  vinfo.retry_and_idle_policy = &no_lws_validity;
  s->vhost = lws_create_vhost(s->ctx, &vinfo);
  if (!s->vhost) {
    fprintf(stderr, "skymesh-server: cannot listen on %s port %d\n", cfg->host, cfg->port);
    sky_server_destroy(s);
    return false;
  }
  if (cfg->redis.enabled && !sky_rooms_redis_start(s)) {
    fprintf(stderr, "skymesh-server: out of memory\n");
    sky_server_destroy(s);
    return false;
  }
  return true;
}

void sky_server_run(sky_server *s) {
  const sky_config *cfg = s->cfg;
  if (sky_app_keys_dev_mode(&cfg->keys))
    printf("development mode: no --app-key given, any application key is accepted\n");
  int port = lws_get_vhost_listen_port(s->vhost);
  bool ipv6 = strchr(cfg->host, ':') != NULL;
  printf("listening on http://%s%s%s:%d/\n", ipv6 ? "[" : "", cfg->host, ipv6 ? "]" : "", port);
  fflush(stdout);

  lws_sul_schedule(s->ctx, 0, &s->tick, on_tick, TICK_MS * LWS_US_PER_MS);
  while (!s->done) {
    ev_run(s->loop, EVRUN_ONCE);
    sky_read_ahead_run(s); /* busy senders, read to the end before the next poll */
  }
}

void sky_server_destroy(sky_server *s) {
  s->stopping = true; /* CLOSED callbacks from the teardown tell no one */
  if (s->ctx) {
    lws_sul_cancel(&s->tick);
    if (s->bus) sky_rooms_redis_stop(s); /* pending replies are dropped: nobody is told anything now */
    lws_context_destroy(s->ctx); /* closes every socket: each conn is destroyed */
    s->ctx = NULL;
  }
  if (s->loop) {
    ev_loop_destroy(s->loop);
    s->loop = NULL;
  }
  sky_rooms_free_all(s); /* normally already empty */
  free(s->welcome_template);
  s->welcome_template = NULL;
}
