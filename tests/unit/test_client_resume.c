/* The signaling session (src/core/resume.c) driven with fake time: a lost
 * socket keeps the room and the channels, reconnects with jittered backoff,
 * resumes with the token, reconciles the peers; fatal refusals stop it. */
#include "client_fake.h"

/* Milliseconds until a line containing `what` appears (fake time, 1 ms steps). */
static uint64_t ms_until(fake *f, const char *what) {
  int before = count(f, what, NULL);
  for (uint64_t t = 1; t <= 60000; t++) {
    advance(f, 1);
    if (count(f, what, NULL) > before) return t;
  }
  fail_msg("no '%s' within 60 s", what);
  return 0;
}

static void feed_welcome_as(sky_client *c, const char *id, bool resumed) {
  sky_msg m = {0};
  m.type = SKY_MSG_WELCOME;
  m.u.welcome.version = 1;
  strcpy(m.u.welcome.peer_id, id);
  sky_limits_default(&m.u.welcome.limits);
  m.u.welcome.resumed = resumed;
  feed(c, &m);
}

/* joined after a resume (ref "resume") listing ids. */
static void feed_resume_joined(sky_client *c, int n, const char *const *ids) {
  sky_msg m = {0};
  m.type = SKY_MSG_JOINED;
  strcpy(m.ref, "resume");
  strcpy(m.u.joined.room, "room1");
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

/* In room1 with B connected (channel open) and a token, lines cleared. */
static sky_client *in_room_with_b(fake *f) {
  sky_client *c = in_room(f, 0, NULL);
  feed_token(c, "tok-1");
  connect_answering(f, PEER_B);
  clear_lines(f);
  return c;
}

/* Loses the socket and lets the first retry open a new one. */
static void lose_and_reopen(fake *f) {
  sky_client *c = f->client;
  sky_client_on_socket_close(c, 1006, "");
  advance(f, SKY_RETRY_BASE_MS);
  sky_client_on_socket_open(c);
}

static void test_outage_keeps_room_and_channels(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  sky_client_on_socket_close(c, 1006, "");
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  assert_int_equal(count(f, "pc_close", NULL), 0);
  EXPECT(f, "emit channelClose", NULL);
  EXPECT(f, "emit signalingState", "reconnecting");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_IN_ROOM);
  /* chat keeps flowing peer to peer; what needs the server says so */
  assert_int_equal(sky_client_send_p2p(c, "\"still here\"", NULL), SKY_OK);
  EXPECT(f, "dc_send", "still here");
  assert_int_equal(sky_client_send_server(c, "\"x\"", NULL), SKY_E_OFFLINE);
  assert_int_equal(sky_client_lock(c, true), SKY_E_OFFLINE);
  /* the first retry comes within 125..250 ms */
  uint64_t first = ms_until(f, "socket_open");
  assert_true(first >= SKY_RETRY_BASE_MS / 2 && first <= SKY_RETRY_BASE_MS);
  EXPECT(f, "emit channelRetry", "[\"nonfallback\",1]");
  assert_int_equal(count(f, "socket_open", NULL), 1);
  sky_client_on_socket_open(c);
  EXPECT(f, "send ", "\"resume\":\"tok-1\"");
  EXPECT(f, "emit channelOpen", NULL);
  feed_welcome_as(c, SELF, true);
  EXPECT(f, "emit signalingState", "resumed");
  /* until the room is back, the server is not asked for anything */
  assert_int_equal(sky_client_send_server(c, "\"x\"", NULL), SKY_E_OFFLINE);
  const char *ids[] = {PEER_B};
  feed_resume_joined(c, 1, ids);
  assert_int_equal(sky_client_send_server(c, "\"back\"", NULL), SKY_OK);
  EXPECT(f, "send ", "\"back\"");
  /* no churn at all */
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  assert_int_equal(count(f, "emit peerJoined", NULL), 0);
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_CONNECTED);
  /* B's own resume, later, is no news either */
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, "{}");
  assert_int_equal(count(f, "emit peerJoined", NULL), 0);
  assert_int_equal(count(f, "emit peerUpdated", NULL), 0);
}

static void test_resume_sends_user_data(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  sky_client_on_socket_close(c, 1006, "");
  assert_int_equal(sky_client_set_user_data(c, "{\"name\":\"Ann\"}"), SKY_OK);
  assert_int_equal(count(f, "send ", "\"update\""), 0); /* offline: goes with hello */
  advance(f, SKY_RETRY_BASE_MS);
  sky_client_on_socket_open(c);
  EXPECT(f, "send ", "\"userData\":{\"name\":\"Ann\"}");
}

static void test_reconcile_after_resume(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  /* C never got an open channel */
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_C, NULL);
  clear_lines(f);
  lose_and_reopen(f);
  feed_welcome_as(c, SELF, true);
  /* the server lists D (joined meanwhile), not B (slower to resume), not C */
  const char *ids[] = {PEER_D};
  feed_resume_joined(c, 1, ids);
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 0); /* its channel is alive */
  assert_int_equal(count(f, "emit peerLeft", PEER_C), 1); /* gone, no channel */
  EXPECT(f, "emit peerJoined", PEER_D);
  EXPECT(f, "create_offer", NULL); /* newcomer offers to D */
  assert_int_equal(sky_client_peer_count(c), 2);
}

static void test_restart_without_resume_rejoins(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  lose_and_reopen(f);
  feed_welcome_as(c, PEER_D, false); /* the server forgot us: a new id */
  EXPECT(f, "emit signalingState", "restarted");
  EXPECT(f, "emit peerLeft", PEER_B);
  EXPECT(f, "emit peerLeft", "[\"" SELF "\"");
  EXPECT(f, "send ", "\"type\":\"join\"");
  EXPECT(f, "send ", "\"room\":\"room1\"");
  assert_string_equal(sky_client_peer_id(c), PEER_D);
}

static void test_backoff_grows_jittered_and_capped(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  sky_client_on_socket_close(c, 1006, "");
  uint32_t full = SKY_RETRY_BASE_MS;
  for (int attempt = 1; attempt <= 10; attempt++) {
    if (full > SKY_RETRY_MAX_MS) full = SKY_RETRY_MAX_MS;
    uint64_t waited = ms_until(f, "socket_open");
    assert_true(waited >= full / 2 && waited <= full);
    /* B keeps talking, so the outage is the only thing going on */
    sky_client_on_channel_message(c, sky_client_peer_handle(c, PEER_B), "{\"t\":\"hb\"}", 10, true);
    sky_client_on_socket_close(c, 1006, ""); /* the attempt fails */
    full *= 2;
  }
  assert_int_equal(count(f, "emit channelRetry", NULL), 10);
  EXPECT(f, "emit channelRetry", "[\"nonfallback\",10]");
  /* only one "reconnecting" for the whole outage */
  assert_int_equal(count(f, "emit signalingState", "reconnecting"), 1);
}

static void test_silent_socket_is_dropped(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  advance(f, SKY_SIG_PING_MS);
  EXPECT(f, "send ", "\"ping\"");
  assert_int_equal(count(f, "socket_close", NULL), 0);
  advance(f, SKY_SIG_SILENCE_MS - SKY_SIG_PING_MS);
  EXPECT(f, "socket_close", NULL);
  EXPECT(f, "emit signalingState", "reconnecting");
  /* a pong in time would have kept it: check the other way */
  (void)c;
}

static void test_pong_keeps_socket(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  for (int i = 0; i < 25; i++) {
    advance(f, 1000);
    if (i % 5 == 4) {
      sky_msg pong = {0};
      pong.type = SKY_MSG_PONG;
      feed(c, &pong);
    }
    /* B talks, so that its heartbeat silence never drops it */
    sky_client_on_channel_message(c, sky_client_peer_handle(c, PEER_B), "{\"t\":\"hb\"}", 10, true);
  }
  assert_int_equal(count(f, "socket_close", NULL), 0);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
}

static void test_fatal_refusal_stops_retrying(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  lose_and_reopen(f);
  sky_msg m = {0};
  m.type = SKY_MSG_ERROR;
  m.u.error.code = SKY_ERR_BAD_APP_KEY;
  m.u.error.fatal = true;
  strcpy(m.u.error.text, "unknown application key");
  feed(c, &m);
  EXPECT(f, "emit signalingState", "failed");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_ERROR);
  clear_lines(f);
  advance(f, 60000);
  assert_int_equal(count(f, "socket_open", NULL), 0);
}

static void test_server_full_is_retried(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  lose_and_reopen(f);
  sky_msg m = {0};
  m.type = SKY_MSG_ERROR;
  m.u.error.code = SKY_ERR_SERVER_FULL;
  m.u.error.fatal = true;
  feed(c, &m);
  clear_lines(f);
  advance(f, 2 * SKY_RETRY_BASE_MS);
  EXPECT(f, "socket_open", NULL);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_IN_ROOM);
}

static void test_join_during_outage_waits(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  sky_client_on_socket_close(c, 1006, "");
  assert_int_equal(sky_client_join(c, "room2"), SKY_OK);
  assert_int_equal(count(f, "send ", "\"leave\""), 0);
  advance(f, SKY_RETRY_BASE_MS);
  sky_client_on_socket_open(c);
  feed_welcome_as(c, SELF, true);
  const char *ids[] = {PEER_B};
  feed_resume_joined(c, 1, ids);
  EXPECT(f, "send ", "\"type\":\"leave\"");
  feed_simple(c, SKY_MSG_LEFT);
  EXPECT(f, "send ", "\"room\":\"room2\"");
}

static void test_leave_during_outage(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  sky_client_on_socket_close(c, 1006, "");
  assert_int_equal(sky_client_leave(c), SKY_OK);
  EXPECT(f, "emit peerLeft", PEER_B);
  EXPECT(f, "emit _leave", "previousRoom");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_AUTHENTICATED);
  advance(f, SKY_RETRY_BASE_MS);
  sky_client_on_socket_open(c);
  feed_welcome_as(c, SELF, true);
  const char *ids[] = {PEER_B};
  feed_resume_joined(c, 1, ids); /* the token still named the room */
  EXPECT(f, "send ", "\"type\":\"leave\"");
  clear_lines(f);
  feed_simple(c, SKY_MSG_LEFT);
  assert_int_equal(count(f, "emit", NULL), 0); /* already told */
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_AUTHENTICATED);
}

static void test_room_full_on_resume(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  lose_and_reopen(f);
  feed_welcome_as(c, SELF, true);
  sky_msg m = {0};
  m.type = SKY_MSG_ERROR;
  strcpy(m.ref, "resume");
  m.u.error.code = SKY_ERR_ROOM_FULL;
  strcpy(m.u.error.text, "room 'room1' is full");
  feed(c, &m);
  EXPECT(f, "emit peerLeft", PEER_B);
  EXPECT(f, "emit systemAction", "reject");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_AUTHENTICATED);
}

static void test_close_stops_reconnecting(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  sky_client_on_socket_close(c, 1006, "");
  sky_client_close(c);
  clear_lines(f);
  advance(f, 60000);
  assert_int_equal(count(f, "socket_open", NULL), 0);
  assert_int_equal(f->timer, 0);
}

/* Regression: the clock moves while the core runs (a real one does); a retry
 * must not take its own fresh socket for a silent one and close it at once. */
static void test_moving_clock_keeps_new_socket(void **state) {
  fake *f = *state;
  sky_client *c = in_room_with_b(f);
  f->clock_step = 1;
  sky_client_on_socket_close(c, 1006, "");
  for (int attempt = 0; attempt < 6; attempt++) {
    clear_lines(f);
    ms_until(f, "socket_open");
    assert_int_equal(count(f, "socket_close", NULL), 0);
    sky_client_on_channel_message(c, sky_client_peer_handle(c, PEER_B), "{\"t\":\"hb\"}", 10, true);
    sky_client_on_socket_close(c, 1006, ""); /* the server is still down */
  }
}

/* Several servers sharing rooms: the first socket goes to the first URL, each
 * loss (or failed attempt) moves on to the next, round the list, and the
 * resume there keeps the id. */
static void test_server_list_rotates(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://a:1/signaling ws://b:2/signaling ws://c:3/signaling", "app", NULL), SKY_OK);
  EXPECT(f, "socket_open ws://a:1/signaling", NULL);
  sky_client_on_socket_open(c);
  feed_welcome(c);
  feed_token(c, "tok-1");
  const char *order[] = {"socket_open ws://b:2/signaling", "socket_open ws://c:3/signaling",
                         "socket_open ws://a:1/signaling", "socket_open ws://b:2/signaling"};
  for (int i = 0; i < 4; i++) {
    clear_lines(f);
    sky_client_on_socket_close(c, 1006, ""); /* lost, or this attempt failed */
    ms_until(f, "socket_open");
    EXPECT(f, order[i], NULL);
  }
  sky_client_on_socket_open(c);
  feed_welcome_as(c, SELF, true);
  EXPECT(f, "emit signalingState", "resumed");
  assert_string_equal(sky_client_peer_id(c), SELF);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_clock, teardown)
    T(test_outage_keeps_room_and_channels),
    T(test_resume_sends_user_data),
    T(test_reconcile_after_resume),
    T(test_restart_without_resume_rejoins),
    T(test_backoff_grows_jittered_and_capped),
    T(test_silent_socket_is_dropped),
    T(test_pong_keeps_socket),
    T(test_fatal_refusal_stops_retrying),
    T(test_server_full_is_retried),
    T(test_join_during_outage_waits),
    T(test_leave_during_outage),
    T(test_room_full_on_resume),
    T(test_close_stops_reconnecting),
    T(test_moving_clock_keeps_new_socket),
    T(test_server_list_rotates),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
