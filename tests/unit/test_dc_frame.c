/* Data-channel framing: round trips, the 64 KiB frame bound, chunking at UTF-8
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
#include "json_util.h"
#include "protocol.h"

typedef struct frames {
  char *f[64];
  size_t len[64];
  bool bin[64];
  int n;
} frames;

static bool collect(void *user, const char *frame, size_t len, bool binary) {
  frames *fr = user;
  assert_true(len <= SKY_DC_FRAME_MAX);
  if (!binary) assert_int_equal(strlen(frame), len);
  else { /* a long chat: binary chat frames carrying its JSON */
    assert_int_equal((unsigned char)frame[0], SKY_DC_BIN_CHAT);
    assert_true(len > SKY_DC_BIN_HEADER && (frame[13] & SKY_DC_BIN_JSON));
  }
  if (fr->n >= 64) return false;
  fr->f[fr->n] = malloc(len + 1);
  memcpy(fr->f[fr->n], frame, len);
  fr->f[fr->n][len] = '\0';
  fr->len[fr->n] = len;
  fr->bin[fr->n++] = binary;
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
    sky_dc_result res = fr->bin[i] ? sky_dc_receive_binary(&r, (const unsigned char *)fr->f[i], fr->len[i], &chat)
                                   : sky_dc_receive(&r, fr->f[i], fr->len[i], &chat);
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
  size_t ulen = strlen(unit), reps = 12000;
  char *content = malloc(ulen * reps + 3);
  char *p = content;
  *p++ = '"';
  for (size_t i = 0; i < reps; i++, p += ulen) memcpy(p, unit, ulen);
  *p++ = '"';
  *p = '\0';
  frames fr = {0};
  int n = sky_dc_encode_chat(content, false, 42, collect, &fr);
  assert_true(n > 3);
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
  size_t n = 80000;
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

/* Parts are filled up to the frame limit, escaped or not. */
static void test_parts_full_and_bounded(void **state) {
  (void)state;
  size_t n = 200000;
  char *content = malloc(n + 3);
  content[0] = '"';
  memset(content + 1, 'x', n);
  content[n + 1] = '"';
  content[n + 2] = '\0';
  frames fr = {0};
  int count = sky_dc_encode_chat(content, false, 3, collect, &fr);
  assert_int_equal(count, 4); /* 200 KB in full 64 KiB frames */
  for (int i = 0; i + 1 < fr.n; i++) assert_int_equal(fr.len[i], SKY_DC_FRAME_MAX);
  char *got = replay(&fr, NULL);
  assert_string_equal(got, content);
  free(got);
  frames_free(&fr);
  /* whitespace between tokens: sent as is */
  content[0] = '[';
  for (size_t i = 1; i <= n; i++) content[i] = i % 2 ? '\n' : (i + 1 == n ? '1' : ' ');
  content[n] = '1';
  content[n + 1] = ']';
  count = sky_dc_encode_chat(content, false, 4, collect, &fr);
  assert_int_equal(count, 4);
  got = replay(&fr, NULL);
  assert_string_equal(got, "[1]");
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

/* A binary part: kind, id, total, offset, then the slice. */
static sky_dc_result part(sky_dc_reasm *r, uint8_t kind, uint32_t id, uint32_t total, uint32_t off,
                          const char *slice, sky_dc_chat *chat) {
  unsigned char buf[SKY_DC_FRAME_MAX + 16];
  size_t n = strlen(slice);
  uint32_t v[3] = {id, total, off};
  buf[0] = kind;
  for (int k = 0; k < 3; k++)
    for (int b = 0; b < 4; b++) buf[1 + 4 * k + b] = (unsigned char)(v[k] >> (8 * b));
  memcpy(buf + SKY_DC_PART_HEADER, slice, n);
  return sky_dc_receive_binary(r, buf, SKY_DC_PART_HEADER + n, chat);
}

static void test_lying_peer(void **state) {
  (void)state;
  sky_dc_reasm r = {0};
  sky_dc_chat chat = {0};
  /* claims a huge message: refused before any allocation */
  assert_int_equal(part(&r, 1, 1, 4294967295u, 0, "ab", &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  assert_int_equal(part(&r, 1, 1, SKY_DC_MESSAGE_MAX + 1, 0, "ab", &chat), SKY_DC_ERROR);
  assert_int_equal(part(&r, 1, 1, 0, 0, "ab", &chat), SKY_DC_ERROR);
  /* claims 10 bytes, sends more */
  assert_int_equal(part(&r, 1, 1, 10, 0, "0123456789abc", &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  /* a part out of order */
  assert_int_equal(part(&r, 1, 1, 100, 0, "ab", &chat), SKY_DC_NONE);
  assert_int_equal(r.len, 2); /* grew by what arrived, not by the total */
  assert_int_equal(part(&r, 1, 1, 100, 4, "cd", &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  /* a duplicated part */
  part(&r, 1, 1, 100, 0, "ab", &chat);
  assert_int_equal(part(&r, 1, 1, 100, 0, "ab", &chat), SKY_DC_NONE); /* restarts */
  assert_int_equal(part(&r, 1, 1, 100, 0 + 1, "b", &chat), SKY_DC_ERROR);
  /* a part of another message, or another total */
  part(&r, 1, 1, 100, 0, "ab", &chat);
  assert_int_equal(part(&r, 1, 2, 100, 2, "cd", &chat), SKY_DC_ERROR);
  part(&r, 1, 3, 100, 0, "ab", &chat);
  assert_int_equal(part(&r, 1, 3, 101, 2, "cd", &chat), SKY_DC_ERROR);
  /* a part with no slice, a truncated header */
  assert_int_equal(part(&r, 1, 3, 100, 0, "", &chat), SKY_DC_ERROR);
  const unsigned char shortp[] = {SKY_DC_BIN_PART, 1, 0, 0};
  assert_int_equal(sky_dc_receive_binary(&r, shortp, sizeof shortp, &chat), SKY_DC_ERROR);
  /* continuation with no start */
  assert_int_equal(part(&r, 1, 9, 4, 2, "ab", &chat), SKY_DC_ERROR);
  /* unknown binary kinds are ignored, and do not disturb a message in progress */
  const char *whole = "{\"t\":\"chat\",\"content\":12}";
  uint32_t wl = (uint32_t)strlen(whole);
  assert_int_equal(part(&r, 1, 5, wl, 0, "{\"t\":\"chat\",", &chat), SKY_DC_NONE);
  assert_int_equal(part(&r, 7, 5, wl, 12, "zz", &chat), SKY_DC_NONE);
  assert_int_equal(part(&r, 1, 5, wl, 12, "\"content\":12}", &chat), SKY_DC_CHAT);
  assert_string_equal(chat.content, "12");
  sky_dc_chat_clear(&chat);
  /* text parts (the old framing) are an unknown type now */
  assert_int_equal(sky_dc_receive(&r, "{\"t\":\"part\",\"id\":1,\"i\":0,\"n\":1,\"len\":2,\"d\":\"ab\"}", 52, &chat), SKY_DC_NONE);
  /* parts that reassemble into a binary part (cJSON alone would skip its header) */
  unsigned char inner[SKY_DC_PART_HEADER + 24] = {SKY_DC_BIN_PART, 3, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0};
  memcpy(inner + SKY_DC_PART_HEADER, "{\"t\":\"chat\",\"content\":1}", 24);
  assert_int_equal(part(&r, 1, 6, sizeof inner, 0, "", &chat), SKY_DC_ERROR); /* empty slice */
  {
    unsigned char outer[SKY_DC_PART_HEADER + sizeof inner] = {SKY_DC_BIN_PART, 6, 0, 0, 0, sizeof inner, 0, 0, 0, 0, 0, 0, 0};
    memcpy(outer + SKY_DC_PART_HEADER, inner, sizeof inner);
    assert_int_equal(sky_dc_receive_binary(&r, outer, sizeof outer, &chat), SKY_DC_ERROR);
    assert_int_equal(sky_dc_receive(&r, " {\"t\":\"chat\",\"content\":1}", 25, &chat), SKY_DC_ERROR);
  }
  /* parts that reassemble into something that is not a chat */
  assert_int_equal(part(&r, 1, 6, 3, 0, "[1]", &chat), SKY_DC_ERROR);
  assert_int_equal(part(&r, 1, 6, 3, 0, "{x}", &chat), SKY_DC_ERROR);
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

/* Acknowledgements and sequence numbers (found by the fuzzer: a part frame
 * holding "a" decodes as an ack, a result the harness did not know). */
static void test_acks_and_sequence_numbers(void **state) {
  (void)state;
  sky_dc_reasm r = {0};
  sky_dc_chat chat;
  char buf[48];
  size_t n = sky_dc_encode_ack(7, false, buf, sizeof buf);
  assert_string_equal(buf, "{\"t\":\"ack\",\"a\":7}");
  assert_int_equal(sky_dc_receive(&r, buf, n, &chat), SKY_DC_ACK);
  assert_int_equal(chat.acked, 7);
  assert_null(chat.content);
  n = sky_dc_encode_ack(4294967295u, true, buf, sizeof buf);
  assert_int_equal(sky_dc_receive(&r, buf, n, &chat), SKY_DC_ACK);
  assert_int_equal(chat.acked, 4294967295u);
  /* not a sequence number: nothing */
  const char *bad[] = {"{\"t\":\"hb\"}", "{\"t\":\"ack\",\"a\":0}", "{\"t\":\"ack\",\"a\":-1}",
                       "{\"t\":\"ack\",\"a\":1.5}", "{\"t\":\"ack\",\"a\":4294967296}", "{\"t\":\"ack\",\"a\":\"3\"}",
                       "{\"t\":\"part\",\"id\":1,\"a\":0}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(sky_dc_receive(&r, bad[i], strlen(bad[i]), &chat), SKY_DC_NONE);
    assert_int_equal(chat.acked, 0);
  }
  /* a chat carries its sequence number */
  const char *msg = "{\"t\":\"chat\",\"content\":1,\"private\":false,\"s\":42}";
  assert_int_equal(sky_dc_receive(&r, msg, strlen(msg), &chat), SKY_DC_CHAT);
  assert_int_equal(chat.seq, 42);
  sky_dc_chat_clear(&chat);
  sky_dc_reasm_clear(&r);
}

/* ---- binary chat frames ------------------------------------------------- */

typedef struct bframes {
  unsigned char *f[32];
  size_t len[32];
  int n;
} bframes;

static bool collect_bin(void *user, const char *frame, size_t len, bool binary) {
  bframes *fr = user;
  assert_true(binary);
  assert_true(len >= SKY_DC_BIN_HEADER && len <= SKY_DC_FRAME_MAX);
  assert_int_equal((unsigned char)frame[0], SKY_DC_BIN_CHAT);
  if (fr->n >= 32) return false;
  fr->f[fr->n] = malloc(len);
  memcpy(fr->f[fr->n], frame, len);
  fr->len[fr->n++] = len;
  return true;
}

static void bframes_free(bframes *fr) {
  for (int i = 0; i < fr->n; i++) free(fr->f[i]);
  fr->n = 0;
}

static unsigned char *pattern(size_t n) {
  unsigned char *b = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(i * 7 + (i >> 8) * 13); /* every byte value, NULs too */
  return b;
}

/* Encodes n bytes, checks the frame count, feeds them all back: exactly one
 * binary chat with the same bytes, private flag and seq, from the last frame. */
static void binary_round_trip(size_t n, int frames_want, bool priv) {
  unsigned char *data = pattern(n);
  bframes fr = {0};
  assert_int_equal(sky_dc_encode_binary(data, n, priv, 77, collect_bin, &fr), frames_want);
  assert_int_equal(fr.n, frames_want);
  sky_dc_reasm r = {0};
  sky_dc_chat chat;
  for (int i = 0; i < fr.n; i++) {
    sky_dc_result res = sky_dc_receive_binary(&r, fr.f[i], fr.len[i], &chat);
    if (i < fr.n - 1) {
      assert_int_equal(res, SKY_DC_NONE);
      continue;
    }
    assert_int_equal(res, SKY_DC_BINARY);
    assert_non_null(chat.content);
    assert_int_equal(chat.len, n);
    assert_memory_equal(chat.content, data, n ? n : 0);
    assert_int_equal(chat.is_private, priv);
    assert_int_equal(chat.seq, 77);
    sky_dc_chat_clear(&chat);
  }
  assert_null(r.buf);
  sky_dc_reasm_clear(&r);
  bframes_free(&fr);
  free(data);
}

static void test_binary_round_trips(void **state) {
  (void)state;
  binary_round_trip(0, 1, false);
  binary_round_trip(1, 1, true);
  binary_round_trip(SKY_DC_FRAME_MAX - SKY_DC_BIN_HEADER, 1, false); /* exactly a slice */
  binary_round_trip(SKY_DC_BIN_SLICE_MAX + 1, 2, true);
  binary_round_trip(SKY_DC_FRAME_MAX, 2, false);
  binary_round_trip(SKY_DC_MESSAGE_MAX, (SKY_DC_MESSAGE_MAX + SKY_DC_BIN_SLICE_MAX - 1) / SKY_DC_BIN_SLICE_MAX, true);
  /* the header: kind, seq, total, offset, flags */
  bframes fr = {0};
  assert_int_equal(sky_dc_encode_binary("ab", 2, true, 0x01020304, collect_bin, &fr), 1);
  const unsigned char want[] = {0x02, 4, 3, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b'};
  assert_int_equal(fr.len[0], sizeof want);
  assert_memory_equal(fr.f[0], want, sizeof want);
  bframes_free(&fr);
  /* over the limit: refused, nothing sent */
  unsigned char *big = pattern(SKY_DC_MESSAGE_MAX + 1);
  assert_int_equal(sky_dc_encode_binary(big, SKY_DC_MESSAGE_MAX + 1, false, 1, collect_bin, &fr), -1);
  assert_int_equal(fr.n, 0);
  free(big);
  assert_int_equal(sky_dc_encode_binary(NULL, 1, false, 1, collect_bin, &fr), -1);
}

/* A binary chat frame with the given header fields and n bytes of slice. */
static sky_dc_result bin(sky_dc_reasm *r, uint32_t seq, uint32_t total, uint32_t off, unsigned char flags, size_t n,
                         sky_dc_chat *chat) {
  static unsigned char buf[SKY_DC_FRAME_MAX + SKY_DC_BIN_HEADER];
  buf[0] = SKY_DC_BIN_CHAT;
  for (int k = 0; k < 4; k++) {
    buf[1 + k] = (unsigned char)(seq >> (8 * k));
    buf[5 + k] = (unsigned char)(total >> (8 * k));
    buf[9 + k] = (unsigned char)(off >> (8 * k));
  }
  buf[13] = flags;
  memset(buf + SKY_DC_BIN_HEADER, 'x', n);
  return sky_dc_receive_binary(r, buf, SKY_DC_BIN_HEADER + n, chat);
}

static void test_binary_lying_peer(void **state) {
  (void)state;
  sky_dc_reasm r = {0};
  sky_dc_chat chat;
  /* a total past the limit, whatever the slice */
  assert_int_equal(bin(&r, 1, SKY_DC_MESSAGE_MAX + 1, 0, 0, 10, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 1, 0xFFFFFFFFu, 0, 0, 10, &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  /* a huge announced total allocates only what arrived */
  assert_int_equal(bin(&r, 1, SKY_DC_MESSAGE_MAX, 0, 0, 5, &chat), SKY_DC_NONE);
  assert_int_equal(r.len, 5);
  /* a gap, an overlap, another seq, another total, other flags: each a reset */
  assert_int_equal(bin(&r, 1, SKY_DC_MESSAGE_MAX, 6, 0, 5, &chat), SKY_DC_ERROR);
  assert_null(r.buf);
  assert_int_equal(bin(&r, 2, 20, 0, 0, 10, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 2, 20, 5, 0, 10, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 2, 20, 0, 0, 10, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 3, 20, 10, 0, 10, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 2, 20, 0, 0, 10, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 2, 21, 10, 0, 10, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 2, 20, 0, 0, 10, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 2, 20, 10, SKY_DC_BIN_PRIVATE, 10, &chat), SKY_DC_ERROR);
  /* more than announced */
  assert_int_equal(bin(&r, 2, 20, 0, 0, 10, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 2, 20, 10, 0, 11, &chat), SKY_DC_ERROR);
  /* an empty slice in a non-empty message; a short header; continuation of nothing */
  assert_int_equal(bin(&r, 2, 20, 0, 0, 0, &chat), SKY_DC_ERROR);
  const unsigned char shorth[] = {SKY_DC_BIN_CHAT, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(sky_dc_receive_binary(&r, shorth, sizeof shorth, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 2, 20, 10, 0, 10, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 2, 0, 5, 0, 0, &chat), SKY_DC_ERROR);
  /* a frame over 16 KiB */
  assert_int_equal(bin(&r, 2, 20000, 0, 0, SKY_DC_FRAME_MAX, &chat), SKY_DC_ERROR);
  /* a binary chat can not continue a text part, nor a part a binary chat */
  unsigned char part[SKY_DC_PART_HEADER + 4] = {SKY_DC_BIN_PART, 9, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd'};
  assert_int_equal(sky_dc_receive_binary(&r, part, sizeof part, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 9, 20, 4, 0, 4, &chat), SKY_DC_ERROR);
  assert_int_equal(bin(&r, 9, 20, 0, 0, 4, &chat), SKY_DC_NONE);
  part[9] = 4;
  assert_int_equal(sky_dc_receive_binary(&r, part, sizeof part, &chat), SKY_DC_ERROR);
  /* a new message at offset 0 abandons an unfinished one, and is delivered whole */
  assert_int_equal(bin(&r, 4, 20, 0, 0, 10, &chat), SKY_DC_NONE);
  assert_int_equal(bin(&r, 5, 3, 0, SKY_DC_BIN_PRIVATE | 0x80, 3, &chat), SKY_DC_BINARY);
  assert_int_equal(chat.len, 3);
  assert_memory_equal(chat.content, "xxx", 3);
  assert_true(chat.is_private);
  assert_int_equal(chat.seq, 5);
  sky_dc_chat_clear(&chat);
  /* unknown kinds stay ignored */
  const unsigned char unknown[] = {0x03, 1, 2, 3};
  assert_int_equal(sky_dc_receive_binary(&r, unknown, sizeof unknown, &chat), SKY_DC_NONE);
  sky_dc_reasm_clear(&r);
}

/* The one-pass scanner: RFC 8259 values only, the nesting bound as
 * sky_json_depth counts it, and whether the text is compact. */
static void test_json_scanner(void **state) {
  (void)state;
  static const char *const good[] = {
      "0", "-0", "1.5e-3", "-12E+2", "true", "false", "null", "\"\"", "\"a\\u00e9\\n\\\"\\/\"",
      "[]", "{}", "[1,[2,{\"a\":null}]]", "{\"a\":{\"b\":[]},\"c\":\"\xc3\xa9\"}", "\"\x7f\xff\""};
  static const char *const bad[] = {
      "", " ", "01", "1.", ".5", "+1", "1e", "-", "tru", "nulll", "\"", "\"\\x\"", "\"\\u12g4\"", "\"a\nb\"",
      "[", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "[1 2]", "1 2", "[]]", "{}}", "\"a\"x",
      "NaN", "[\"\t\"]"};
  bool compact = false;
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    compact = false;
    assert_true(sky_json_valid(good[i], strlen(good[i]), SKY_JSON_DEPTH_MAX, &compact));
    assert_true(compact);
  }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_false(sky_json_valid(bad[i], strlen(bad[i]), SKY_JSON_DEPTH_MAX, NULL));
  /* whitespace: valid, not compact */
  const char *spaced = " [1, {\"a\" :\n2}]\t";
  assert_true(sky_json_valid(spaced, strlen(spaced), SKY_JSON_DEPTH_MAX, &compact));
  assert_false(compact);
  /* a NUL inside the given length is no JSON */
  assert_false(sky_json_valid("\"a\0\"", 4, SKY_JSON_DEPTH_MAX, NULL));
  assert_false(sky_json_valid("1\0", 2, SKY_JSON_DEPTH_MAX, NULL));
  /* nesting: [[1]] is 3 deep, [[]] 2 */
  assert_true(sky_json_valid("[[1]]", 5, 3, NULL));
  assert_false(sky_json_valid("[[1]]", 5, 2, NULL));
  assert_true(sky_json_valid("[[]]", 4, 2, NULL));
  assert_false(sky_json_valid("[[]]", 4, 1, NULL));
  char deep[200];
  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  assert_false(sky_json_valid(deep, 200, SKY_JSON_DEPTH_MAX, NULL));
  assert_false(sky_json_valid(deep, 200, 1000, NULL)); /* past the scanner's own stack */
}

/* A long chat's JSON content in frames: whitespace compacted on arrival,
 * invalid JSON an error for that message only (the next one arrives). */
static void test_json_chat_frames(void **state) {
  (void)state;
  size_t n = 100000;
  char *content = malloc(n + 1);
  memcpy(content, "[ \"", 3);
  memset(content + 3, 'y', n - 6);
  memcpy(content + n - 3, "\" ]", 4);
  frames fr = {0};
  assert_int_equal(sky_dc_encode_chat(content, true, 9, collect, &fr), 2);
  assert_true(fr.bin[0] && fr.bin[1]);
  sky_dc_reasm r = {0};
  sky_dc_chat chat = {0};
  assert_int_equal(sky_dc_receive_binary(&r, (const unsigned char *)fr.f[0], fr.len[0], &chat), SKY_DC_NONE);
  assert_int_equal(sky_dc_receive_binary(&r, (const unsigned char *)fr.f[1], fr.len[1], &chat), SKY_DC_CHAT);
  assert_int_equal(strlen(chat.content), n - 2); /* the two spaces gone */
  assert_true(chat.is_private);
  assert_int_equal(chat.seq, 9);
  sky_dc_chat_clear(&chat);
  /* the same frames with a broken byte: an error, then a good message passes */
  fr.f[1][fr.len[1] - 1] = '}';
  assert_int_equal(sky_dc_receive_binary(&r, (const unsigned char *)fr.f[0], fr.len[0], &chat), SKY_DC_NONE);
  assert_int_equal(sky_dc_receive_binary(&r, (const unsigned char *)fr.f[1], fr.len[1], &chat), SKY_DC_ERROR);
  assert_null(chat.content);
  fr.f[1][fr.len[1] - 1] = ']';
  assert_int_equal(sky_dc_receive_binary(&r, (const unsigned char *)fr.f[0], fr.len[0], &chat), SKY_DC_NONE);
  assert_int_equal(sky_dc_receive_binary(&r, (const unsigned char *)fr.f[1], fr.len[1], &chat), SKY_DC_CHAT);
  sky_dc_chat_clear(&chat);
  sky_dc_reasm_clear(&r);
  frames_free(&fr);
  free(content);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_small_round_trip),
    cmocka_unit_test(test_chunked_unicode_round_trip),
    cmocka_unit_test(test_escape_heavy_content),
    cmocka_unit_test(test_parts_full_and_bounded),
    cmocka_unit_test(test_too_large_refused),
    cmocka_unit_test(test_lying_peer),
    cmocka_unit_test(test_bad_frames),
    cmocka_unit_test(test_acks_and_sequence_numbers),
    cmocka_unit_test(test_binary_round_trips),
    cmocka_unit_test(test_binary_lying_peer),
    cmocka_unit_test(test_json_scanner),
    cmocka_unit_test(test_json_chat_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
