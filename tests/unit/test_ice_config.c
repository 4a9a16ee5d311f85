/* ICE configuration (src/core/ice_config.c): merging, SkylinkJS's options,
 * relay-only configurations and candidate filters; and the client using them
 * (server credentials in the connection's config, relay-only retries). */
#include "client_fake.h"
#include "ice_config.h"

#define TURN_SERVER "[{\"urls\":[\"turn:t.example:3478?transport=udp\",\"turn:t.example:3478?transport=tcp\",\"turns:t.example:5349\"],\"username\":\"99:ab\",\"credential\":\"c2VjcmV0\"},{\"urls\":\"stun:t.example:3478\"}]"
#define APP_SERVER "[{\"urls\":\"stun:app.example:19302\"}]"

static char *build(sky_ice_prefs *p, bool relay) {
  char *cfg = sky_ice_config_build(p, relay);
  assert_non_null(cfg);
  return cfg;
}

static void test_defaults_merge_server_then_app(void **state) {
  (void)state;
  sky_ice_prefs p;
  assert_true(sky_ice_prefs_init(&p));
  char *cfg = build(&p, false);
  assert_string_equal(cfg, "{\"iceServers\":[],\"iceTransportPolicy\":\"all\"}");
  free(cfg);
  assert_false(sky_ice_prefs_has_turn(&p));
  assert_true(sky_ice_prefs_set_app(&p, APP_SERVER));
  assert_true(sky_ice_prefs_set_server(&p, TURN_SERVER));
  assert_true(sky_ice_prefs_has_turn(&p));
  cfg = build(&p, false);
  assert_non_null(strstr(cfg, "\"username\":\"99:ab\",\"credential\":\"c2VjcmV0\""));
  assert_true(strstr(cfg, "t.example:3478?transport=udp") < strstr(cfg, "app.example")); /* server's first */
  assert_non_null(strstr(cfg, "stun:t.example:3478"));
  free(cfg);
  /* relay only: TURN URLs alone, and the relay policy */
  cfg = build(&p, true);
  assert_null(strstr(cfg, "stun:"));
  assert_non_null(strstr(cfg, "turns:t.example:5349"));
  assert_non_null(strstr(cfg, "\"iceTransportPolicy\":\"relay\""));
  free(cfg);
  /* the server's list can be forgotten (a server without TURN) */
  assert_true(sky_ice_prefs_set_server(&p, NULL));
  assert_false(sky_ice_prefs_has_turn(&p));
  assert_false(sky_ice_prefs_set_server(&p, "{\"urls\":1}")); /* not an array */
  sky_ice_prefs_clear(&p);
}

static void test_skylink_options(void **state) {
  (void)state;
  sky_ice_prefs p;
  assert_true(sky_ice_prefs_init(&p));
  assert_true(sky_ice_prefs_set_server(&p, TURN_SERVER));
  /* enableTURNServer false: no TURN at all */
  assert_true(sky_ice_prefs_set_options(&p, "{\"enableTURNServer\":false}"));
  char *cfg = build(&p, false);
  assert_null(strstr(cfg, "turn"));
  assert_non_null(strstr(cfg, "stun:t.example"));
  free(cfg);
  assert_false(sky_ice_prefs_has_turn(&p));
  /* enableSTUNServer false, TURN back */
  assert_true(sky_ice_prefs_set_options(&p, "{\"enableTURNServer\":true,\"enableSTUNServer\":false}"));
  cfg = build(&p, false);
  assert_null(strstr(cfg, "stun:"));
  free(cfg);
  /* TURNServerTransport */
  assert_true(sky_ice_prefs_set_options(&p, "{\"TURNServerTransport\":\"tcp\"}"));
  cfg = build(&p, false);
  assert_null(strstr(cfg, "transport=udp"));
  assert_non_null(strstr(cfg, "transport=tcp"));
  assert_non_null(strstr(cfg, "turns:"));
  free(cfg);
  assert_true(sky_ice_prefs_set_options(&p, "{\"TURNServerTransport\":\"udp\"}"));
  cfg = build(&p, false);
  assert_null(strstr(cfg, "transport=tcp"));
  assert_null(strstr(cfg, "turns:"));
  free(cfg);
  assert_true(sky_ice_prefs_set_options(&p, "{\"TURNServerTransport\":\"none\"}"));
  cfg = build(&p, false);
  assert_null(strstr(cfg, "transport="));
  free(cfg);
  assert_true(sky_ice_prefs_set_options(&p, "{\"TURNServerTransport\":\"all\"}"));
  cfg = build(&p, false);
  assert_non_null(strstr(cfg, "turn:t.example:3478?transport=udp"));
  assert_non_null(strstr(cfg, "turns:t.example:5349?transport=tcp"));
  free(cfg);
  /* forceTURN: relay policy from the first connection */
  assert_true(sky_ice_prefs_set_options(&p, "{\"TURNServerTransport\":\"any\",\"forceTURN\":true}"));
  cfg = build(&p, false);
  assert_non_null(strstr(cfg, "\"relay\""));
  free(cfg);
  /* iceServer overrides the server's list (not the app's) */
  assert_true(sky_ice_prefs_set_options(&p, "{\"forceTURN\":false,\"iceServer\":{\"urls\":\"turn:mine:3478\",\"username\":\"u\",\"credential\":\"p\"}}"));
  cfg = build(&p, false);
  assert_null(strstr(cfg, "t.example"));
  assert_non_null(strstr(cfg, "turn:mine:3478"));
  free(cfg);
  /* wrong types change nothing */
  assert_false(sky_ice_prefs_set_options(&p, "{\"forceTURN\":\"yes\"}"));
  assert_false(sky_ice_prefs_set_options(&p, "{\"TURNServerTransport\":\"carrier pigeon\"}"));
  assert_false(sky_ice_prefs_set_options(&p, "{\"filterCandidatesType\":[]}"));
  assert_false(sky_ice_prefs_set_options(&p, "{\"iceServers\":{}}"));
  assert_false(sky_ice_prefs_set_options(&p, "[]"));
  assert_false(sky_ice_prefs_set_options(&p, "not json"));
  assert_false(p.force_turn);
  sky_ice_prefs_clear(&p);
}

static void test_candidate_filters(void **state) {
  (void)state;
  sky_ice_prefs p;
  assert_true(sky_ice_prefs_init(&p));
  const char *host = "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host";
  const char *srflx = "candidate:2 1 udp 1686052607 203.0.113.9 40000 typ srflx raddr 10.0.0.1 rport 5000";
  const char *relay = "candidate:3 1 udp 41885439 203.0.113.1 50000 typ relay raddr 203.0.113.9 rport 40000";
  assert_true(sky_ice_candidate_allowed(&p, host, false));
  assert_true(sky_ice_candidate_allowed(&p, srflx, false));
  assert_true(sky_ice_candidate_allowed(&p, relay, false));
  assert_true(sky_ice_candidate_allowed(&p, "", false)); /* end of candidates */
  assert_false(sky_ice_candidate_allowed(&p, "garbage", false));
  /* relay only: relay candidates alone */
  assert_false(sky_ice_candidate_allowed(&p, host, true));
  assert_false(sky_ice_candidate_allowed(&p, srflx, true));
  assert_true(sky_ice_candidate_allowed(&p, relay, true));
  /* filterCandidatesType: {host: false, srflx: false} */
  assert_true(sky_ice_prefs_set_options(&p, "{\"filterCandidatesType\":{\"host\":false,\"srflx\":false}}"));
  assert_false(sky_ice_candidate_allowed(&p, host, false));
  assert_false(sky_ice_candidate_allowed(&p, srflx, false));
  assert_true(sky_ice_candidate_allowed(&p, relay, false));
  sky_ice_prefs_clear(&p);
}

/* ---- the client ----------------------------------------------------------- */

static void feed_welcome_turn(sky_client *c, const char *servers) {
  sky_msg m = {0};
  m.type = SKY_MSG_WELCOME;
  m.u.welcome.version = 1;
  strcpy(m.u.welcome.peer_id, SELF);
  sky_limits_default(&m.u.welcome.limits);
  m.u.welcome.ice_servers = (char *)servers;
  feed(c, &m);
}

static void test_server_credentials_reach_the_connection(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", APP_SERVER), SKY_OK);
  sky_client_on_socket_open(c);
  feed_welcome_turn(c, TURN_SERVER);
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  const char *ids[] = {PEER_B};
  feed_joined(c, "room1", 1, ids);
  EXPECT(f, "pc_create", "\"username\":\"99:ab\"");
  EXPECT(f, "pc_create", "app.example");
  EXPECT(f, "pc_create", "\"iceTransportPolicy\":\"all\"");
  /* renewed credentials apply to the next connection */
  sky_msg r = {0};
  r.type = SKY_MSG_ICE_SERVERS;
  r.u.ice_servers.ice_servers = (char *)"[{\"urls\":\"turn:t.example:3478\",\"username\":\"200:ab\",\"credential\":\"bmV3\"}]";
  feed(c, &r);
  clear_lines(f);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_C, NULL);
  feed_sdp(c, SKY_MSG_OFFER, PEER_C, "v=0 offer");
  EXPECT(f, "pc_create", "\"username\":\"200:ab\"");
}

static void test_relay_only_retry_when_not_up_in_time(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_OK);
  sky_client_on_socket_open(c);
  feed_welcome_turn(c, TURN_SERVER);
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  const char *ids[] = {PEER_B};
  feed_joined(c, "room1", 1, ids); /* we offer to B */
  int pc = sky_client_peer_handle(c, PEER_B);
  /* host candidates go out on the first attempt */
  sky_client_on_ice_candidate(c, pc, "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host", 52, "0", 0);
  EXPECT(f, "send ", "typ host");
  clear_lines(f);
  for (int i = 0; i < SKY_CONNECT_TIMEOUT_MS / 1000 + 1; i++) {
    advance(f, 1000);
    sky_msg pong = {0};
    pong.type = SKY_MSG_PONG;
    feed(c, &pong);
  }
  /* not up in time: a fresh, relay-only connection, and nobody is told it left */
  char closed[32];
  snprintf(closed, sizeof closed, "pc_close %d", pc);
  EXPECT(f, closed, NULL);
  EXPECT(f, "pc_create", "\"iceTransportPolicy\":\"relay\"");
  EXPECT(f, "create_offer", NULL);
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  int pc2 = sky_client_peer_handle(c, PEER_B);
  clear_lines(f);
  sky_client_on_ice_candidate(c, pc2, "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host", 52, "0", 0);
  assert_int_equal(count(f, "send ", "typ host"), 0); /* relay only */
  sky_client_on_ice_candidate(c, pc2, "candidate:3 1 udp 41885439 203.0.113.1 50000 typ relay", 55, "0", 0);
  EXPECT(f, "send ", "typ relay");
}

static void test_no_turn_no_relay_only(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_OK);
  sky_client_on_socket_open(c);
  feed_welcome_turn(c, NULL);
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  const char *ids[] = {PEER_B};
  feed_joined(c, "room1", 1, ids);
  clear_lines(f);
  for (int i = 0; i < SKY_CONNECT_TIMEOUT_MS / 1000 + 1; i++) {
    advance(f, 1000);
    sky_msg pong = {0};
    pong.type = SKY_MSG_PONG;
    feed(c, &pong);
  }
  EXPECT(f, "pc_create", "\"iceTransportPolicy\":\"all\""); /* retried, as it was */
}

/* SELF is impolite towards PEER_0: it acts first on a broken path. */
static void test_broken_path_falls_back_to_relay(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_OK);
  sky_client_on_socket_open(c);
  feed_welcome_turn(c, TURN_SERVER);
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  feed_joined(c, "room1", 0, NULL);
  int pc = connect_answering(f, PEER_0);
  clear_lines(f);
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "failed");
  for (int i = 0; i < 4; i++) {
    advance(f, 250);
    sky_client_on_channel_message(c, pc, "{\"t\":\"hb\"}", 10, true);
  }
  /* not an ICE restart on the same connection: a fresh relay-only one */
  assert_int_equal(count(f, "restart_ice", NULL), 0);
  EXPECT(f, "emit peerRestart", "true,false]");
  EXPECT(f, "pc_create", "\"iceTransportPolicy\":\"relay\"");
  assert_int_equal(count(f, "emit peerLeft", NULL), 0);
  assert_true(sky_client_peer_handle(c, PEER_0) != pc);
}

static void test_credentials_go_with_hello(void **state) {
  fake *f = *state;
  sky_client *c = f->client;
  assert_int_equal(sky_client_set_credentials(c, "lobby", "2026-11-29T21:00:00.000Z", "2", "abc%2B%3D"), SKY_OK);
  assert_int_equal(sky_client_set_credentials(c, "bad room!", "x", "1", "y"), SKY_E_ARG);
  assert_int_equal(sky_client_init(c, "ws://h/signaling", "app", NULL), SKY_OK);
  sky_client_on_socket_open(c);
  EXPECT(f, "send ", "\"room\":\"lobby\",\"credStart\":\"2026-11-29T21:00:00.000Z\",\"credDuration\":\"2\",\"credentials\":\"abc%2B%3D\"");
  /* refused: SkylinkJS's reject with its reason, and init fails */
  sky_msg e = {0};
  e.type = SKY_MSG_ERROR;
  e.u.error.code = SKY_ERR_CREDENTIALS_EXPIRED;
  e.u.error.fatal = true;
  strcpy(e.u.error.text, "credentials expired");
  feed(c, &e);
  EXPECT(f, "emit systemAction", "[\"reject\",\"credentials expired\",\"oldTimeStamp\"]");
  EXPECT(f, "emit readyStateChange", "credentials_expired");
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_ERROR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults_merge_server_then_app),
    cmocka_unit_test(test_skylink_options),
    cmocka_unit_test(test_candidate_filters),
#define T(name) cmocka_unit_test_setup_teardown(name, setup_clock, teardown)
    T(test_server_credentials_reach_the_connection),
    T(test_relay_only_retry_when_not_up_in_time),
    T(test_no_turn_no_relay_only),
    T(test_credentials_go_with_hello),
    T(test_broken_path_falls_back_to_relay),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
