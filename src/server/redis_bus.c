/* The Redis connections in the lws loop. See redis_bus.h. */
#define _POSIX_C_SOURCE 200809L /* dup */
#include "redis_bus.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define TICK_MS 1000
/* A Redis that stops answering without closing (stopped, or a network that
 * drops packets) is as good as gone: after this long without the answer to a
 * PING, or to a connection attempt, both connections are dropped and retried. */
#define SILENCE_MS 3000

/* One hiredis connection and the lws wsi that watches its socket. */
typedef struct bus_link {
  sky_bus *bus;
  redisAsyncContext *ac; /* hiredis frees it (on error, or through link_free); NULL when down */
  struct lws *wsi;       /* owned by lws: the adopted dup of ac's fd; NULL when none */
  bool ready;            /* cmd: connected; sub: subscribed */
  const char *name;      /* for the log */
} bus_link;

struct sky_bus {
  sky_server *server;
  const sky_redis_config *cfg; /* borrowed from the server's config */
  char *channel;               /* heap (owned): this instance's channel */
  bus_link cmd, sub;
  bool up;
  bool outage_logged; /* the first failure of an outage is logged, not every retry */
  uint32_t backoff_ms;
  uint64_t attempt_ms; /* sky_now_ms() of the connection attempt not yet up; 0 = none */
  uint64_t ping_ms;    /* sky_now_ms() of the PING not yet answered; 0 = none */
  lws_sorted_usec_list_t retry, tick; /* cancelled in sky_bus_destroy */
  sky_bus_message_fn on_message;
  sky_bus_up_fn on_up;
  sky_bus_tick_fn on_tick;
  sky_bus_down_fn on_down;
};

/* ---- hiredis's event hooks ------------------------------------------- */

/* lws polls every adopted descriptor for input all the time, so the read
 * hooks have nothing to do; a writable callback fires once, so delWrite has
 * nothing to undo. */
static void ev_noop(void *data) { (void)data; }

static void ev_add_write(void *data) {
  bus_link *l = data;
  if (l && l->wsi) lws_callback_on_writable(l->wsi);
}

/* hiredis is done with the socket (it closes its fd): let lws close its dup. */
static void detach_wsi(bus_link *l) {
  if (!l->wsi) return;
  lws_set_opaque_user_data(l->wsi, NULL);
  lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  l->wsi = NULL;
}

static void ev_cleanup(void *data) {
  if (data) detach_wsi(data);
}

/* ---- up and down ------------------------------------------------------- */

static void on_retry(lws_sorted_usec_list_t *sul);

/* Forgets l's context and frees it (pending callbacks get a NULL reply; if
 * we are inside one of its callbacks, hiredis frees it right after). */
static void link_free(bus_link *l) {
  redisAsyncContext *ac = l->ac;
  l->ac = NULL;
  l->ready = false;
  detach_wsi(l);
  if (!ac) return;
  ac->data = NULL;    /* its connect/disconnect callbacks now ignore it */
  ac->ev.data = NULL; /* and its hooks touch nothing of ours */
  redisAsyncFree(ac);
}

static void bus_down(sky_bus *bus, const bus_link *l, const char *why) {
  bus->up = false;
  bus->attempt_ms = bus->ping_ms = 0;
  if (!bus->outage_logged) {
    lwsl_err("redis: %s connection to %s:%d failed (%s): serving this instance's peers alone, retrying\n", l->name,
             bus->cfg->host, bus->cfg->port, why && why[0] ? why : "closed");
    bus->outage_logged = true;
  }
  link_free(&bus->cmd);
  link_free(&bus->sub);
  if (bus->server->stopping) return;
  bus->on_down(bus->server);
  lws_sul_schedule(bus->server->ctx, 0, &bus->retry, on_retry, (lws_usec_t)bus->backoff_ms * LWS_US_PER_MS);
  bus->backoff_ms = bus->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : bus->backoff_ms * 2;
}

static void maybe_up(sky_bus *bus) {
  if (bus->up || !bus->cmd.ready || !bus->sub.ready) return;
  bus->up = true;
  bus->attempt_ms = 0;
  bus->backoff_ms = BACKOFF_MIN_MS;
  if (bus->outage_logged) lwsl_err("redis: connected again to %s:%d\n", bus->cfg->host, bus->cfg->port);
  else lwsl_user("redis: connected to %s:%d as instance %s\n", bus->cfg->host, bus->cfg->port, bus->cfg->instance_id);
  bus->outage_logged = false;
  bus->on_up(bus->server);
}

static void on_connect(const redisAsyncContext *ac, int status) {
  bus_link *l = ac->data;
  if (!l) return;
  if (status != REDIS_OK) {
    l->ac = NULL; /* hiredis frees it when this returns */
    bus_down(l->bus, l, ac->errstr);
    return;
  }
  if (l == &l->bus->cmd) {
    l->ready = true;
    maybe_up(l->bus);
  }
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
  (void)status;
  bus_link *l = ac->data;
  if (!l) return;
  l->ac = NULL; /* hiredis frees it when this returns */
  bus_down(l->bus, l, ac->errstr);
}

/* Every reply on the subscribed connection: the subscription's confirmation,
 * then the messages. */
static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  sky_bus *bus = privdata;
  redisReply *r = reply;
  if (!r || !ac->data || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  redisReply *kind = r->element[0], *data = r->element[2];
  if (kind->type != REDIS_REPLY_STRING) return;
  if (strcmp(kind->str, "subscribe") == 0) {
    bus->sub.ready = true;
    maybe_up(bus);
  } else if (strcmp(kind->str, "message") == 0 && data->type == REDIS_REPLY_STRING) {
    bus->on_message(bus->server, data->str, data->len);
  }
}

static void on_select_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  (void)privdata;
  redisReply *r = reply;
  if (r && ac->data && r->type == REDIS_REPLY_ERROR) lwsl_err("redis: SELECT refused: %s\n", r->str);
}

static bool connect_link(sky_bus *bus, bus_link *l) {
  redisAsyncContext *ac = redisAsyncConnect(bus->cfg->host, bus->cfg->port); /* owner: hiredis, see link_free */
  if (!ac || ac->err) {
    char why[128];
    snprintf(why, sizeof(why), "%s", ac ? ac->errstr : "out of memory");
    if (ac) redisAsyncFree(ac);
    bus_down(bus, l, why);
    return false;
  }
  ac->data = l;
  ac->ev.data = l;
  ac->ev.addRead = ev_noop;
  ac->ev.delRead = ev_noop;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_noop;
  ac->ev.cleanup = ev_cleanup;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  l->ac = ac;
  lws_adopt_desc_t info;
  memset(&info, 0, sizeof(info));
  info.vh = bus->server->vhost;
  info.type = LWS_ADOPT_RAW_FILE_DESC;
  info.fd.filefd = dup(ac->c.fd); /* owner: lws (closed with the wsi, or by the call when it fails) */
  info.vh_prot_name = sky_bus_protocol.name;
  info.opaque = l;
  l->wsi = info.fd.filefd >= 0 ? lws_adopt_descriptor_vhost_via_info(&info) : NULL;
  if (!l->wsi) {
    bus_down(bus, l, "cannot watch the socket");
    return false;
  }
  lws_callback_on_writable(l->wsi); /* the non-blocking connect completes when writable */
  return true;
}

static void connect_both(sky_bus *bus) {
  bus->attempt_ms = sky_now_ms();
  if (!connect_link(bus, &bus->cmd) || !connect_link(bus, &bus->sub)) return;
  if (bus->cfg->db)
    redisAsyncCommand(bus->cmd.ac, on_select_reply, NULL, "SELECT %u", (unsigned)bus->cfg->db);
  redisAsyncCommand(bus->sub.ac, on_sub_reply, bus, "SUBSCRIBE %b", bus->channel, strlen(bus->channel));
}

static void on_retry(lws_sorted_usec_list_t *sul) {
  sky_bus *bus = lws_container_of(sul, sky_bus, retry);
  if (!bus->server->stopping) connect_both(bus);
}

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata) {
  sky_bus *bus = privdata;
  if (reply && ac->data) bus->ping_ms = 0;
}

/* Is Redis still answering? False after dropping the connections. */
static bool check_silence(sky_bus *bus) {
  uint64_t now = sky_now_ms();
  uint64_t since = bus->up ? bus->ping_ms : bus->attempt_ms;
  if (since && now - since > SILENCE_MS) {
    bus_down(bus, &bus->cmd, "no answer for 3 s");
    return false;
  }
  if (bus->up && !bus->ping_ms &&
      redisAsyncCommand(bus->cmd.ac, on_pong, bus, "PING") == REDIS_OK)
    bus->ping_ms = now;
  return true;
}

static void on_tick(lws_sorted_usec_list_t *sul) {
  sky_bus *bus = lws_container_of(sul, sky_bus, tick);
  if (bus->server->stopping) return;
  if (check_silence(bus) && bus->up) bus->on_tick(bus->server);
  lws_sul_schedule(bus->server->ctx, 0, &bus->tick, on_tick, TICK_MS * LWS_US_PER_MS);
}

/* ---- the lws side ------------------------------------------------------ */

static int bus_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  (void)in;
  (void)len;
  bus_link *l = lws_get_opaque_user_data(wsi);
  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return 1; /* a client naming this protocol in its upgrade gets nothing */
  case LWS_CALLBACK_RAW_RX_FILE:
    if (!l || !l->ac) return -1;
    redisAsyncHandleRead(l->ac);
    return 0;
  case LWS_CALLBACK_RAW_WRITEABLE_FILE:
    if (!l || !l->ac) return -1;
    redisAsyncHandleWrite(l->ac);
    return 0;
  case LWS_CALLBACK_RAW_CLOSE_FILE:
    if (l) { /* lws dropped it (hang-up, error) before hiredis noticed */
      l->wsi = NULL;
      bus_down(l->bus, l, "socket closed");
    }
    return 0;
  default:
    return 0;
  }
}

const struct lws_protocols sky_bus_protocol = {"skymesh-redis-bus", bus_callback, 0, 0, 0, NULL, 0};

/* ---- the API ------------------------------------------------------------ */

sky_bus *sky_bus_create(sky_server *s, const char *channel, sky_bus_message_fn on_message, sky_bus_up_fn on_up,
                        sky_bus_tick_fn on_tick_fn, sky_bus_down_fn on_down) {
  sky_bus *bus = calloc(1, sizeof(*bus)); /* owner: the server, freed by sky_bus_destroy */
  if (!bus) return NULL;
  bus->channel = strdup(channel); /* owner: bus */
  if (!bus->channel) {
    free(bus);
    return NULL;
  }
  bus->server = s;
  bus->cfg = &s->cfg->redis;
  bus->cmd = (bus_link){bus, NULL, NULL, false, "command"};
  bus->sub = (bus_link){bus, NULL, NULL, false, "subscriber"};
  bus->backoff_ms = BACKOFF_MIN_MS;
  bus->on_message = on_message;
  bus->on_up = on_up;
  bus->on_tick = on_tick_fn;
  bus->on_down = on_down;
  connect_both(bus);
  lws_sul_schedule(s->ctx, 0, &bus->tick, on_tick, TICK_MS * LWS_US_PER_MS);
  return bus;
}

void sky_bus_destroy(sky_bus *bus) {
  if (!bus) return;
  lws_sul_cancel(&bus->retry);
  lws_sul_cancel(&bus->tick);
  bus->up = false;
  link_free(&bus->cmd);
  link_free(&bus->sub);
  free(bus->channel);
  free(bus);
}

bool sky_bus_up(const sky_bus *bus) { return bus && bus->up; }

bool sky_bus_command(sky_bus *bus, redisCallbackFn *fn, void *privdata, int argc, const char **argv,
                     const size_t *argvlen) {
  if (!bus || !bus->up || !bus->cmd.ac) return false;
  return redisAsyncCommandArgv(bus->cmd.ac, fn, privdata, argc, argv, argvlen) == REDIS_OK;
}
