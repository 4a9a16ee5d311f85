/* The client core (room + peer state machines) driven natively with a fake
 * ops table that records every action as a line of text. */
#include "client_fake.h"

/* ---- room state machine --------------------------------------------------- */

static void test_hello_queued_until_open(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://h:1/signaling", "app", NULL), SKY_OK);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_CONNECTING);
  assert_int_equal(count(f, "send ", NULL), 0); /* not open: nothing sent */
  /* join before welcome is remembered, not sent */
  assert_int_equal(sky_client_join(c, "lobby"), SKY_OK);
  assert_int_equal(count(f, "send ", NULL), 0);
  sky_client_on_socket_open(c);
  int hello = find(f, "send ", "\"hello\"");
  assert_true(hello >= 0);
  assert_int_equal(count(f, "send ", NULL), 1); /* join waits for welcome */
  feed_welcome(c);
  EXPECT(f, "emit readyStateChange", "[2,null]");
  int join = find(f, "send ", "\"join\"");
  assert_true(join > hello);
  EXPECT(f, "send ", "lobby");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_JOINING);
  assert_string_equal(sky_client_peer_id(c), SELF);
}

static void test_init_twice_and_bad_args(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_join(c, "room"), SKY_E_STATE); /* before init */
  assert_int_equal(sky_client_send_p2p(c, "1", NULL), SKY_E_STATE);
  assert_int_equal(sky_client_init(c, "", "app", NULL), SKY_E_ARG);
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", "{not json"), SKY_E_ARG);
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_OK);
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_E_STATE);
  assert_int_equal(sky_client_join(c, "bad/room"), SKY_E_ARG);
  assert_int_equal(sky_client_set_user_data(c, "{oops"), SKY_E_ARG);
  assert_string_equal(sky_client_user_data(c), "{}"); /* unchanged */
}

static void test_socket_open_failure(void **state) {
  fake *f = *state;
  f->fail_socket_open = true;
  assert_int_equal(sky_client_init(f->client, "ws://h/signaling", "app", NULL), SKY_E_ARG);
  EXPECT(f, "emit readyStateChange", "[-1,");
  assert_int_equal(sky_client_room_state(f->client), SKY_ROOM_ERROR);
}

static void test_joined_announces_self_then_offers(void **state) {
  fake *f = *state;
  sky_client *c = authed(f);
  sky_client_join(c, "room1");
  const char *ids[] = {PEER_B, PEER_C};
  feed_joined(c, "room1", 2, ids);
  int self = find(f, "emit peerJoined", "[\"" SELF "\"");
  int done = find(f, "emit _join", "\"room\":\"room1\"");
  int b = find(f, "emit peerJoined", "[\"" PEER_B "\"");
  assert_true(self >= 0 && done > self && b > done);
  EXPECT(f, "emit peerJoined", "\"userData\":{\"name\":\"someone\"}");
  EXPECT(f, "emit peerJoined", "true]");
  /* the newcomer offers to each, the second once the first offer is made */
  assert_int_equal(count(f, "pc_create", "iceServers"), 1);
  assert_int_equal(count(f, "create_offer", NULL), 1);
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_OFFERING);
  assert_int_equal(sky_client_peer_state(c, PEER_C), SKY_PEER_NEW);
  assert_int_equal(sky_client_peer_count(c), 2);
  sky_client_on_local_description(c, sky_client_peer_handle(c, PEER_B), SKY_SDP_OFFER, "v=0 b", 5);
  EXPECT(f, "send ", "\"offer\"");
  assert_int_equal(count(f, "pc_create", "iceServers"), 2);
  assert_int_equal(count(f, "create_offer", NULL), 2);
  assert_int_equal(sky_client_peer_state(c, PEER_C), SKY_PEER_OFFERING);
}

/* The newcomer's queued offers: a queued peer that offers first is answered
 * (no offer of ours, so no glare); an offer whose connection goes (the peer
 * left while it was made) does not hold the others back. */
static void test_newcomer_offer_queue(void **state) {
  fake *f = *state;
  sky_client *c = authed(f);
  sky_client_join(c, "room1");
  const char *ids[] = {PEER_B, PEER_C, PEER_D};
  feed_joined(c, "room1", 3, ids);
  int pc_b = sky_client_peer_handle(c, PEER_B);
  assert_true(pc_b > 0);
  assert_int_equal(sky_client_peer_handle(c, PEER_C), 0); /* no connection yet */
  assert_int_equal(sky_client_peer_handle(c, PEER_D), 0);
  /* D offers before we got to it: answered, never offered to */
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_D, "v=0 offer from d");
  int pc_d = sky_client_peer_handle(c, PEER_D);
  assert_true(pc_d > 0);
  EXPECT(f, "set_remote", "offer");
  EXPECT(f, "create_answer", NULL);
  assert_int_equal(count(f, "create_offer", NULL), 0);
  assert_int_equal(sky_client_peer_state(c, PEER_D), SKY_PEER_ANSWERING);
  /* B leaves while its offer is being made: the tick starts C's */
  feed_peer_left(c, PEER_B);
  assert_int_equal(sky_client_peer_handle(c, PEER_C), 0);
  advance(f, 300);
  int pc_c = sky_client_peer_handle(c, PEER_C);
  assert_true(pc_c > 0);
  assert_int_equal(sky_client_peer_state(c, PEER_C), SKY_PEER_OFFERING);
  /* B's late description is ignored; C's offer goes out; D is never offered to */
  clear_lines(f);
  sky_client_on_local_description(c, pc_b, SKY_SDP_OFFER, "v=0 b", 5);
  assert_int_equal(count(f, "send ", NULL), 0);
  sky_client_on_local_description(c, pc_c, SKY_SDP_OFFER, "v=0 c", 5);
  EXPECT(f, "send ", PEER_C);
  sky_client_on_local_description(c, pc_d, SKY_SDP_ANSWER, "v=0 d", 5);
  EXPECT(f, "send ", "\"answer\"");
  assert_int_equal(count(f, "create_offer", NULL), 0);
}

/* An offer the stack never makes holds the newcomer's next one for
 * SKY_OFFER_HOLD_MS, not until that connection's own retry. */
static void test_newcomer_offer_queue_not_held_by_a_lost_offer(void **state) {
  fake *f = *state;
  sky_client *c = authed(f);
  sky_client_join(c, "room1");
  const char *ids[] = {PEER_B, PEER_C};
  feed_joined(c, "room1", 2, ids);
  assert_int_equal(count(f, "create_offer", NULL), 1);
  advance(f, SKY_OFFER_HOLD_MS / 2);
  assert_int_equal(count(f, "create_offer", NULL), 1);
  assert_int_equal(sky_client_peer_handle(c, PEER_C), 0);
  advance(f, SKY_OFFER_HOLD_MS);
  assert_int_equal(count(f, "create_offer", NULL), 2);
  assert_true(sky_client_peer_handle(c, PEER_C) > 0);
  /* B's offer, late, still goes out */
  clear_lines(f);
  sky_client_on_local_description(c, sky_client_peer_handle(c, PEER_B), SKY_SDP_OFFER, "v=0 b", 5);
  EXPECT(f, "send ", PEER_B);
}

/* peerConnectionState follows the descriptions the core applied, in the
 * order a browser reports them; the stack's own report is not read. */
static void test_peer_connection_state_from_the_core(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B};
  sky_client *c = in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_pc_state(c, pc, SKY_PCS_SIGNALING, "have-local-offer");
  assert_int_equal(count(f, "emit peerConnectionState", NULL), 0);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 b", 5);
  int offered = find(f, "emit peerConnectionState", "[\"have-local-offer\",\"" PEER_B "\"]");
  assert_true(offered >= 0);
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, "v=0 answer");
  sky_client_on_remote_description_set(c, pc, true);
  EXPECT(f, "emit peerConnectionState", "[\"stable\",\"" PEER_B "\"]");
  assert_int_equal(count(f, "emit peerConnectionState", NULL), 2);
  /* the answering side */
  clear_lines(f);
  connect_answering(f, PEER_C);
  int remote = find(f, "emit peerConnectionState", "[\"have-remote-offer\",\"" PEER_C "\"]");
  int stable = find(f, "emit peerConnectionState", "[\"stable\",\"" PEER_C "\"]");
  assert_true(remote >= 0 && stable > remote);
  assert_int_equal(count(f, "emit peerConnectionState", NULL), 2);
}

static void test_user_data_defaults_and_updates(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  EXPECT(f, "emit peerJoined", "\"userData\":{}");
  char *info = sky_client_peer_info(c, PEER_B);
  assert_non_null(strstr(info, "\"userData\":{}"));
  free(info);
  feed_peer(c, SKY_MSG_PEER_UPDATED, PEER_B, "{\"name\":\"Bob\"}");
  EXPECT(f, "emit peerUpdated", "\"name\":\"Bob\"");
  clear_lines(f);
  assert_int_equal(sky_client_set_user_data(c, "{ \"name\" : \"Al\" }"), SKY_OK);
  EXPECT(f, "send ", "\"update\"");
  EXPECT(f, "emit peerUpdated", "[\"" SELF "\"");
  assert_string_equal(sky_client_user_data(c), "{\"name\":\"Al\"}");
}

static void test_user_data_before_join_goes_with_join(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_set_user_data(c, "{\"name\":\"early\"}"), SKY_OK);
  sky_client_init(c, "ws://h/signaling", "app", NULL);
  sky_client_on_socket_open(c);
  feed_welcome(c);
  sky_client_join(c, "room1");
  EXPECT(f, "send ", "\"early\"");
  int join = find(f, "send ", "\"join\"");
  assert_non_null(strstr(f->lines[join], "early"));
}

static void test_join_while_in_room_leaves_first(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B};
  sky_client *c = in_room(f, 1, ids);
  assert_int_equal(sky_client_join(c, "room2"), SKY_OK);
  int leave = find(f, "send ", "\"leave\"");
  assert_true(leave >= 0);
  assert_int_equal(find(f, "send ", "\"join\""), -1); /* not before "left" */
  EXPECT(f, "emit peerLeft", PEER_B);
  EXPECT(f, "pc_close", NULL);
  feed_simple(c, SKY_MSG_LEFT);
  EXPECT(f, "emit peerLeft", "[\"" SELF "\"");
  int join = find(f, "send ", "room2");
  assert_true(join > leave);
  feed_joined(c, "room2", 0, NULL);
  assert_string_equal(sky_client_room(c), "room2");
}

static void test_leave_and_join_error(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  assert_int_equal(sky_client_leave(c), SKY_OK);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_LEAVING);
  feed_simple(c, SKY_MSG_LEFT);
  EXPECT(f, "emit _leave", "\"previousRoom\":\"room1\"");
  assert_int_equal(sky_client_leave(c), SKY_E_STATE);
  /* a locked room rejects the join */
  sky_client_join(c, "room9");
  sky_msg m = {0};
  m.type = SKY_MSG_ERROR;
  m.u.error.code = SKY_ERR_ROOM_LOCKED;
  strcpy(m.u.error.text, "room is locked");
  int join = find(f, "send ", "\"join\"");
  const char *ref = strstr(f->lines[join], "\"ref\":\"");
  assert_non_null(ref);
  sscanf(ref + 7, "%64[^\"]", m.ref);
  feed(c, &m);
  EXPECT(f, "emit systemAction", "[\"reject\"");
  EXPECT(f, "emit _join", "room_locked");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_AUTHENTICATED);
}

static void test_socket_close_before_welcome_is_an_error(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://127.0.0.1:1/signaling", "app", NULL), SKY_OK);
  sky_client_on_socket_open(c);
  sky_client_on_socket_close(c, 1006, "");
  EXPECT(f, "emit readyStateChange", "[-1,{\"code\":\"connection_lost\"");
  EXPECT(f, "emit channelClose", NULL);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_ERROR);
  /* nothing is retried: the app calls init() again */
  f->now += 60000;
  sky_client_on_timer(c);
  assert_int_equal(count(f, "socket_open", NULL), 1);
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_OK);
}

static void test_server_message_and_lock(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, "{\"name\":\"B\"}");
  assert_int_equal(sky_client_send_server(c, "{\"x\":1}", PEER_B), SKY_OK);
  EXPECT(f, "send ", "\"message\"");
  EXPECT(f, "emit incomingMessage", "\"isPrivate\":true,\"isDataChannel\":false,\"isBinary\":false},\"" SELF "\"");
  assert_int_equal(sky_client_send_server(c, "1", PEER_C), SKY_E_UNKNOWN_PEER);
  sky_msg m = {0};
  m.type = SKY_MSG_MESSAGE;
  strcpy(m.u.message.from, PEER_B);
  m.u.message.content = (char *)"\"hi all\"";
  feed(c, &m);
  EXPECT(f, "emit incomingMessage", "{\"content\":\"hi all\",\"senderPeerId\":\"" PEER_B "\",\"targetPeerId\":null,\"isPrivate\":false");
  assert_int_equal(sky_client_lock(c, true), SKY_OK);
  EXPECT(f, "send ", "\"lock\"");
  m = (sky_msg){0};
  m.type = SKY_MSG_ROOM_LOCK;
  m.u.room_lock.locked = true;
  strcpy(m.u.room_lock.peer_id, SELF);
  feed(c, &m);
  EXPECT(f, "emit roomLock", "[true,\"" SELF "\"");
}

/* ---- peers: negotiation ----------------------------------------------------- */

static void test_offerer_path_and_candidate_queue(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B};
  sky_client *c = in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 mine", 8);
  EXPECT(f, "send ", "\"offer\"");
  EXPECT(f, "send ", "v=0 mine");
  /* our ICE candidates go out through the server */
  sky_client_on_ice_candidate(c, pc, "candidate:1 1 udp 1 127.0.0.1 9 typ host", 40, "0", 0);
  EXPECT(f, "send ", "\"candidate\"");
  /* their candidate before their answer is held */
  clear_lines(f);
  feed_candidate(c, PEER_B, "candidate:early 1 udp 1 10.0.0.2 9 typ host");
  assert_int_equal(count(f, "add_candidate", NULL), 0);
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, "v=0 theirs");
  EXPECT(f, "set_remote", "answer v=0 theirs");
  assert_int_equal(count(f, "add_candidate", NULL), 0); /* not until applied */
  sky_client_on_remote_description_set(c, pc, true);
  EXPECT(f, "add_candidate", "candidate:early 1 udp 1 10.0.0.2 9 typ host 0 0");
  feed_candidate(c, PEER_B, "candidate:late 1 udp 1 10.0.0.3 9 typ srflx");
  EXPECT(f, "add_candidate", "candidate:late 1 udp 1 10.0.0.3 9 typ srflx");
  /* a second (stale) answer is ignored */
  clear_lines(f);
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, "v=0 stale");
  assert_int_equal(count(f, "set_remote", NULL), 0);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  EXPECT(f, "emit dataChannelState", "[\"open\",\"" PEER_B "\"]");
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_CONNECTED);
}

static void test_answerer_path(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  assert_int_equal(count(f, "pc_create", NULL), 0); /* waits for its offer */
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_NEW);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 offer");
  int set = find(f, "set_remote", "offer v=0 offer");
  int ans = find(f, "create_answer", NULL);
  assert_true(set >= 0 && ans > set);
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_ANSWERING);
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  EXPECT(f, "send ", "\"answer\"");
}

static void test_glare_impolite_ignores(void **state) {
  fake *f = *state;
  /* SELF > PEER_0: we are impolite towards PEER_0 */
  const char *ids[] = {PEER_0};
  sky_client *c = in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, PEER_0);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 mine", 8);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_0, "v=0 theirs");
  assert_int_equal(count(f, "set_remote", NULL), 0);
  feed_candidate(c, PEER_0, "candidate:of-ignored-offer 1 udp 1 10.0.0.4 9 typ host");
  assert_int_equal(count(f, "add_candidate", NULL), 0);
  /* our offer stands: their answer is applied */
  feed_sdp(c, SKY_MSG_ANSWER, PEER_0, "v=0 answer");
  EXPECT(f, "set_remote", "answer");
}

static void test_glare_polite_rolls_back(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B}; /* SELF < PEER_B: polite */
  sky_client *c = in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, PEER_B);
  /* their offer arrives while ours is still being made */
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 theirs");
  EXPECT(f, "set_remote", "offer v=0 theirs");
  EXPECT(f, "create_answer", NULL);
  /* our abandoned offer comes back from the stack: never sent */
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 mine", 8);
  assert_int_equal(count(f, "send ", "\"offer\""), 0);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 ans", 7);
  EXPECT(f, "send ", "\"answer\"");
}

static void test_peer_left_once(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  int pc = connect_answering(f, PEER_B);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed");
  feed_peer_left(c, PEER_B);
  sky_client_on_pc_state(c, pc, SKY_PCS_CONNECTION, "failed");
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 1);
  /* the other way round */
  pc = connect_answering(f, PEER_C);
  feed_peer_left(c, PEER_C);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed");
  assert_int_equal(count(f, "emit peerLeft", PEER_C), 1);
  /* a channel closed with no fresh offer after it: gone once the grace ends */
  pc = connect_answering(f, PEER_0);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed");
  assert_int_equal(count(f, "emit peerLeft", PEER_0), 0);
  f->now += SKY_CHANNEL_LOST_GRACE_MS;
  sky_client_on_timer(c);
  assert_int_equal(count(f, "emit peerLeft", PEER_0), 1);
  assert_int_equal(sky_client_peer_count(c), 0);
}

static void test_failed_handshake_restarts(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B};
  sky_client *c = in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 mine", 8);
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, "v=0 answer");
  clear_lines(f);
  /* the stack refuses the answer: a fresh connection, a fresh offer, no peerLeft */
  sky_client_on_remote_description_set(c, pc, false);
  EXPECT(f, "emit handshakeProgress", "[\"error\"");
  char closed[32];
  snprintf(closed, sizeof closed, "pc_close %d", pc);
  EXPECT(f, closed, NULL);
  int pc2 = sky_client_peer_handle(c, PEER_B);
  assert_true(pc2 > pc);
  EXPECT(f, "create_offer", NULL);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  /* callbacks of the old connection are ignored */
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "failed");
  assert_int_equal(sky_client_peer_count(c), 1);
  assert_int_equal(sky_client_peer_handle(c, PEER_B), pc2);
  /* the new one failing before its channel opens: the offerer restarts */
  sky_client_on_pc_state(c, pc2, SKY_PCS_CONNECTION, "failed");
  assert_true(sky_client_peer_handle(c, PEER_B) > pc2);
  /* bounded */
  for (int i = 1; i < SKY_PEER_RESTARTS_MAX; i++) {
    int h = sky_client_peer_handle(c, PEER_B);
    sky_client_on_local_description(c, h, SKY_SDP_OFFER, "v=0", 3);
    feed_sdp(c, SKY_MSG_ANSWER, PEER_B, "v=0 answer");
    sky_client_on_remote_description_set(c, h, false);
  }
  assert_int_equal(count(f, "emit peerLeft", PEER_B), 1);
  assert_int_equal(sky_client_peer_count(c), 0);
}

static void test_answerer_follows_a_restart(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 first");
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  /* its channel never opened and now closes, the connection fails: not a leave */
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "closed");
  sky_client_on_pc_state(c, pc, SKY_PCS_CONNECTION, "closed");
  assert_int_equal(sky_client_peer_count(c), 1);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, "v=0 second");
  int pc2 = sky_client_peer_handle(c, PEER_B);
  assert_true(pc2 > pc);
  EXPECT(f, "pc_close", NULL);
  EXPECT(f, "set_remote", "offer v=0 second");
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
}

/* ---- peers: messages ---------------------------------------------------------- */

static void test_p2p_queued_until_open_and_echoed(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B};
  sky_client *c = in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, PEER_B);
  assert_int_equal(sky_client_send_p2p(c, "\"first\"", NULL), SKY_OK);
  assert_int_equal(sky_client_send_p2p(c, "{\"n\":2}", NULL), SKY_OK);
  assert_int_equal(count(f, "dc_send", NULL), 0);
  EXPECT(f, "emit incomingMessage", "\"content\":\"first\",\"senderPeerId\":\"" SELF "\",\"targetPeerId\":null,\"isPrivate\":false,\"isDataChannel\":true,\"isBinary\":false},\"" SELF "\"");
  EXPECT(f, "emit incomingMessage", "true]");
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  int a = find(f, "dc_send", "first"), b = find(f, "dc_send", "\"n\":2");
  assert_true(a >= 0 && b > a);
  /* targeted = private */
  assert_int_equal(sky_client_send_p2p(c, "\"psst\"", "[\"" PEER_B "\"]"), SKY_OK);
  EXPECT(f, "dc_send", "\"private\":true");
  EXPECT(f, "emit incomingMessage", "\"targetPeerId\":\"" PEER_B "\",\"isPrivate\":true");
  assert_int_equal(sky_client_send_p2p(c, "1", "[\"" PEER_C "\"]"), SKY_E_UNKNOWN_PEER);
  assert_int_equal(sky_client_send_p2p(c, "1", "[]"), SKY_E_ARG);
  assert_int_equal(sky_client_send_p2p(c, "not json", NULL), SKY_E_ARG);
  /* the glue's variant: the echo names the message instead of carrying it;
   * non-compact text is compacted on the wire; refused calls echo nothing */
  clear_lines(f);
  assert_int_equal(sky_client_send_p2p_echo(c, "[1, 2]", 6, NULL, 7), SKY_OK);
  EXPECT(f, "dc_send", "\"content\":[1,2],");
  EXPECT(f, "emit incomingMessage", "[{\"content\":{\"$echo\":7},\"senderPeerId\":\"" SELF "\"");
  clear_lines(f);
  assert_int_equal(sky_client_send_p2p_echo(c, "1", 1, "[\"" PEER_C "\"]", 8), SKY_E_UNKNOWN_PEER);
  assert_int_equal(sky_client_send_p2p_echo(c, "[1", 2, NULL, 9), SKY_E_ARG);
  assert_int_equal(count(f, "emit incomingMessage", NULL), 0);
}

static void test_p2p_receive_private_and_unicode(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  int pc = connect_answering(f, PEER_B);
  const char *frame = "{\"t\":\"chat\",\"content\":\"héllo 👋 你好 שלום\",\"private\":true}";
  sky_client_on_channel_message(c, pc, frame, strlen(frame), true);
  EXPECT(f, "emit incomingMessage", "\"content\":\"héllo 👋 你好 שלום\",\"senderPeerId\":\"" PEER_B "\",\"targetPeerId\":\"" SELF "\",\"isPrivate\":true,\"isDataChannel\":true,\"isBinary\":false}");
  EXPECT(f, "emit incomingMessage", "false]");
  clear_lines(f);
  sky_client_on_channel_message(c, pc, "garbage", 7, true);
  sky_client_on_channel_message(c, pc, "\x01\x02", 2, false);
  assert_int_equal(count(f, "emit incomingMessage", NULL), 0);
}

static void test_large_message_chunked(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  int pc = connect_answering(f, PEER_B);
  clear_lines(f);
  size_t n = 150000;
  char *big = malloc(n + 3);
  big[0] = '"';
  for (size_t i = 1; i <= n; i++) big[i] = (char)('a' + i % 26);
  big[n + 1] = '"';
  big[n + 2] = '\0';
  assert_int_equal(sky_client_send_p2p(c, big, NULL), SKY_OK);
  assert_int_equal(f->bin_frames, 3); /* the content's JSON in full binary chat frames */
  assert_int_equal(count(f, "dc_send ", NULL), 0);
  /* feed the frames back to a fresh reassembler, as the other side would */
  sky_dc_reasm r = {0};
  sky_dc_chat chat = {0};
  int got = 0;
  for (size_t off = 0; off < f->bin_len;) {
    size_t len;
    memcpy(&len, f->bin + off, sizeof len);
    off += sizeof len;
    if (sky_dc_receive_binary(&r, (const unsigned char *)f->bin + off, len, &chat) == SKY_DC_CHAT) {
      got++;
      assert_string_equal(chat.content, big);
      sky_dc_chat_clear(&chat);
    }
    off += len;
  }
  assert_int_equal(got, 1);
  sky_dc_reasm_clear(&r);
  free(big);
  (void)pc;
}

static void test_buffered_amount_backpressure(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  int pc = connect_answering(f, PEER_B);
  clear_lines(f);
  f->buffered = SKY_DC_HIGH_WATER; /* channel full */
  assert_int_equal(sky_client_send_p2p(c, "\"held\"", NULL), SKY_OK);
  assert_int_equal(count(f, "dc_send", NULL), 0);
  assert_int_equal(f->timer, SKY_FLUSH_RETRY_MS); /* fallback poll */
  sky_client_on_timer(c);
  assert_int_equal(count(f, "dc_send", NULL), 0);
  f->buffered = 0;
  sky_client_on_channel_drain(c, pc);
  EXPECT(f, "dc_send", "held");
}

static void test_listener_may_reenter(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  int pc = connect_answering(f, PEER_B);
  clear_lines(f);
  f->reenter_on = "incomingMessage";
  const char *frame = "{\"t\":\"chat\",\"content\":\"ping\",\"private\":false}";
  sky_client_on_channel_message(c, pc, frame, strlen(frame), true);
  assert_int_equal(f->reentered, 1);
  int first = find(f, "emit incomingMessage", "\"ping\"");
  int echo = find(f, "emit incomingMessage", "from listener");
  assert_true(first >= 0 && echo > first); /* delivered after, in order */
  EXPECT(f, "dc_send", "from listener");
}

static void test_ping_timer(void **state) {
  fake *f = *state;
  sky_client *c = authed(f);
  assert_int_equal(f->timer, SKY_SIG_PING_MS);
  f->now += SKY_SIG_PING_MS;
  sky_client_on_timer(c);
  EXPECT(f, "send ", "\"ping\"");
  sky_client_close(c);
  assert_int_equal(f->timer, 0);
}

static void test_close_in_room(void **state) {
  fake *f = *state;
  const char *ids[] = {PEER_B};
  sky_client *c = in_room(f, 1, ids);
  sky_client_close(c);
  EXPECT(f, "emit peerLeft", PEER_B);
  EXPECT(f, "emit peerLeft", SELF);
  EXPECT(f, "socket_close", NULL);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_IDLE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    T(test_hello_queued_until_open),
    T(test_init_twice_and_bad_args),
    T(test_socket_open_failure),
    T(test_joined_announces_self_then_offers),
    T(test_newcomer_offer_queue),
    cmocka_unit_test_setup_teardown(test_newcomer_offer_queue_not_held_by_a_lost_offer, setup_clock, teardown),
    T(test_peer_connection_state_from_the_core),
    T(test_user_data_defaults_and_updates),
    T(test_user_data_before_join_goes_with_join),
    T(test_join_while_in_room_leaves_first),
    T(test_leave_and_join_error),
    T(test_socket_close_before_welcome_is_an_error),
    T(test_server_message_and_lock),
    T(test_offerer_path_and_candidate_queue),
    T(test_answerer_path),
    T(test_glare_impolite_ignores),
    T(test_glare_polite_rolls_back),
    T(test_peer_left_once),
    T(test_failed_handshake_restarts),
    T(test_answerer_follows_a_restart),
    T(test_p2p_queued_until_open_and_echoed),
    T(test_p2p_receive_private_and_unicode),
    T(test_large_message_chunked),
    T(test_buffered_amount_backpressure),
    T(test_listener_may_reenter),
    T(test_ping_timer),
    T(test_close_in_room),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
