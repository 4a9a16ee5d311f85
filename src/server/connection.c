/* Per-connection state: framing, queueing, rate limiting, closing.
 * See connection.h for the lifecycle. */
#include "connection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "dispatch.h"
#include "read_ahead.h"
#include "resume_dispatch.h"
#include "rooms_backend.h"
#include "turn_dispatch.h"

/* A drained rx buffer bigger than this is released rather than kept, so
 * 10k idle sockets do not each pin a max-frame-sized buffer. */
/* A closing conn waits for its client to be quiet this long before the close
 * frame, but never longer than LINGER_MAX_MS; CLOSE_GUARD_S is lws's hard
 * stop should the close handshake itself stall. */
#define LINGER_QUIET_MS 150
#define LINGER_MAX_MS 2000
#define CLOSE_GUARD_S 4
/* Dropped messages (beyond the bucket) tolerated before a disconnect, as a
 * multiple of the burst. The meter drains at the refill rate. */
#define ABUSE_FACTOR 3.0

static void capture_origin(sky_conn *c) {
  int n = lws_hdr_total_length(c->wsi, WSI_TOKEN_ORIGIN);
  if (n <= 0) return; /* no Origin: a non-browser client */
  if (n > SKY_ORIGIN_HEADER_MAX) { c->origin_too_long = true; return; }
  c->origin = malloc((size_t)n + 1); /* owner: c, freed in sky_conn_destroy */
  if (!c->origin) return;
  if (lws_hdr_copy(c->wsi, c->origin, n + 1, WSI_TOKEN_ORIGIN) < 0) {
    free(c->origin);
    c->origin = NULL;
    c->origin_too_long = true; /* unreadable: never matches an allowed origin */
  }
}

/* Keepalive: a socket silent for one ping interval is sent a WebSocket ping
 * (with a payload: lws 4.1 reports only non-empty pongs to us); one silent
 * for two intervals is dropped and its room told "timeout". Checked every
 * half interval, so a dead peer is gone within 2 to 2.5 intervals. The same
 * timer renews the resume token and the TURN credentials once they are half
 * their lifetime old; it runs at least every quarter lifetime, so a client
 * never holds expired ones. */
static uint64_t keepalive_period_ms(const sky_server *s) {
  uint64_t ping = s->cfg->limits.ping_interval_ms / 2;
  uint64_t token = (uint64_t)s->cfg->resume_ttl_s * 1000 / 4;
  uint64_t period = ping < token ? ping : token;
  if (sky_turn_enabled(&s->cfg->turn)) {
    uint64_t turn = (uint64_t)s->cfg->turn.ttl_s * 1000 / 4;
    if (turn < period) period = turn;
  }
  return period;
}

sky_conn *sky_conn_create(sky_server *s, struct lws *wsi) {
  sky_conn *c = calloc(1, sizeof(*c)); /* owner: s->conns until sky_conn_destroy */
  if (!c) return NULL;
  c->user_data = sky_conn_no_user_data;
  c->server = s;
  c->wsi = wsi;
  c->serial = ++s->conn_serial;
  c->tokens = s->cfg->limits.msgs_burst;
  c->bucket_ms = c->last_rx_ms = sky_now_ms();
  c->leave_reason = SKY_LEAVE_DISCONNECTED;
  capture_origin(c);
  sky_deadline_arm(&s->keepalives, &c->keepalive, c->last_rx_ms + keepalive_period_ms(s));
  DL_APPEND(s->conns, c);
  s->conn_count++;
  return c;
}

static void queue_clear(sky_conn *c) {
  sky_frame *f = c->q_head;
  while (f) {
    sky_frame *next = f->next;
    free(f);
    f = next;
  }
  c->q_head = c->q_tail = NULL;
  c->q_bytes = c->q_frames = 0;
}

void sky_conn_destroy(sky_conn *c) {
  sky_server *s = c->server;
  if (c->room) sky_rooms_leave(c, c->leave_reason);
  if (c->authenticated) HASH_DELETE(hh, s->peers, c);
  DL_DELETE(s->conns, c);
  s->conn_count--;
  sky_deadline_disarm(&s->keepalives, &c->keepalive);
  sky_deadline_disarm(&s->hello_deadlines, &c->hello);
  sky_read_ahead_forget(c);
  queue_clear(c);
  free(c->rx);
  free(c->origin);
  sky_conn_set_user_data(c, NULL);
  free(c->app_key);
  free(c->bound_room);
  if (c->join) free(c->join->user_data);
  free(c->join);
  free(c);
}

char sky_conn_no_user_data[] = "{}";

void sky_conn_set_user_data(sky_conn *c, char *user_data) {
  if (c->user_data != sky_conn_no_user_data) free(c->user_data);
  /* "{}" is what most peers send (or nothing): 32 heap bytes each saved */
  if (user_data && strcmp(user_data, "{}") == 0) {
    free(user_data);
    user_data = NULL;
  }
  c->user_data = user_data ? user_data : sky_conn_no_user_data;
}

/* ---- outgoing ---------------------------------------------------------- */

void sky_conn_kill(sky_conn *c, sky_leave_reason reason) {
  if (c->dead) return;
  c->dead = true;
  c->closing = true;
  c->leave_reason = reason;
  queue_clear(c);
  /* Async: we may be inside another socket's callback (a broadcast). */
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Appends a frame of len payload bytes and returns its payload for the caller
 * to fill before anything else runs, or NULL when the conn is dead or was just
 * killed for overflowing its queue. */
static unsigned char *queue_reserve(sky_conn *c, size_t len, int mode) {
  if (c->dead) return NULL;
  const sky_config *cfg = c->server->cfg;
  if (c->q_bytes + len > cfg->max_queue_bytes || c->q_frames + 1 > cfg->max_queue_frames) {
    /* It is not reading: holding more of its backlog would let one slow (or
     * malicious) socket grow the server's memory without bound. */
    if (cfg->verbose > 1) lwsl_user("peer %s: outgoing queue full, dropping it\n", c->peer_id);
    sky_conn_kill(c, SKY_LEAVE_KICKED);
    return NULL;
  }
  sky_frame *f = malloc(sizeof(*f) + LWS_PRE + len); /* owner: c's queue */
  if (!f) {
    sky_conn_kill(c, SKY_LEAVE_DISCONNECTED);
    return NULL;
  }
  f->next = NULL;
  f->mode = mode;
  f->len = len;
  if (c->q_tail) c->q_tail->next = f; else c->q_head = f;
  c->q_tail = f;
  c->q_bytes += (uint32_t)len; /* <= max_queue_bytes, checked above */
  c->q_frames++;
  lws_callback_on_writable(c->wsi);
  return f->buf + LWS_PRE;
}

static void queue_push(sky_conn *c, const char *data, size_t len, int mode) {
  unsigned char *payload = queue_reserve(c, len, mode);
  if (payload) memcpy(payload, data, len);
}

void sky_conn_send_text(sky_conn *c, const char *json, size_t len) { queue_push(c, json, len, LWS_WRITE_TEXT); }

char *sky_conn_send_reserve(sky_conn *c, size_t len) { return (char *)queue_reserve(c, len, LWS_WRITE_TEXT); }

void sky_conn_send_msg(sky_conn *c, const sky_msg *msg) {
  char *json = sky_msg_encode(msg); /* owner: here, freed below */
  if (!json) {
    lwsl_err("cannot encode a '%s' message\n", sky_msg_type_name(msg->type));
    return;
  }
  sky_conn_send_text(c, json, strlen(json));
  free(json);
}

void sky_conn_close(sky_conn *c, sky_leave_reason reason, uint16_t ws_status, bool linger) {
  if (c->closing) return;
  c->closing = true;
  c->leave_reason = reason;
  c->close_status = ws_status;
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_GUARD_S);
  if (linger) {
    c->linger_deadline_ms = sky_now_ms() + LINGER_MAX_MS;
    lws_set_timer_usecs(c->wsi, LINGER_QUIET_MS * LWS_US_PER_MS);
  } else {
    c->close_now = true;
  }
  lws_callback_on_writable(c->wsi); /* flushes, then closes once close_now */
}

static void linger_check(sky_conn *c) {
  uint64_t now = sky_now_ms();
  uint64_t quiet = now - c->last_rx_ms;
  if (quiet >= LINGER_QUIET_MS || now >= c->linger_deadline_ms) {
    c->close_now = true;
    lws_callback_on_writable(c->wsi);
    return;
  }
  lws_set_timer_usecs(c->wsi, (lws_usec_t)(LINGER_QUIET_MS - quiet) * LWS_US_PER_MS);
}

static void keepalive_check(sky_conn *c) {
  uint64_t interval = c->server->cfg->limits.ping_interval_ms;
  uint64_t idle = sky_now_ms() - c->last_rx_ms;
  if (idle >= 2 * interval) {
    if (c->server->cfg->verbose > 1) lwsl_user("peer %s: no answer to pings, dropping it\n", c->peer_id);
    sky_conn_kill(c, SKY_LEAVE_TIMEOUT);
    return;
  }
  if (idle >= interval) queue_push(c, "skymesh", 7, LWS_WRITE_PING);
  if (c->authenticated && sky_now_ms() - c->token_ms >= (uint64_t)c->server->cfg->resume_ttl_s * 1000 / 2)
    sky_resume_send_token(c);
  if (c->authenticated) sky_turn_renew_if_due(c);
  if (!c->dead) sky_deadline_arm(&c->server->keepalives, &c->keepalive, sky_now_ms() + keepalive_period_ms(c->server));
}

void sky_conn_await_hello(sky_conn *c) {
  sky_deadline_arm(&c->server->hello_deadlines, &c->hello, sky_now_ms() + (uint64_t)c->server->cfg->hello_timeout_s * 1000);
}

void sky_conn_hello_met(sky_conn *c) { sky_deadline_disarm(&c->server->hello_deadlines, &c->hello); }

#define CONN_OF(field, d) ((sky_conn *)((char *)(d) - offsetof(sky_conn, field)))

void sky_conn_run_deadlines(sky_server *s) {
  uint64_t now = sky_now_ms();
  sky_deadline *d;
  while ((d = sky_deadline_pop_due(&s->hello_deadlines, now))) sky_conn_kill(CONN_OF(hello, d), SKY_LEAVE_TIMEOUT);
  while ((d = sky_deadline_pop_due(&s->keepalives, now))) {
    sky_conn *c = CONN_OF(keepalive, d);
    if (!c->closing) keepalive_check(c); /* re-arms itself */
  }
}

/* lws's own timer serves only the linger of a closing socket (rare, short). */
void sky_conn_on_timer(sky_conn *c) {
  if (c->dead || c->close_now) return;
  if (c->closing) linger_check(c);
}

void sky_conn_send_error(sky_conn *c, sky_error_code code, const char *ref, bool fatal,
                         const char *fmt, ...) {
  sky_msg m;
  memset(&m, 0, sizeof(m));
  m.type = SKY_MSG_ERROR;
  if (ref) snprintf(m.ref, sizeof(m.ref), "%s", ref);
  m.u.error.code = code;
  m.u.error.fatal = fatal;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m.u.error.text, sizeof(m.u.error.text), fmt, ap);
  va_end(ap);
  sky_conn_send_msg(c, &m);
  if (fatal) {
    uint16_t status = code == SKY_ERR_FRAME_TOO_LARGE ? LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE
                      : code == SKY_ERR_SERVER_FULL    ? 1013 /* try again later */
                                                       : LWS_CLOSE_STATUS_POLICY_VIOLATION;
    sky_conn_close(c, SKY_LEAVE_KICKED, status, true);
  }
}

/* A writable turn sends every queued text frame it can in one write: under
 * load, the send() per frame, not the JSON work, is what a relay costs (see
 * bench/). Server-to-client frames are unmasked, so their framing is just the
 * 2-10 byte header of RFC 6455 section 5.2. */
static size_t ws_text_header(unsigned char *out, size_t len) {
  out[0] = 0x81; /* FIN, opcode text */
  if (len < 126) {
    out[1] = (unsigned char)len;
    return 2;
  }
  if (len <= 0xffff) {
    out[1] = 126;
    out[2] = (unsigned char)(len >> 8);
    out[3] = (unsigned char)len;
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; i++) out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
  return 10;
}

static void queue_pop(sky_conn *c) {
  sky_frame *f = c->q_head;
  c->q_head = f->next;
  if (!c->q_head) c->q_tail = NULL;
  c->q_bytes -= f->len;
  c->q_frames--;
  free(f);
}

/* Frames the run of text frames at the queue's head into s->batch, popping
 * them. Returns the bytes framed, or 0 when fewer than two frames fit (then
 * the head goes out on its own, framed by lws). */
static size_t batch_take(sky_conn *c) {
  unsigned char *out = c->server->batch + LWS_PRE;
  size_t used = 0, frames = 0;
  for (sky_frame *f = c->q_head; f && f->mode == LWS_WRITE_TEXT; f = f->next) {
    if (used + 10 + f->len > SKY_BATCH_BYTES) break; /* 10: the longest header */
    used += 10 + f->len;
    frames++;
  }
  if (frames < 2) return 0;
  used = 0;
  while (frames--) {
    sky_frame *f = c->q_head;
    used += ws_text_header(out + used, f->len);
    memcpy(out + used, f->buf + LWS_PRE, f->len);
    used += f->len;
    queue_pop(c);
  }
  return used;
}

static int write_head(sky_conn *c) {
  size_t batched = batch_take(c);
  if (batched) return lws_write(c->wsi, c->server->batch + LWS_PRE, batched, LWS_WRITE_RAW);
  sky_frame *f = c->q_head;
  int n = lws_write(c->wsi, f->buf + LWS_PRE, f->len, (enum lws_write_protocol)f->mode);
  queue_pop(c);
  return n;
}

int sky_conn_on_writeable(sky_conn *c) {
  if (c->dead) return -1;
  if (c->q_head) {
    /* lws buffers a partial write itself; a negative count means the socket failed. */
    if (write_head(c) < 0) return -1;
    if (c->q_head) {
      lws_callback_on_writable(c->wsi);
      return 0;
    }
  }
  if (c->close_now) {
    static const char why[] = "closing";
    lws_close_reason(c->wsi, (enum lws_close_status)c->close_status, (unsigned char *)why, sizeof(why) - 1);
    return -1;
  }
  return 0;
}

/* ---- incoming ---------------------------------------------------------- */

typedef enum rate_verdict { RATE_OK, RATE_DROP, RATE_ABUSE } rate_verdict;

static rate_verdict rate_take(sky_conn *c) {
  const sky_limits *l = &c->server->cfg->limits;
  uint64_t now = sky_now_ms();
  double refill = (double)(now - c->bucket_ms) * l->msgs_per_second / 1000.0;
  c->bucket_ms = now;
  c->tokens += refill;
  if (c->tokens > l->msgs_burst) c->tokens = l->msgs_burst;
  c->strikes -= refill;
  if (c->strikes < 0) c->strikes = 0;
  if (c->tokens >= 1.0) {
    c->tokens -= 1.0;
    return RATE_OK;
  }
  c->strikes += 1.0;
  return c->strikes > ABUSE_FACTOR * l->msgs_burst ? RATE_ABUSE : RATE_DROP;
}

/* The ref of a frame we refuse without handling it (rate limited), so the
 * error still names the request. Decoding costs at most max-frame bytes of
 * work, and a socket gets only ABUSE_FACTOR x burst such refusals. */
static void frame_ref(const sky_conn *c, const char *data, size_t len, char out[SKY_REF_MAX + 1]) {
  sky_msg m;
  sky_decode_error err;
  memset(&m, 0, sizeof(m));
  memset(&err, 0, sizeof(err));
  if (sky_msg_decode(data, len, &c->server->cfg->limits, &m, &err)) {
    snprintf(out, SKY_REF_MAX + 1, "%s", m.ref);
    sky_msg_clear(&m);
  } else {
    snprintf(out, SKY_REF_MAX + 1, "%s", err.ref);
  }
}

/* One complete message: rate limit, then text checks, then the dispatcher. */
static void handle_message(sky_conn *c, const char *data, size_t len) {
  rate_verdict v = rate_take(c);
  if (v != RATE_OK) {
    char ref[SKY_REF_MAX + 1] = "";
    if (!c->rx_binary) frame_ref(c, data, len, ref);
    if (v == RATE_ABUSE)
      sky_conn_send_error(c, SKY_ERR_RATE_LIMITED, ref, true,
                          "too many messages over the rate limit (%u/s, burst %u): disconnected",
                          c->server->cfg->limits.msgs_per_second, c->server->cfg->limits.msgs_burst);
    else
      sky_conn_send_error(c, SKY_ERR_RATE_LIMITED, ref, false, "rate limit exceeded (%u/s, burst %u): message dropped",
                          c->server->cfg->limits.msgs_per_second, c->server->cfg->limits.msgs_burst);
    return;
  }
  if (c->rx_binary) {
    sky_conn_send_error(c, SKY_ERR_BAD_JSON, NULL, false, "binary frames are not accepted: send JSON text");
    return;
  }
  sky_dispatch(c, data, len);
}

/* Makes room for len more bytes, never beyond max_frame (checked by caller). */
static bool rx_reserve(sky_conn *c, size_t len) {
  size_t need = c->rx_len + len + 1; /* +1: keeps a NUL after the text for logs */
  if (need <= c->rx_cap) return true;
  size_t cap = c->rx_cap ? c->rx_cap : 1024;
  while (cap < need) cap *= 2;
  char *grown = realloc(c->rx, cap); /* owner: c->rx */
  if (!grown) return false;
  c->rx = grown;
  c->rx_cap = (uint32_t)cap; /* < 2 x max_frame */
  return true;
}

/* Reassembly is rare (messages over the lws receive buffer), so its buffer
 * is not kept: an idle peer holds none. */
static void rx_reset(sky_conn *c) {
  c->rx_len = 0;
  free(c->rx);
  c->rx = NULL;
  c->rx_cap = 0;
}

int sky_conn_on_receive(sky_conn *c, const void *in, size_t len) {
  c->last_rx_ms = sky_now_ms();
  sky_read_ahead_note(c, len);
  if (c->closing) return 0; /* its last words are queued; ignore the rest */
  if (lws_is_first_fragment(c->wsi)) {
    c->rx_len = 0;
    c->rx_binary = lws_frame_is_binary(c->wsi) != 0;
  }
  /* Refuse as soon as the message is known to exceed the bound: what is
   * already here plus this piece plus what lws says is still to come. */
  size_t max = c->server->cfg->limits.max_frame_bytes;
  size_t remaining = lws_remaining_packet_payload(c->wsi);
  if (c->rx_len + len > max || remaining > max - (c->rx_len + len)) {
    rx_reset(c);
    sky_conn_send_error(c, SKY_ERR_FRAME_TOO_LARGE, NULL, true, "message larger than %zu bytes", max);
    return 0;
  }
  if (c->rx_len == 0 && remaining == 0 && lws_is_final_fragment(c->wsi)) {
    handle_message(c, in, len); /* whole in one piece: no copy */
    return 0;
  }
  if (!rx_reserve(c, len)) {
    sky_conn_send_error(c, SKY_ERR_INTERNAL, NULL, true, "out of memory");
    return 0;
  }
  memcpy(c->rx + c->rx_len, in, len);
  c->rx_len += (uint32_t)len;
  c->rx[c->rx_len] = '\0';
  if (!lws_is_final_fragment(c->wsi) || remaining > 0) return 0;
  handle_message(c, c->rx, c->rx_len);
  rx_reset(c);
  return 0;
}

void sky_conn_on_pong(sky_conn *c) { c->last_rx_ms = sky_now_ms(); }
