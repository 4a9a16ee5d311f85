/* The fake environment the client-core tests drive the core with: an ops
 * table that records every action as a line of text, a fake clock, and
 * helpers that feed server messages. Included by each tests/unit/test_client*.c
 * (static: one copy per test program). */
#ifndef SKYMESH_TEST_CLIENT_FAKE_H
#define SKYMESH_TEST_CLIENT_FAKE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "dc_frame.h"
#include "protocol.h"

#define SELF "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"   /* smallest: polite towards everyone */
#define PEER_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PEER_C "cccccccccccccccccccccccccccccccc"
#define PEER_D "dddddddddddddddddddddddddddddddd"
#define PEER_0 "00000000000000000000000000000000" /* smaller than SELF */

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* ---- the fake environment ------------------------------------------------ */

typedef struct fake {
  char *lines[512];
  int count;
  size_t buffered; /* what dc_buffered reports */
  uint32_t timer;  /* last armed timer */
  uint64_t now;    /* fake monotonic clock, ms */
  uint64_t clock_step; /* added at every read: a clock that moves during a call */
  bool no_ice_restart; /* the fake stack cannot restart ICE */
  int video[3];         /* what stream_video reports: width, height, frame rate (0: not known) */
  bool fail_socket_open;
  sky_client *client;
  /* re-entrancy probe: on this event, call send_p2p */
  const char *reenter_on;
  int reentered;
  /* binary frames sent, each as its size_t length then its bytes */
  char *bin;
  size_t bin_len;
  int bin_frames;
} fake;

static void record(fake *f, const char *fmt, ...) {
  char buf[70000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  assert_true(f->count < 512);
  f->lines[f->count] = malloc(strlen(buf) + 1);
  strcpy(f->lines[f->count++], buf);
}

static int f_socket_open(void *u, const char *url) {
  fake *f = u;
  record(f, "socket_open %s", url);
  return f->fail_socket_open ? -1 : 0;
}
static int f_socket_send(void *u, const char *text, size_t len) {
  assert_int_equal(strlen(text), len);
  record(u, "send %s", text);
  return 0;
}
static void f_socket_close(void *u) { record(u, "socket_close"); }
static int f_pc_create(void *u, int pc, const char *cfg) {
  record(u, "pc_create %d %s", pc, cfg);
  return 0;
}
static void f_pc_close(void *u, int pc) { record(u, "pc_close %d", pc); }
static void f_offer(void *u, int pc) { record(u, "create_offer %d", pc); }
static void f_answer(void *u, int pc) { record(u, "create_answer %d", pc); }
static void f_set_remote(void *u, int pc, sky_sdp_type t, const char *sdp, bool rollback_first) {
  record(u, "set_remote %d %s %s%s", pc, t == SKY_SDP_OFFER ? "offer" : "answer", sdp,
         rollback_first ? " (rollback first)" : "");
}
static void f_add_cand(void *u, int pc, const char *c, const char *mid, int mline) {
  record(u, "add_candidate %d %s %s %d", pc, c, mid ? mid : "-", mline);
}
static int f_dc_send(void *u, int pc, const char *data, size_t len) {
  assert_true(len <= SKY_DC_FRAME_MAX);
  record(u, "dc_send %d %s", pc, data);
  return 0;
}
static int f_dc_send_binary(void *u, int pc, const char *data, size_t len) {
  assert_true(len <= SKY_DC_FRAME_MAX);
  fake *f = u;
  f->bin_frames++;
  f->bin = realloc(f->bin, f->bin_len + len + sizeof(size_t));
  memcpy(f->bin + f->bin_len, &len, sizeof len);
  memcpy(f->bin + f->bin_len + sizeof len, data, len);
  f->bin_len += len + sizeof len;
  record(u, "dc_send_binary %d %zu", pc, len);
  return 0;
}
static size_t f_dc_buffered(void *u, int pc) {
  (void)pc;
  return ((fake *)u)->buffered;
}
static void f_set_timer(void *u, uint32_t ms) { ((fake *)u)->timer = ms; }
static uint64_t f_now(void *u) {
  fake *f = u;
  uint64_t t = f->now;
  f->now += f->clock_step;
  return t;
}
static int f_restart_ice(void *u, int pc) {
  record(u, "restart_ice %d", pc);
  return ((fake *)u)->no_ice_restart ? -1 : 0;
}
static void f_emit(void *u, const char *name, const char *args) {
  fake *f = u;
  record(f, "emit %s %s", name, args);
  if (f->reenter_on && strcmp(name, f->reenter_on) == 0 && !f->reentered) {
    f->reentered = 1;
    sky_client_send_p2p(f->client, "\"from listener\"", NULL);
  }
}

static void f_add_stream(void *u, int pc, int stream) { record(u, "add_stream %d %d", pc, stream); }
static void f_remove_stream(void *u, int pc, int stream) { record(u, "remove_stream %d %d", pc, stream); }
static void f_stream_enable(void *u, int stream, bool audio, bool video) {
  record(u, "stream_enable %d audio=%d video=%d", stream, audio, video);
}
static void f_stream_stop(void *u, int stream) { record(u, "stream_stop %d", stream); }
static void f_stream_video(void *u, int stream, int *width, int *height, int *frame_rate) {
  (void)stream;
  fake *f = u;
  *width = f->video[0];
  *height = f->video[1];
  *frame_rate = f->video[2];
}

static const sky_client_ops fake_ops = {
  .socket_open = f_socket_open, .socket_send = f_socket_send, .socket_close = f_socket_close,
  .pc_create = f_pc_create, .pc_close = f_pc_close, .pc_create_offer = f_offer,
  .pc_create_answer = f_answer, .pc_set_remote = f_set_remote, .pc_add_candidate = f_add_cand,
  .dc_send = f_dc_send, .dc_send_binary = f_dc_send_binary, .dc_buffered = f_dc_buffered, .set_timer = f_set_timer, .emit = f_emit,
  .now_ms = f_now, .pc_restart_ice = f_restart_ice,
  .pc_add_stream = f_add_stream, .pc_remove_stream = f_remove_stream, .stream_enable = f_stream_enable,
  .stream_stop = f_stream_stop, .stream_video = f_stream_video,
};

static void clear_lines(fake *f) {
  for (int i = 0; i < f->count; i++) free(f->lines[i]);
  f->count = 0;
}

/* Index of the first line from `from` containing every needle, or -1. */
static int find_from(fake *f, int from, const char *a, const char *b) {
  for (int i = from; i < f->count; i++) {
    if (strstr(f->lines[i], a) && (!b || strstr(f->lines[i], b))) return i;
  }
  return -1;
}
static int find(fake *f, const char *a, const char *b) { return find_from(f, 0, a, b); }

static int count(fake *f, const char *a, const char *b) {
  int n = 0;
  for (int i = 0; i < f->count; i++) n += strstr(f->lines[i], a) && (!b || strstr(f->lines[i], b));
  return n;
}

static void dump(fake *f) {
  for (int i = 0; i < f->count; i++) fprintf(stderr, "  %d: %.200s\n", i, f->lines[i]);
}

#define EXPECT(f, a, b)                                  \
  do {                                                   \
    if (find(f, a, b) < 0) {                             \
      dump(f);                                           \
      fail_msg("missing line with '%s' '%s'", a, b ? b : ""); \
    }                                                    \
  } while (0)

/* Feeds a server message to the client as its JSON text. */
static void feed(sky_client *c, const sky_msg *m) {
  char *text = sky_msg_encode(m);
  assert_non_null(text);
  sky_client_on_socket_text(c, text, strlen(text));
  free(text);
}

static void feed_welcome(sky_client *c) {
  sky_msg m = {0};
  m.type = SKY_MSG_WELCOME;
  m.u.welcome.version = 1;
  strcpy(m.u.welcome.peer_id, SELF);
  sky_limits_default(&m.u.welcome.limits);
  feed(c, &m);
}

/* joined with the given peers already in the room */
static void feed_joined(sky_client *c, const char *room, int n, const char *const *ids) {
  sky_msg m = {0};
  m.type = SKY_MSG_JOINED;
  strcpy(m.u.joined.room, room);
  strcpy(m.u.joined.peer_id, SELF);
  sky_peer_entry entries[4];
  for (int i = 0; i < n; i++) {
    strcpy(entries[i].peer_id, ids[i]);
    entries[i].user_data = (char *)"{\"name\":\"someone\"}";
  }
  m.u.joined.peers = n ? entries : NULL;
  m.u.joined.peer_count = (size_t)n;
  feed(c, &m);
}

static void feed_peer(sky_client *c, sky_msg_type type, const char *id, const char *user_data) {
  sky_msg m = {0};
  m.type = type;
  strcpy(m.u.peer.peer_id, id);
  m.u.peer.user_data = (char *)user_data;
  feed(c, &m);
}

static void feed_peer_left(sky_client *c, const char *id) {
  sky_msg m = {0};
  m.type = SKY_MSG_PEER_LEFT;
  strcpy(m.u.peer_left.peer_id, id);
  feed(c, &m);
}

static void feed_peer_left_reason(sky_client *c, const char *id, sky_leave_reason reason) {
  sky_msg m = {0};
  m.type = SKY_MSG_PEER_LEFT;
  strcpy(m.u.peer_left.peer_id, id);
  m.u.peer_left.reason = reason;
  feed(c, &m);
}

static void feed_token(sky_client *c, const char *token) {
  sky_msg m = {0};
  m.type = SKY_MSG_TOKEN;
  strcpy(m.u.token.token, token);
  m.u.token.expires = 1;
  feed(c, &m);
}

/* Advances the fake clock by ms in steps no longer than the armed timer,
 * firing the timer whenever it is due, as an event loop would. */
static void advance(fake *f, uint64_t ms) {
  uint64_t end = f->now + ms;
  while (f->now < end) {
    uint64_t step = f->timer && f->timer < end - f->now ? f->timer : end - f->now;
    f->now += step;
    if (f->timer && step == f->timer) sky_client_on_timer(f->client);
    else if (f->timer) f->timer -= (uint32_t)step;
  }
}

static void feed_sdp(sky_client *c, sky_msg_type type, const char *from, const char *sdp) {
  sky_msg m = {0};
  m.type = type;
  strcpy(m.u.sdp.from, from);
  strcpy(m.u.sdp.to, SELF);
  m.u.sdp.sdp = (char *)sdp;
  feed(c, &m);
}

static void feed_candidate(sky_client *c, const char *from, const char *cand) {
  sky_msg m = {0};
  m.type = SKY_MSG_CANDIDATE;
  strcpy(m.u.candidate.from, from);
  strcpy(m.u.candidate.to, SELF);
  m.u.candidate.candidate = (char *)cand;
  strcpy(m.u.candidate.sdp_mid, "0");
  m.u.candidate.sdp_mline_index = 0;
  feed(c, &m);
}

static void feed_simple(sky_client *c, sky_msg_type type) {
  sky_msg m = {0};
  m.type = type;
  if (type == SKY_MSG_LEFT) strcpy(m.u.left.room, "room1");
  feed(c, &m);
}

static int setup(void **state) {
  fake *f = calloc(1, sizeof *f);
  f->client = sky_client_new(&fake_ops, f);
  assert_non_null(f->client);
  *state = f;
  return 0;
}

/* setup, with the fake clock started away from 0, as real clocks are. */
static int setup_clock(void **state) {
  setup(state);
  ((fake *)*state)->now = 1000;
  return 0;
}

static int teardown(void **state) {
  fake *f = *state;
  sky_client_free(f->client);
  clear_lines(f);
  free(f->bin);
  free(f);
  return 0;
}

/* Connected and authenticated, lines cleared. */
static sky_client *authed(fake *f) {
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://127.0.0.1:1/signaling", "app", NULL), SKY_OK);
  sky_client_on_socket_open(c);
  feed_welcome(c);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_AUTHENTICATED);
  clear_lines(f);
  return c;
}

/* In room1 with peers already there, lines cleared. */
static sky_client *in_room(fake *f, int n, const char *const *ids) {
  sky_client *c = authed(f);
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  feed_joined(c, "room1", n, ids);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_IN_ROOM);
  clear_lines(f);
  return c;
}

/* Drives a peer (that joined after us) through offer/answer to an open channel. */
static int connect_answering(fake *f, const char *id) {
  sky_client *c = f->client;
  feed_peer(c, SKY_MSG_PEER_JOINED, id, NULL);
  feed_sdp(c, SKY_MSG_OFFER, id, "v=0 offer");
  int pc = sky_client_peer_handle(c, id);
  assert_true(pc > 0);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  assert_int_equal(sky_client_peer_state(c, id), SKY_PEER_CONNECTED);
  return pc;
}

#endif
