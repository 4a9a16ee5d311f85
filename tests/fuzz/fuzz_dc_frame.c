/* Fuzzes the data-channel framing (src/core/dc_frame.h): the frame decoder and
 * the chunk reassembler, fed by a malicious peer.
 *
 * The first input byte picks a mode:
 *   0: a stream of frames (separated by the byte 0x1E) into one reassembler; a
 *      frame whose first byte is 0x01..0x03 is fed as a binary frame, the others
 *      as text: parts that lie about id / total / offset, parts of interleaved
 *      messages, parts after a chat, chats inside parts ... Properties: no crash,
 *      no leak, the reassembler never holds more than SKY_DC_MESSAGE_MAX bytes
 *      nor more than it was sent, every delivered chat is valid JSON no deeper
 *      than SKY_JSON_DEPTH_MAX.
 *   1: round trip of the rest as JSON content: whatever sky_dc_encode_chat
 *      sends (frames no larger than SKY_DC_FRAME_MAX) decodes to exactly one chat
 *      with the same content, delivered by the last frame.
 *   2: round trip of a long string built by repeating the rest, so the encoder
 *      chunks (up to past SKY_DC_MESSAGE_MAX, where it must refuse).
 *   3: round trip, then the same frames replayed with one frame dropped,
 *      duplicated or swapped (byte 1 picks which): the reassembler must not
 *      deliver a different message; at most it delivers nothing.
 * Modes 1..3 also send the raw rest (mode 2: repeated) as a binary chat
 * (SKY_DC_BIN_CHAT frames), with the same checks: the bytes, seq and private
 * flag come back exactly, once, and a damaged sequence delivers nothing else.
 * Mode 0 feeds frames starting 0x02 as binary chats too: no crash, no leak,
 * bounded, and a delivered binary chat has exactly len bytes; with the JSON
 * flag (bit 1) a delivered chat is valid JSON no deeper than the limit.
 * Long chats travel as JSON-flagged binary chat frames, so modes 2 and 3
 * round-trip through the one-pass scanner (sky_json_valid) on the receiving side.
 *   4: the scanner against cJSON: whatever sky_json_valid accepts, cJSON parses
 *      entirely, to a depth within the limit, and sky_json_compact accepts; the
 *      rest sent as JSON-flagged binary chat frames is delivered exactly when
 *      the scanner accepts it, compact, and then equal to it when it was compact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "dc_frame.h"
#include "json_util.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

/* Nesting as sky_json_depth() computes it (1 + the deepest child; a scalar is 1,
 * so [1] is 2). Note: json_util.h's comment says [[1]] is 2; the code says 3. */
static int depth_of(const cJSON *item) {
  int deepest = 0;
  for (const cJSON *c = item->child; c; c = c->next) {
    int d = depth_of(c);
    if (d > deepest) deepest = d;
  }
  return 1 + deepest;
}

/* Asserts the reassembler's invariants after every frame. */
static void check_reasm(const sky_dc_reasm *r, size_t fed) {
  CHECK(r->len <= SKY_DC_MESSAGE_MAX);
  CHECK(r->expected <= SKY_DC_MESSAGE_MAX);
  CHECK(r->len <= r->expected || (r->len == 0 && r->expected == 0));
  CHECK(r->len <= fed); /* never more than what actually arrived */
  CHECK(r->buf != NULL || r->len == 0);
}

static void check_chat(const sky_dc_chat *chat) {
  CHECK(chat->content != NULL);
  cJSON *parsed = cJSON_Parse(chat->content);
  CHECK(parsed != NULL);
  CHECK(depth_of(parsed) <= SKY_JSON_DEPTH_MAX);
  cJSON_Delete(parsed);
}

static void feed(sky_dc_reasm *r, const char *frame, size_t len, size_t *fed) {
  sky_dc_chat chat;
  memset(&chat, 0, sizeof chat);
  *fed += len;
  bool binary = len && (uint8_t)frame[0] >= 0x01 && (uint8_t)frame[0] <= 0x03;
  sky_dc_result res = binary ? sky_dc_receive_binary(r, (const unsigned char *)frame, len, &chat)
                             : sky_dc_receive(r, frame, len, &chat);
  CHECK(res == SKY_DC_NONE || res == SKY_DC_CHAT || res == SKY_DC_ACK || res == SKY_DC_ERROR ||
        res == SKY_DC_BINARY);
  if (res == SKY_DC_CHAT) check_chat(&chat);
  else if (res == SKY_DC_BINARY) CHECK(chat.content && chat.len <= SKY_DC_MESSAGE_MAX && chat.len <= *fed &&
                                       chat.content[chat.len] == '\0');
  else CHECK(chat.content == NULL);
  if (res == SKY_DC_ACK) CHECK(chat.acked > 0); /* an ack names a real sequence number */
  sky_dc_chat_clear(&chat);
  check_reasm(r, *fed);
}

static void stream(const uint8_t *data, size_t size) {
  sky_dc_reasm r;
  memset(&r, 0, sizeof r);
  size_t fed = 0;
  size_t start = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i == size || data[i] == 0x1E) {
      /* A private copy, exactly len bytes: ASan sees any read past the frame. */
      size_t len = i - start;
      char *frame = malloc(len ? len : 1);
      CHECK(frame);
      memcpy(frame, data + start, len);
      feed(&r, frame, len, &fed);
      free(frame);
      start = i + 1;
    }
  }
  sky_dc_reasm_clear(&r);
}

/* ---- round trips ---------------------------------------------------------- */

typedef struct frames {
  char **items;
  size_t *lens;
  bool *bins;
  size_t count;
} frames;

static bool collect(void *user, const char *frame, size_t len, bool binary) {
  frames *f = user;
  CHECK(len <= SKY_DC_FRAME_MAX);
  if (binary) CHECK((len > SKY_DC_PART_HEADER && (uint8_t)frame[0] == SKY_DC_BIN_PART) ||
                    (len >= SKY_DC_BIN_HEADER && (uint8_t)frame[0] == SKY_DC_BIN_CHAT));
  else CHECK(strlen(frame) == len);
  char **items = realloc(f->items, (f->count + 1) * sizeof *items);
  size_t *lens = realloc(f->lens, (f->count + 1) * sizeof *lens);
  bool *bins = realloc(f->bins, (f->count + 1) * sizeof *bins);
  CHECK(items && lens && bins);
  f->items = items;
  f->lens = lens;
  f->bins = bins;
  f->items[f->count] = malloc(len ? len : 1);
  CHECK(f->items[f->count]);
  memcpy(f->items[f->count], frame, len);
  f->lens[f->count] = len;
  f->bins[f->count] = binary;
  f->count++;
  return true;
}

static void frames_free(frames *f) {
  for (size_t i = 0; i < f->count; i++) free(f->items[i]);
  free(f->items);
  free(f->lens);
  free(f->bins);
  memset(f, 0, sizeof *f);
}

/* Feeds frames in the given order; returns the delivered chats (0..n), checking
 * that each equals content. */
static int replay(const frames *f, const size_t *order, size_t n, const char *content, bool is_private,
                  bool must_match) {
  sky_dc_reasm r;
  memset(&r, 0, sizeof r);
  int delivered = 0;
  size_t fed = 0;
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k];
    sky_dc_chat chat;
    memset(&chat, 0, sizeof chat);
    fed += f->lens[i];
    sky_dc_result res = f->bins[i] ? sky_dc_receive_binary(&r, (const unsigned char *)f->items[i], f->lens[i], &chat)
                                   : sky_dc_receive(&r, f->items[i], f->lens[i], &chat);
    if (res == SKY_DC_CHAT) {
      check_chat(&chat);
      if (must_match) {
        CHECK(strcmp(chat.content, content) == 0);
        CHECK(chat.is_private == is_private);
      } else {
        /* A damaged sequence may deliver nothing, or the one true message. */
        CHECK(strcmp(chat.content, content) == 0);
      }
      delivered++;
    }
    sky_dc_chat_clear(&chat);
    check_reasm(&r, fed);
  }
  sky_dc_reasm_clear(&r);
  return delivered;
}

static void round_trip(const char *content, bool is_private, uint32_t msg_id, int damage) {
  frames f;
  memset(&f, 0, sizeof f);
  int n = sky_dc_encode_chat(content, is_private, msg_id, collect, &f);
  if (n < 0) {
    /* Refused: only for messages over the limit. */
    CHECK(strlen(content) > SKY_DC_MESSAGE_MAX - 64);
    frames_free(&f);
    return;
  }
  CHECK((size_t)n == f.count && n >= 1);
  size_t *order = malloc(f.count * sizeof *order);
  CHECK(order);
  for (size_t i = 0; i < f.count; i++) order[i] = i;
  CHECK(replay(&f, order, f.count, content, is_private, true) == 1);

  if (damage >= 0 && f.count > 1) {
    size_t victim = (size_t)damage % f.count;
    size_t m = f.count;
    switch ((damage / 7) % 3) {
    case 0: /* drop one part */
      memmove(order + victim, order + victim + 1, (m - victim - 1) * sizeof *order);
      m--;
      CHECK(replay(&f, order, m, content, is_private, false) == 0);
      break;
    case 1: { /* duplicate one part */
      size_t *dup = malloc((m + 1) * sizeof *dup);
      CHECK(dup);
      memcpy(dup, order, (victim + 1) * sizeof *dup);
      memcpy(dup + victim + 1, order + victim, (m - victim) * sizeof *dup);
      /* Duplicating the last part after delivery may not deliver twice. */
      CHECK(replay(&f, dup, m + 1, content, is_private, false) <= 1);
      free(dup);
      break;
    }
    default: { /* swap two neighbours */
      size_t other = victim + 1 < m ? victim + 1 : victim - 1;
      size_t t = order[victim];
      order[victim] = order[other];
      order[other] = t;
      CHECK(replay(&f, order, m, content, is_private, false) == 0);
      break;
    }
    }
  }
  free(order);
  frames_free(&f);
}

/* Feeds the frames of a binary chat in the given order; returns how many
 * binary chats came out, each checked to be exactly (data, len). */
static int replay_binary(const frames *f, const size_t *order, size_t n, const uint8_t *data, size_t len,
                         bool is_private, uint32_t seq) {
  sky_dc_reasm r;
  memset(&r, 0, sizeof r);
  int delivered = 0;
  size_t fed = 0;
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k];
    sky_dc_chat chat;
    memset(&chat, 0, sizeof chat);
    fed += f->lens[i];
    CHECK(f->bins[i]);
    sky_dc_result res = sky_dc_receive_binary(&r, (const unsigned char *)f->items[i], f->lens[i], &chat);
    CHECK(res != SKY_DC_CHAT && res != SKY_DC_ACK);
    if (res == SKY_DC_BINARY) {
      CHECK(chat.len == len && (len == 0 || memcmp(chat.content, data, len) == 0));
      CHECK(chat.is_private == is_private && chat.seq == seq);
      delivered++;
    }
    sky_dc_chat_clear(&chat);
    check_reasm(&r, fed);
  }
  sky_dc_reasm_clear(&r);
  return delivered;
}

static void binary_round_trip(const uint8_t *data, size_t len, bool is_private, uint32_t seq, int damage) {
  frames f;
  memset(&f, 0, sizeof f);
  int n = sky_dc_encode_binary(data, len, is_private, seq, collect, &f);
  if (n < 0) {
    CHECK(len > SKY_DC_MESSAGE_MAX && f.count == 0);
    return;
  }
  CHECK((size_t)n == f.count && n >= 1);
  CHECK(f.count == (len ? (len + SKY_DC_BIN_SLICE_MAX - 1) / SKY_DC_BIN_SLICE_MAX : 1));
  size_t *order = malloc((f.count + 1) * sizeof *order);
  CHECK(order);
  for (size_t i = 0; i < f.count; i++) order[i] = i;
  CHECK(replay_binary(&f, order, f.count, data, len, is_private, seq) == 1);
  if (damage >= 0 && f.count > 1) {
    size_t victim = (size_t)damage % f.count, m = f.count;
    switch ((damage / 7) % 3) {
    case 0: /* drop one frame */
      memmove(order + victim, order + victim + 1, (m - victim - 1) * sizeof *order);
      CHECK(replay_binary(&f, order, m - 1, data, len, is_private, seq) == 0);
      break;
    case 1: /* duplicate one frame */
      memmove(order + victim + 1, order + victim, (m - victim) * sizeof *order);
      CHECK(replay_binary(&f, order, m + 1, data, len, is_private, seq) <= 1);
      break;
    default: { /* swap two neighbours */
      size_t other = victim + 1 < m ? victim + 1 : victim - 1;
      size_t t = order[victim];
      order[victim] = order[other];
      order[other] = t;
      CHECK(replay_binary(&f, order, m, data, len, is_private, seq) == 0);
      break;
    }
    }
  }
  free(order);
  frames_free(&f);
}

/* Mode 4: the scanner against cJSON, and raw JSON chat frames. */
static void scanner(const uint8_t *data, size_t size, uint8_t arg) {
  const char *text = (const char *)data;
  bool compact = false;
  bool valid = sky_json_valid(text, size, SKY_JSON_DEPTH_MAX, &compact);
  if (valid) {
    const char *end = NULL;
    cJSON *parsed = cJSON_ParseWithLengthOpts(text, size, &end, 0);
    CHECK(parsed != NULL);
    CHECK(depth_of(parsed) <= SKY_JSON_DEPTH_MAX);
    cJSON_Delete(parsed);
    char *c = sky_json_compact(text, size, SKY_JSON_DEPTH_MAX);
    CHECK(c != NULL);
    free(c);
  }
  /* The bytes as a chat's JSON content in binary chat frames, as a peer may send. */
  frames f;
  memset(&f, 0, sizeof f);
  unsigned char flags = SKY_DC_BIN_JSON | (arg & SKY_DC_BIN_PRIVATE);
  /* sky_dc_encode_chat frames only long content; build the frames of any size here. */
  size_t off = 0;
  do {
    size_t n = size - off < SKY_DC_BIN_SLICE_MAX ? size - off : SKY_DC_BIN_SLICE_MAX;
    unsigned char *frame = malloc(SKY_DC_BIN_HEADER + n);
    CHECK(frame);
    uint32_t v[3] = {arg, (uint32_t)size, (uint32_t)off};
    frame[0] = SKY_DC_BIN_CHAT;
    for (int k = 0; k < 3; k++)
      for (int b = 0; b < 4; b++) frame[1 + 4 * k + b] = (unsigned char)(v[k] >> (8 * b));
    frame[13] = flags;
    if (n) memcpy(frame + SKY_DC_BIN_HEADER, data + off, n);
    collect(&f, (const char *)frame, SKY_DC_BIN_HEADER + n, true);
    free(frame);
    off += n;
  } while (off < size);
  sky_dc_reasm r;
  memset(&r, 0, sizeof r);
  int delivered = 0, errors = 0;
  for (size_t i = 0; i < f.count; i++) {
    sky_dc_chat chat;
    memset(&chat, 0, sizeof chat);
    sky_dc_result res = sky_dc_receive_binary(&r, (const unsigned char *)f.items[i], f.lens[i], &chat);
    CHECK(res != SKY_DC_BINARY && res != SKY_DC_ACK);
    if (res == SKY_DC_CHAT) {
      check_chat(&chat);
      bool c2 = false;
      CHECK(sky_json_valid(chat.content, strlen(chat.content), SKY_JSON_DEPTH_MAX, &c2) && c2);
      if (compact) CHECK(strlen(chat.content) == size && memcmp(chat.content, data, size) == 0);
      CHECK(chat.is_private == (bool)(arg & SKY_DC_BIN_PRIVATE) && chat.seq == arg);
      delivered++;
    }
    if (res == SKY_DC_ERROR) errors++;
    sky_dc_chat_clear(&chat);
  }
  sky_dc_reasm_clear(&r);
  frames_free(&f);
  /* Delivered once exactly when valid (an over-long one is refused whole). */
  if (size > SKY_DC_MESSAGE_MAX) CHECK(delivered == 0);
  else CHECK(delivered == (valid ? 1 : 0) && errors == (valid ? 0 : 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t mode = data[0] % 5;
  uint8_t arg = data[1];
  data += 2;
  size -= 2;
  switch (mode) {
  case 0:
    stream(data, size);
    break;
  case 1:
  case 3: {
    binary_round_trip(data, size, arg & 1, arg, mode == 3 ? arg : -1);
    cJSON *parsed = cJSON_ParseWithLength((const char *)data, size);
    if (parsed && depth_of(parsed) <= SKY_JSON_DEPTH_MAX) {
      char *content = cJSON_PrintUnformatted(parsed);
      CHECK(content);
      round_trip(content, arg & 1, arg, mode == 3 ? arg : -1);
      free(content);
    }
    cJSON_Delete(parsed);
    break;
  }
  case 4:
    scanner(data, size, arg);
    break;
  case 2: {
    /* A string of size * (1 + arg) bytes (up to ~17 MB for huge inputs: capped). */
    size_t reps = (size_t)arg + 1;
    size_t total = size * reps;
    if (total == 0 || total > 2 * SKY_DC_MESSAGE_MAX) break;
    char *text = malloc(total + 1);
    CHECK(text);
    for (size_t k = 0; k < reps; k++) memcpy(text + k * size, data, size);
    binary_round_trip((const uint8_t *)text, total, arg & 2, 7u * arg, arg);
    for (size_t k = 0; k < total; k++) if (text[k] == '\0') text[k] = ' ';
    text[total] = '\0';
    cJSON *s = cJSON_CreateString(text);
    free(text);
    CHECK(s);
    char *content = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    CHECK(content);
    round_trip(content, arg & 2, 7u * arg, arg);
    free(content);
    break;
  }
  }
  return 0;
}
