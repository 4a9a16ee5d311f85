/* Data-channel framing: round trips, the 16 KiB frame bound, chunking at UTF-8
 * boundaries, and a lying peer that must not make the reassembler misbehave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_frame.h"

typedef struct frames {
  char *f[64];
  int n;
} frames;

static bool collect(void *user, const char *frame, size_t len) {
  frames *fr = user;
  assert_true(len <= SKY_DC_FRAME_MAX);
  assert_int_equal(strlen(frame), len);
  if (fr->n >= 64) return false;
  fr->f[fr->n] = malloc(len + 1);
  memcpy(fr->f[fr->n++], frame, len + 1);
  return true;
}

static void frames_free(frames *fr) {
  for (int i = 0; i < fr->n; i++) free(fr->f[i]);
  fr->n = 0;
}

/* Feeds every frame; returns the one message delivered (caller frees). */
static char *replay(frames *fr, bool *is_private) {
  sky_dc_reasm r = {0};
  sky_dc_chat chat = {0};
  char *out = NULL;
  for (int i = 0; i < fr->n; i++) {
    sky_dc_result res = sky_dc_receive(&r, fr->f[i], strlen(fr->f[i]), &chat);
    assert_int_not_equal(res, SKY_DC_ERROR);
    if (res == SKY_DC_CHAT) {
      assert_null(out);
      out = chat.content;
      if (is_private) *is_private = chat.is_private;
    }
  }
  sky_dc_reasm_clear(&r);
  return out;
}

static void test_small_round_trip(void **state) {
  (void)state;
  frames fr = {0};
  assert_int_equal(sky_dc_encode_chat("{\"a\":[1,2,\"x\"]}", true, 1, collect, &fr), 1);
  bool priv = false;
  char *got = replay(&fr, &priv);
  assert_string_equal(got, "{\"a\":[1,2,\"x\"]}");
  assert_true(priv);
  free(got);
  frames_free(&fr);
}

/* A long string of multi-byte characters: every slice must cut between them. */
static void test_chunked_unicode_round_trip(void **state) {
  (void)state;
  const char *unit = "👋你好שלום"; /* 4 + 6 + 8 bytes */
  size_t ulen = strlen(unit), reps = 3000;
  char *content = malloc(ulen * reps + 3);
  char *p = content;
  *p++ = '"';
  for (size_t i = 0; i < reps; i++, p += ulen) memcpy(p, unit, ulen);
  *p++ = '"';
  *p = '\0';
  frames fr = {0};
  int n = sky_dc_encode_chat(content, false, 42, collect, &fr);
  assert_true(n > 5);
  assert_int_equal(n, fr.n);
  bool priv = true;
  char *got = replay(&fr, &priv);
  assert_non_null(got);
  assert_string_equal(got, content);
  assert_false(priv);
  free(got);
  frames_free(&fr);
  free(content);
}

/* Quotes and backslashes double when escaped: still within the frame bound. */
static void test_escape_heavy_content(void **state) {
  (void)state;
  size_t n = 40000;
  char *content = malloc(n * 2 + 3);
  char *p = content;
  *p++ = '"';
  for (size_t i = 0; i < n; i++) {
    *p++ = '\\';
    *p++ = i % 2 ? '"' : '\\';
  }
  *p++ = '"';
  *p = '\0';
  frames fr = {0};
  assert_true(sky_dc_encode_chat(content, false, 7, collect, &fr) > 1);
  char *got = replay(&fr, NULL);
  assert_string_equal(got, content);
  free(got);
  frames_free(&fr);
  free(content);
}

static void test_too_large_refused(void **state) {
  (void)state;
  size_t n = SKY_DC_MESSAGE_MAX + 10;
  char *content = malloc(n + 3);
  memset(content + 1, 'x', n);
  content[0] = '"';
  content[n + 1] = '"';
  content[n + 2] = '\0';
  frames fr = {0};
  assert_int_equal(sky_dc_encode_chat(content, false, 1, collect, &fr), -1);
  assert_int_equal(fr.n, 0);
  free(content);
}

static sky_dc_result feed(sky_dc_reasm *r, const char *frame, sky_dc_chat *chat) {
  return sky_dc_receive(r, frame, strlen(frame), chat);
}

static void test_lying_peer(void **state) {
  (void)state;
  sky_dc_reasm r = {0};
  sky_dc_chat chat = {0};
  /* claims a huge message: refused before any allocation */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":1,\"i\":0,\"n\":2,\"len\":4294967295,\"d\":\"ab\"}", &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  /* claims 10 bytes, sends more */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":1,\"i\":0,\"n\":2,\"len\":10,\"d\":\"0123456789abc\"}", &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  /* a part out of order */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":1,\"i\":0,\"n\":3,\"len\":100,\"d\":\"ab\"}", &chat), SKY_DC_NONE);
  assert_int_equal(r.len, 2); /* grew by what arrived, not by "len" */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":1,\"i\":2,\"n\":3,\"len\":100,\"d\":\"cd\"}", &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  /* a part of another message */
  feed(&r, "{\"t\":\"part\",\"id\":1,\"i\":0,\"n\":2,\"len\":100,\"d\":\"ab\"}", &chat);
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":2,\"i\":1,\"n\":2,\"len\":100,\"d\":\"cd\"}", &chat), SKY_DC_ERROR);
  /* total shorter than announced */
  feed(&r, "{\"t\":\"part\",\"id\":3,\"i\":0,\"n\":2,\"len\":100,\"d\":\"ab\"}", &chat);
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":3,\"i\":1,\"n\":2,\"len\":100,\"d\":\"cd\"}", &chat), SKY_DC_ERROR);
  /* a part that reassembles into another part: no nesting */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":4,\"i\":0,\"n\":1,\"len\":10,\"d\":\"{\\\"t\\\":1}xx\"}", &chat), SKY_DC_ERROR);
  /* negative / fractional numbers */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":-1,\"i\":0,\"n\":1,\"len\":2,\"d\":\"ab\"}", &chat), SKY_DC_ERROR);
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":1.5,\"i\":0,\"n\":1,\"len\":2,\"d\":\"ab\"}", &chat), SKY_DC_ERROR);
  /* continuation with no start */
  assert_int_equal(feed(&r, "{\"t\":\"part\",\"id\":9,\"i\":1,\"n\":2,\"len\":4,\"d\":\"ab\"}", &chat), SKY_DC_ERROR);
  sky_dc_reasm_clear(&r);
}

static void test_bad_frames(void **state) {
  (void)state;
  sky_dc_reasm r = {0};
  sky_dc_chat chat = {0};
  assert_int_equal(feed(&r, "not json", &chat), SKY_DC_ERROR);
  assert_int_equal(feed(&r, "[1,2]", &chat), SKY_DC_ERROR);
  assert_int_equal(feed(&r, "{\"t\":5}", &chat), SKY_DC_ERROR);
  assert_int_equal(feed(&r, "{\"t\":\"chat\"}", &chat), SKY_DC_ERROR); /* no content */
  assert_int_equal(feed(&r, "{\"t\":\"future\",\"x\":1}", &chat), SKY_DC_NONE); /* ignored */
  /* too deep */
  char deep[200];
  strcpy(deep, "{\"t\":\"chat\",\"content\":");
  for (int i = 0; i < 40; i++) strcat(deep, "[");
  for (int i = 0; i < 40; i++) strcat(deep, "]");
  strcat(deep, "}");
  assert_int_equal(feed(&r, deep, &chat), SKY_DC_ERROR);
  /* oversize frame */
  size_t big = SKY_DC_FRAME_MAX + 1;
  char *huge = malloc(big + 1);
  memset(huge, ' ', big);
  huge[big] = '\0';
  assert_int_equal(sky_dc_receive(&r, huge, big, &chat), SKY_DC_ERROR);
  free(huge);
  /* not NUL-terminated input is read by length only */
  const char *framed = "{\"t\":\"chat\",\"content\":1}GARBAGE";
  assert_int_equal(sky_dc_receive(&r, framed, 25, &chat), SKY_DC_CHAT);
  assert_string_equal(chat.content, "1");
  sky_dc_chat_clear(&chat);
  sky_dc_reasm_clear(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_small_round_trip),
    cmocka_unit_test(test_chunked_unicode_round_trip),
    cmocka_unit_test(test_escape_heavy_content),
    cmocka_unit_test(test_too_large_refused),
    cmocka_unit_test(test_lying_peer),
    cmocka_unit_test(test_bad_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
