/* Regression: a "joined" frame larger than maxFrame must still be accepted.
 *
 * maxFrame bounds what clients send; the server's own messages can be larger
 * (docs/protocol.md, "Frame size of server messages"): joined lists up to
 * maxPeers - 1 peers with up to maxUserData bytes each, about 260 KiB with the
 * defaults. A client that decodes server frames with the welcome limits as they
 * are drops such a joined and stays in "joining" forever: anyone who joins a
 * room of 17 peers with 4 KB of userData each can never enter it.
 *
 * Found by tests/hostile/client.test.mjs ("joining a room whose peer list is
 * over 64 KiB"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "protocol.h"

static int fake_socket_open(void *user, const char *url) {
  (void)user;
  (void)url;
  return 0;
}
static int fake_socket_send(void *user, const char *text, size_t len) {
  (void)user;
  (void)text;
  (void)len;
  return 0;
}
static int fake_pc_create(void *user, int pc, const char *config_json) {
  (void)user;
  (void)pc;
  (void)config_json;
  return 0;
}
static void fake_pc_void(void *user, int pc) {
  (void)user;
  (void)pc;
}
static int fake_dc_send(void *user, int pc, const char *data, size_t len) {
  (void)user;
  (void)pc;
  (void)data;
  (void)len;
  return 0;
}

static const char SELF[] = "00000000000000000000000000000001";

/* A joined listing `count` peers with `ud_bytes` of userData each. */
static char *big_joined(size_t count, size_t ud_bytes) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_JOINED;
  snprintf(m.ref, sizeof m.ref, "j1");
  snprintf(m.u.joined.room, sizeof m.u.joined.room, "big");
  snprintf(m.u.joined.peer_id, sizeof m.u.joined.peer_id, "%s", SELF);
  sky_peer_entry *peers = calloc(count, sizeof *peers);
  char *ud = malloc(ud_bytes + 1);
  assert_non_null(peers);
  assert_non_null(ud);
  /* {"s":"xxxx..."}: ud_bytes of compact JSON */
  memset(ud, 'x', ud_bytes);
  memcpy(ud, "{\"s\":\"", 6);
  memcpy(ud + ud_bytes - 2, "\"}", 2);
  ud[ud_bytes] = '\0';
  for (size_t i = 0; i < count; i++) {
    snprintf(peers[i].peer_id, sizeof peers[i].peer_id, "%032zx", i + 0x100);
    peers[i].user_data = ud;
  }
  m.u.joined.peers = peers;
  m.u.joined.peer_count = count;
  char *text = sky_msg_encode(&m); /* what the server sends */
  free(peers);
  free(ud);
  assert_non_null(text);
  return text;
}

static int teardown(void **state) {
  sky_client_free(*state); /* also after a failed assertion */
  return 0;
}

static void test_joined_over_max_frame_enters_the_room(void **state) {
  sky_client_ops ops;
  memset(&ops, 0, sizeof ops);
  ops.socket_open = fake_socket_open;
  ops.socket_send = fake_socket_send;
  ops.pc_create = fake_pc_create;
  ops.pc_close = fake_pc_void;
  ops.pc_create_offer = fake_pc_void;
  ops.pc_create_answer = fake_pc_void;
  ops.dc_send = fake_dc_send;
  sky_client *c = sky_client_new(&ops, NULL);
  assert_non_null(c);
  *state = c;
  assert_int_equal(sky_client_init(c, "ws://127.0.0.1/signaling", "key", NULL), SKY_OK);
  sky_client_on_socket_open(c);

  /* welcome with the server's default limits */
  sky_msg w;
  memset(&w, 0, sizeof w);
  w.type = SKY_MSG_WELCOME;
  w.u.welcome.version = SKY_PROTOCOL_VERSION;
  snprintf(w.u.welcome.peer_id, sizeof w.u.welcome.peer_id, "%s", SELF);
  sky_limits_default(&w.u.welcome.limits);
  char *welcome = sky_msg_encode(&w);
  assert_non_null(welcome);
  sky_client_on_socket_text(c, welcome, strlen(welcome));
  free(welcome);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_AUTHENTICATED);

  assert_int_equal(sky_client_join(c, "big"), SKY_OK);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_JOINING);

  /* 17 peers x 4000 bytes: about 69 KB, over the 64 KiB maxFrame, well within
   * what the server may send (63 x 4096). */
  char *joined = big_joined(17, 4000);
  assert_true(strlen(joined) > 65536);
  sky_client_on_socket_text(c, joined, strlen(joined));
  free(joined);
  assert_int_equal(sky_client_room_state(c), SKY_ROOM_IN_ROOM);
  assert_int_equal(sky_client_peer_count(c), 17);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_joined_over_max_frame_enters_the_room, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
