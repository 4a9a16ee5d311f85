/* The bus message codec (src/server/bus_msg.c): what instances tell each
 * other through Redis. Round trips, and everything a decoder must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/server/bus_msg.h"
#include "../../src/server/redis_config.h"

#define A "0123456789abcdef0123456789abcdef"
#define B "fedcba9876543210fedcba9876543210"

static bool decodes(const char *wire) {
  sky_bus_msg m;
  return sky_bus_msg_decode(wire, strlen(wire), &m);
}

static void round_trip(void **state) {
  (void)state;
  static const char payload[] = "{\"type\":\"message\",\"from\":\"" A "\",\"content\":\"hi\\nthere\"}";
  sky_bus_msg m = {SKY_BUS_PEER, "room: with spaces@x", A, B, payload, sizeof(payload) - 1};
  size_t len = 0;
  char *wire = sky_bus_msg_encode(&m, &len);
  assert_non_null(wire);
  assert_int_equal(len, strlen(wire));
  sky_bus_msg back;
  assert_true(sky_bus_msg_decode(wire, len, &back));
  assert_int_equal(back.kind, SKY_BUS_PEER);
  assert_string_equal(back.room, "room: with spaces@x");
  assert_string_equal(back.peer, A);
  assert_string_equal(back.target, B);
  assert_int_equal(back.payload_len, sizeof(payload) - 1);
  assert_memory_equal(back.payload, payload, back.payload_len);
  free(wire);
}

/* The scripts in redis_scripts.c write these forms themselves. */
static void reaper_form(void **state) {
  (void)state;
  assert_true(decodes("SKY1 l\nlobby\n" A "\n\n{\"type\":\"peer_left\",\"peerId\":\"" A "\",\"reason\":\"disconnected\"}"));
  assert_true(decodes("SKY1 a\nlobby\n" A "\n\n{\"type\":\"admit\",\"serial\":\"7\",\"locked\":false,\"members\":[]}"));
  /* and the snapshot script, with cjson's empty table as {} */
  assert_true(decodes("SKY1 s\nlobby\n\n\n{\"type\":\"snapshot\",\"members\":[[\"" A "\",\"i1\",\"{}\"]],\"gone\":{}}"));
  assert_true(decodes("SKY1 j\nlobby\n" A "\n\n{\"type\":\"peer_joined\",\"peerId\":\"" A "\",\"userData\":{}}"));
}

static void refusals(void **state) {
  (void)state;
  static const char *bad[] = {
      "",
      "SKY1 ",
      "SKY2 r\nlobby\n\n\n{\"type\":\"x\"}",                 /* another format */
      "SKY1 x\nlobby\n\n\n{\"type\":\"x\"}",                 /* unknown kind */
      "SKY1 r\n\n\n\n{\"type\":\"x\"}",                      /* no room */
      "SKY1 r\nlobby \n\n\n{\"type\":\"x\"}",                /* not a room name (trailing space) */
      "SKY1 r\nlo*by\n\n\n{\"type\":\"x\"}",                 /* not a room name (glob) */
      "SKY1 r\nlobby\nABC\n\n{\"type\":\"x\"}",              /* not a peer id */
      "SKY1 r\nlobby\n\n" B "\n{\"type\":\"x\"}",            /* a target on a room message */
      "SKY1 p\nlobby\n" A "\n\n{\"type\":\"x\"}",            /* no target on a peer message */
      "SKY1 j\nlobby\n\n\n{\"type\":\"x\"}",                 /* a join about nobody */
      "SKY1 l\nlobby\n\n\n{\"type\":\"x\"}",                 /* a departure of nobody */
      "SKY1 a\nlobby\n\n\n{\"type\":\"x\"}",                 /* an admission of nobody */
      "SKY1 s\nlobby\n" A "\n\n{\"type\":\"x\"}",            /* a snapshot about a peer */
      "SKY1 r\nlobby\n\n\n",                                 /* no payload */
      "SKY1 r\nlobby\n\n\n[1]",                              /* not an object */
      "SKY1 r\nlobby\n\n\n{\"type\":1}",                     /* no string type */
      "SKY1 r\nlobby\n\n\n{\"type\":\"x\"",                  /* not JSON */
      "SKY1 r\nlobby\n\n{\"type\":\"x\"}",                   /* a line missing */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (decodes(bad[i])) fail_msg("decoded #%zu: %s", i, bad[i]);
  }
  /* 65 bytes of room, and a NUL inside */
  char long_room[128];
  snprintf(long_room, sizeof(long_room), "SKY1 r\n%065d\n\n\n{\"type\":\"x\"}", 0);
  assert_false(decodes(long_room));
  static const char nul[] = "SKY1 r\nlob\0y\n\n\n{\"type\":\"x\"}";
  sky_bus_msg m;
  assert_false(sky_bus_msg_decode(nul, sizeof(nul) - 1, &m));
  /* and the encoder will not write what the decoder refuses */
  sky_bus_msg e = {SKY_BUS_ROOM, "lobby", "", B, "{\"type\":\"x\"}", 12};
  size_t len;
  assert_null(sky_bus_msg_encode(&e, &len));
}

static void redis_urls(void **state) {
  (void)state;
  sky_redis_config rc;
  char err[256];
  memset(&rc, 0, sizeof(rc));
  assert_true(sky_redis_url_parse(&rc, "redis://127.0.0.1", err, sizeof(err)));
  assert_string_equal(rc.host, "127.0.0.1");
  assert_int_equal(rc.port, 6379);
  assert_int_equal(rc.db, 0);
  assert_true(sky_redis_url_parse(&rc, "redis://cache.example.com:7000/3", err, sizeof(err)));
  assert_string_equal(rc.host, "cache.example.com");
  assert_int_equal(rc.port, 7000);
  assert_int_equal(rc.db, 3);
  assert_true(sky_redis_url_parse(&rc, "redis://[::1]:6380/", err, sizeof(err)));
  assert_string_equal(rc.host, "::1");
  assert_int_equal(rc.port, 6380);
  static const char *bad[] = {"", "http://x", "redis://", "redis://h:0", "redis://h:65536", "redis://user:pw@h",
                              "redis://h/x", "redis://h?db=1", "redis://[::1", "redis://h:12a", "redis://h/65536"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (sky_redis_url_parse(&rc, bad[i], err, sizeof(err))) fail_msg("accepted %s", bad[i]);
  }
}

static void instance_ids(void **state) {
  (void)state;
  assert_true(sky_instance_id_valid("web-1.eu_west"));
  assert_false(sky_instance_id_valid(""));
  assert_false(sky_instance_id_valid("a|b"));   /* the member records' separator */
  assert_false(sky_instance_id_valid("a b"));
  assert_false(sky_instance_id_valid("a:b"));   /* keeps key names unambiguous */
  char id[SKY_INSTANCE_ID_MAX + 1], other[SKY_INSTANCE_ID_MAX + 1];
  sky_instance_id_default(id);
  sky_instance_id_default(other);
  assert_true(sky_instance_id_valid(id));
  assert_string_not_equal(id, other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip), cmocka_unit_test(reaper_form), cmocka_unit_test(refusals),
      cmocka_unit_test(redis_urls), cmocka_unit_test(instance_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
