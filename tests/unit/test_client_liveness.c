/* Peer liveness (src/core/liveness.c) with fake time: heartbeats, silence,
 * the server's word, ICE restarts by role and by hand, and messages that
 * cannot be delivered. */
#include "client_fake.h"

static void hb_from(sky_client *c, const char *id) {
  sky_client_on_channel_message(c, sky_client_peer_handle(c, id), "{\"t\":\"hb\"}", 10, true);
}

/* In room1 with id connected, lines cleared. */
static int connected(fake *f, const char *id) {
  in_room(f, 0, NULL);
  int pc = connect_answering(f, id);
  clear_lines(f);
  return pc;
}

static void test_heartbeat_sent_when_idle(void **state) {
  fake *f = *state;
  int pc = connected(f, PEER_B);
  advance(f, SKY_HEARTBEAT_MS + SKY_LIVENESS_TICK_MS);
  char want[64];
  snprintf(want, sizeof want, "dc_send %d {\"t\":\"hb\"", pc);
  EXPECT(f, want, NULL);
  /* a heartbeat is not a message */
  clear_lines(f);
  hb_from(f->client, PEER_B);
  assert_int_equal(count(f, "emit incomingMessage", NULL), 0);
}

static void test_silent_peer_dropped_within_bound(void **state) {
  fake *f = *state;
  connected(f, PEER_B);
  /* a blip under 3 s: nothing */
  advance(f, 2900);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  hb_from(f->client, PEER_B);
  /* then silence: gone after SKY_PEER_SILENCE_MS, within one tick */
  uint64_t t = 0;
  while (count(f, "emit peerLeft", PEER_B) == 0 && t < 10000) {
    advance(f, 10);
    t += 10;
  }
  assert_true(t >= SKY_PEER_SILENCE_MS && t <= SKY_PEER_SILENCE_MS + SKY_LIVENESS_TICK_MS);
  EXPECT(f, "pc_close", NULL);
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 1);
}

static void test_server_word_with_live_channel(void **state) {
  fake *f = *state;
  connected(f, PEER_B);
  feed_peer(f->client, SKY_MSG_PEER_JOINED, PEER_C, NULL);
  /* B's socket went away, but B still talks on the channel: kept */
  feed_peer_left_reason(f->client, PEER_B, SKY_LEAVE_DISCONNECTED);
  for (int i = 0; i < 6; i++) {
    advance(f, 500);
    hb_from(f->client, PEER_B);
  }
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 0);
  /* C had no open channel: its disconnect is final at once */
  feed_peer_left_reason(f->client, PEER_C, SKY_LEAVE_TIMEOUT);
  assert_int_equal(count(f, "emit peerLeft", PEER_C), 1);
  /* B's socket goes again and B falls silent: gone after the grace */
  feed_peer_left_reason(f->client, PEER_B, SKY_LEAVE_DISCONNECTED);
  advance(f, SKY_SERVER_GONE_GRACE_MS + SKY_LIVENESS_TICK_MS);
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 1);
}

static void test_explicit_leave_is_immediate(void **state) {
  fake *f = *state;
  connected(f, PEER_B);
  feed_peer_left_reason(f->client, PEER_B, SKY_LEAVE_LEFT);
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 1);
}

/* SELF is impolite towards PEER_0 (the smaller id): it restarts first. */
static void test_ice_restart_impolite_first(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_0);
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "disconnected");
  advance(f, SKY_ICE_GRACE_MS - SKY_LIVENESS_TICK_MS);
  hb_from(c, PEER_0);
  assert_int_equal(count(f, "restart_ice", NULL), 0); /* a moment is tolerated */
  advance(f, 2 * SKY_LIVENESS_TICK_MS);
  char want[32];
  snprintf(want, sizeof want, "restart_ice %d", pc);
  EXPECT(f, want, NULL);
  EXPECT(f, "emit peerRestart", "true,true]");
  /* the restart offer goes out on the same connection, the channel stays */
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 restart", 11);
  EXPECT(f, "send ", "v=0 restart");
  sky_msg a = {0};
  a.type = SKY_MSG_ANSWER;
  strcpy(a.u.sdp.from, PEER_0);
  a.u.sdp.sdp = (char *)"v=0 answer2";
  feed(c, &a);
  EXPECT(f, "set_remote", "answer v=0 answer2");
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "connected");
  assert_int_equal(count(f, "pc_close", NULL), 0);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  assert_int_equal(sky_client_peer_handle(c, PEER_0), pc);
}

static void test_polite_side_waits_longer(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_B); /* SELF is polite towards B */
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "disconnected");
  for (int i = 0; i < 5; i++) {
    advance(f, 500);
    hb_from(c, PEER_B);
  }
  assert_int_equal(count(f, "restart_ice", NULL), 0); /* B's turn first */
  for (int i = 0; i < 2; i++) {
    advance(f, 500);
    hb_from(c, PEER_B);
  }
  EXPECT(f, "restart_ice", NULL);
}

static void test_remote_restart_keeps_channel(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_B);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 restart offer");
  assert_int_equal(count(f, "pc_close", NULL), 0);
  char want[64];
  snprintf(want, sizeof want, "set_remote %d offer v=0 restart offer", pc);
  EXPECT(f, want, NULL);
  EXPECT(f, "create_answer", NULL);
  EXPECT(f, "emit peerRestart", "false,true]");
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_CONNECTED);
}

/* A new connection's offer may overtake its old channel's close: the DTLS
 * fingerprint tells it from an ICE restart. */
static void test_new_fingerprint_means_new_connection(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0\r\na=fingerprint:sha-256 AA:BB\r\n");
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 a", 5);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  clear_lines(f);
  /* same certificate: an ICE restart on this connection */
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0\r\na=ice-ufrag:new\r\na=fingerprint:sha-256 AA:BB\r\n");
  assert_int_equal(sky_client_peer_handle(c, PEER_B), pc);
  EXPECT(f, "emit peerRestart", "false,true]");
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 a2", 6);
  clear_lines(f);
  /* another certificate: a new connection, the old one goes */
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0\r\na=fingerprint:sha-256 CC:DD\r\n");
  assert_true(sky_client_peer_handle(c, PEER_B) != pc);
  char want[32];
  snprintf(want, sizeof want, "pc_close %d", pc);
  EXPECT(f, want, NULL);
  EXPECT(f, "create_answer", NULL);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  /* the app hears the old channel close, once, and the new one open later */
  assert_int_equal(count(f, "emit dataChannelState", "\"closed\""), 1);
  int fresh = sky_client_peer_handle(c, PEER_B);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed"); /* the old one, late */
  assert_int_equal(count(f, "emit dataChannelState", "\"closed\""), 1);
  sky_client_on_pc_state(c, fresh, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "emit dataChannelState", "\"open\""), 1);
}

static void test_restarts_bounded(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_0);
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "failed");
  /* it keeps talking (as a relayed path might) but ICE never recovers */
  for (int i = 0; i < 80 && count(f, "emit peerLeft", NULL) == 0; i++) {
    advance(f, 250);
    hb_from(c, PEER_0);
    if (count(f, "restart_ice", NULL) > count(f, "send ", "restart")) {
      sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 restart", 11);
      sky_msg a = {0};
      a.type = SKY_MSG_ANSWER;
      strcpy(a.u.sdp.from, PEER_0);
      a.u.sdp.sdp = (char *)"v=0 a";
      feed(c, &a);
    }
  }
  assert_int_equal(count(f, "restart_ice", NULL), SKY_ICE_RESTARTS_MAX);
  assert_int_equal(count(f, "emit peerLeft", PEER_0), 1);
}

static void test_restart_waits_for_signaling(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_0);
  feed_token(c, "tok");
  sky_client_on_socket_close(c, 1006, "");
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "failed");
  for (int i = 0; i < 4; i++) {
    advance(f, 100);
    hb_from(c, PEER_0);
  }
  assert_int_equal(count(f, "restart_ice", NULL), 0);
  sky_client_on_socket_open(c);
  sky_msg w = {0};
  w.type = SKY_MSG_WELCOME;
  w.u.welcome.version = 1;
  strcpy(w.u.welcome.peer_id, SELF);
  sky_limits_default(&w.u.welcome.limits);
  w.u.welcome.resumed = true;
  feed(c, &w);
  sky_msg j = {0};
  j.type = SKY_MSG_JOINED;
  strcpy(j.ref, "resume");
  strcpy(j.u.joined.room, "room1");
  strcpy(j.u.joined.peer_id, SELF);
  feed(c, &j);
  EXPECT(f, "restart_ice", NULL);
}

static void test_no_ice_restart_support_uses_fresh_connection(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  f->no_ice_restart = true;
  int pc = connected(f, PEER_0);
  /* sent on the old channel, never acknowledged */
  assert_int_equal(sky_client_send_p2p(c, "\"in flight\"", NULL), SKY_OK);
  char want[48];
  snprintf(want, sizeof want, "dc_send %d", pc);
  EXPECT(f, want, "in flight");
  assert_int_equal(sky_client_refresh(c, "[\"" PEER_0 "\"]", true), SKY_OK);
  snprintf(want, sizeof want, "pc_close %d", pc);
  EXPECT(f, want, NULL);
  EXPECT(f, "create_offer", NULL);
  assert_int_equal(sky_client_send_p2p(c, "\"late\"", NULL), SKY_OK);
  int pc2 = sky_client_peer_handle(c, PEER_0);
  assert_true(pc2 != pc);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  clear_lines(f);
  sky_client_on_pc_state(c, pc2, SKY_PCS_CHANNEL, "open");
  /* the unacknowledged message goes again, first, then the new one */
  snprintf(want, sizeof want, "dc_send %d", pc2);
  int first = find(f, want, "in flight"), late = find(f, want, "late");
  assert_true(first >= 0 && late > first);
}

/* Acknowledged frames are forgotten; a duplicate is delivered once. */
static void test_acks_and_duplicates(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_B);
  assert_int_equal(sky_client_send_p2p(c, "\"one\"", NULL), SKY_OK);
  assert_int_equal(sky_client_send_p2p(c, "\"two\"", NULL), SKY_OK);
  EXPECT(f, "dc_send", "\"s\":2");
  /* B acknowledges the first: only the second goes again on a fresh connection */
  sky_client_on_channel_message(c, pc, "{\"t\":\"ack\",\"a\":1}", 17, true);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed"); /* B starts over */
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 fresh");
  int pc2 = sky_client_peer_handle(c, PEER_B);
  clear_lines(f);
  sky_client_on_pc_state(c, pc2, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "dc_send", "\"one\""), 0);
  assert_int_equal(count(f, "dc_send", "\"two\""), 1);
  /* receiving: the same message twice (sent again by B) is delivered once, and acknowledged */
  const char *chat = "{\"t\":\"chat\",\"content\":\"hi\",\"private\":false,\"s\":1}";
  sky_client_on_channel_message(c, pc2, chat, strlen(chat), true);
  sky_client_on_channel_message(c, pc2, chat, strlen(chat), true);
  assert_int_equal(count(f, "emit incomingMessage", "\"hi\""), 1);
  advance(f, SKY_LIVENESS_TICK_MS);
  char want[48];
  snprintf(want, sizeof want, "dc_send %d {\"t\":\"ack\",\"a\":1}", pc2);
  EXPECT(f, want, NULL);
}

static void test_fresh_offer_after_channel_loss_keeps_peer(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  int pc = connected(f, PEER_B);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed");
  advance(f, 500);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 fresh");
  int pc2 = sky_client_peer_handle(c, PEER_B);
  assert_true(pc2 != pc);
  sky_client_on_remote_description_set(c, pc2, true);
  sky_client_on_local_description(c, pc2, SKY_SDP_ANSWER, "v=0 a", 5);
  sky_client_on_pc_state(c, pc2, SKY_PCS_CHANNEL, "open");
  advance(f, 2 * SKY_CHANNEL_LOST_GRACE_MS);
  hb_from(c, PEER_B);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
}

static void test_refresh_arguments(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_refresh(c, NULL, true), SKY_E_STATE);
  connected(f, PEER_B);
  assert_int_equal(sky_client_refresh(c, "[\"" PEER_C "\"]", true), SKY_E_UNKNOWN_PEER);
  assert_int_equal(sky_client_refresh(c, "[]", true), SKY_E_ARG);
  assert_int_equal(sky_client_refresh(c, "[1]", true), SKY_E_ARG);
  assert_int_equal(sky_client_refresh(c, "not json", true), SKY_E_ARG);
  assert_int_equal(sky_client_refresh(c, NULL, true), SKY_OK);
  EXPECT(f, "restart_ice", NULL);
  EXPECT(f, "emit peerRestart", "true,true]");
}

static void test_undelivered_is_reported(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL); /* no channel yet */
  assert_int_equal(sky_client_send_p2p(c, "\"one\"", NULL), SKY_OK);
  assert_int_equal(sky_client_send_p2p(c, "\"two\"", NULL), SKY_OK);
  feed_peer_left_reason(c, PEER_B, SKY_LEAVE_LEFT);
  EXPECT(f, "emit systemAction", "\"undelivered\"");
  EXPECT(f, "emit systemAction", "\"frames\":2");
}

/* Time passes with the server answering (a pong every second). */
static void advance_alive(fake *f, uint64_t ms) {
  while (ms) {
    uint64_t step = ms < 1000 ? ms : 1000;
    advance(f, step);
    ms -= step;
    sky_msg pong = {0};
    pong.type = SKY_MSG_PONG;
    feed(f->client, &pong);
  }
}

/* SELF is impolite towards PEER_0: it offers again to a lost peer. */
static void test_lost_peer_is_connected_again(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  connected(f, PEER_0);
  advance_alive(f, SKY_PEER_SILENCE_MS + SKY_LIVENESS_TICK_MS);
  assert_int_equal(count(f, "emit peerLeft", PEER_0), 1);
  /* gone for the API */
  assert_int_equal(sky_client_peer_count(c), 0);
  assert_int_equal(sky_client_send_p2p(c, "\"x\"", "[\"" PEER_0 "\"]"), SKY_E_UNKNOWN_PEER);
  char *peers = sky_client_peers(c);
  assert_null(strstr(peers, PEER_0));
  free(peers);
  /* but offered to again, with a ref that names it */
  clear_lines(f);
  advance_alive(f, SKY_REJOIN_RETRY_MS);
  EXPECT(f, "create_offer", NULL);
  int pc = sky_client_peer_handle(c, PEER_0);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 again", 9);
  EXPECT(f, "send ", "\"ref\":\"rj" PEER_0 "\"");
  /* nothing is reported while the attempt fails... */
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "failed");
  assert_int_equal(count(f, "emit peerJoined", NULL), 0);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  /* ... and the next one works: back, reported joined once */
  advance_alive(f, SKY_REJOIN_RETRY_MS);
  pc = sky_client_peer_handle(c, PEER_0);
  assert_true(pc > 0);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "emit peerJoined", PEER_0), 1);
  assert_int_equal(sky_client_peer_count(c), 1);
  assert_int_equal(sky_client_send_p2p(c, "\"hi again\"", "[\"" PEER_0 "\"]"), SKY_OK);
}

/* SELF is polite towards B: it waits for B's offer, and answers it. */
static void test_lost_peer_polite_side_answers(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  connected(f, PEER_B);
  advance_alive(f, SKY_PEER_SILENCE_MS + SKY_LIVENESS_TICK_MS);
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 1);
  clear_lines(f);
  advance_alive(f, 2 * SKY_REJOIN_RETRY_MS);
  assert_int_equal(count(f, "create_offer", NULL), 0);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 from b");
  EXPECT(f, "create_answer", NULL);
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "emit peerJoined", PEER_B), 1);
}

static void test_lost_peer_that_left_is_forgotten_quietly(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  connected(f, PEER_0);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_C, NULL);
  advance_alive(f, SKY_PEER_SILENCE_MS + SKY_LIVENESS_TICK_MS);
  assert_int_equal(count(f, "emit peerLeft", PEER_0), 1);
  /* the server says it left: no second peerLeft */
  feed_peer_left_reason(c, PEER_0, SKY_LEAVE_DISCONNECTED);
  assert_int_equal(count(f, "emit peerLeft", PEER_0), 1);
  assert_int_equal(sky_client_peer_handle(c, PEER_0), 0);
  /* a rejoin offer the server cannot deliver: forgotten, no warning */
  connect_answering(f, PEER_0);
  advance_alive(f, SKY_PEER_SILENCE_MS + SKY_LIVENESS_TICK_MS);
  advance_alive(f, SKY_REJOIN_RETRY_MS);
  clear_lines(f);
  sky_msg e = {0};
  e.type = SKY_MSG_ERROR;
  strcpy(e.ref, "rj" PEER_0);
  e.u.error.code = SKY_ERR_UNKNOWN_PEER;
  strcpy(e.u.error.text, "no peer");
  feed(c, &e);
  assert_int_equal(count(f, "emit", NULL), 0);
  assert_int_equal(sky_client_peer_handle(c, PEER_0), 0);
  /* and a lost peer that never returns is dropped when the window ends */
  advance_alive(f, SKY_REJOIN_WINDOW_MS + SKY_LIVENESS_TICK_MS);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_clock, teardown)
    T(test_heartbeat_sent_when_idle),
    T(test_silent_peer_dropped_within_bound),
    T(test_server_word_with_live_channel),
    T(test_explicit_leave_is_immediate),
    T(test_ice_restart_impolite_first),
    T(test_polite_side_waits_longer),
    T(test_remote_restart_keeps_channel),
    T(test_restarts_bounded),
    T(test_new_fingerprint_means_new_connection),
    T(test_restart_waits_for_signaling),
    T(test_no_ice_restart_support_uses_fresh_connection),
    T(test_acks_and_duplicates),
    T(test_fresh_offer_after_channel_loss_keeps_peer),
    T(test_refresh_arguments),
    T(test_undelivered_is_reported),
    T(test_lost_peer_is_connected_again),
    T(test_lost_peer_polite_side_answers),
    T(test_lost_peer_that_left_is_forgotten_quietly),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
