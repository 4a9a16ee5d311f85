#include "dc_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "json_util.h"
#include "protocol.h"

/* ---- encoding ---------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v) {
  for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> (8 * k));
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Frames len bytes (a binary chat's, or a chat's JSON content) as binary chat
 * frames carrying flags. */
static int encode_bin(const void *data, size_t len, unsigned char flags, uint32_t seq, sky_dc_sink sink,
                      void *user) {
  if ((!data && len) || !sink || len > SKY_DC_MESSAGE_MAX) return -1;
  /* One frame's worth (the whole message when shorter): the sink copies it. */
  size_t cap = SKY_DC_BIN_HEADER + (len < SKY_DC_BIN_SLICE_MAX ? len : SKY_DC_BIN_SLICE_MAX);
  unsigned char *frame = malloc(cap);
  if (!frame) return -1;
  int count = 0;
  size_t off = 0;
  do { /* at least one frame: an empty message is a header alone */
    size_t n = len - off < SKY_DC_BIN_SLICE_MAX ? len - off : SKY_DC_BIN_SLICE_MAX;
    frame[0] = SKY_DC_BIN_CHAT;
    put_u32(frame + 1, seq);
    put_u32(frame + 5, (uint32_t)len);
    put_u32(frame + 9, (uint32_t)off);
    frame[13] = flags;
    if (n) memcpy(frame + SKY_DC_BIN_HEADER, (const unsigned char *)data + off, n);
    off += n;
    count++;
    if (!sink(user, (const char *)frame, SKY_DC_BIN_HEADER + n, true)) {
      count = -1;
      break;
    }
  } while (off < len);
  free(frame);
  return count;
}

int sky_dc_encode_binary(const void *data, size_t len, bool is_private, uint32_t seq, sky_dc_sink sink,
                         void *user) {
  return encode_bin(data, len, is_private ? SKY_DC_BIN_PRIVATE : 0, seq, sink, user);
}

int sky_dc_encode_chat(const char *content_json, bool is_private, uint32_t msg_id,
                       sky_dc_sink sink, void *user) {
  if (!content_json || !sink) return -1;
  /* Written by hand, not through cJSON: the content is copied once, never
   * parsed or escaped again. */
  static const char head[] = "{\"t\":\"chat\",\"content\":";
  char tail[48];
  int tn = msg_id ? snprintf(tail, sizeof tail, ",\"private\":%s,\"s\":%lu}", is_private ? "true" : "false",
                             (unsigned long)msg_id)
                  : snprintf(tail, sizeof tail, ",\"private\":%s}", is_private ? "true" : "false");
  if (tn <= 0 || (size_t)tn >= sizeof tail) return -1;
  size_t clen = strlen(content_json), total = sizeof head - 1 + clen + (size_t)tn;
  if (total > SKY_DC_FRAME_MAX) {
    unsigned char flags = SKY_DC_BIN_JSON | (is_private ? SKY_DC_BIN_PRIVATE : 0);
    return clen ? encode_bin(content_json, clen, flags, msg_id, sink, user) : -1;
  }
  char *whole = malloc(total + 1); /* ours; freed below */
  if (!whole) return -1;
  memcpy(whole, head, sizeof head - 1);
  memcpy(whole + sizeof head - 1, content_json, clen);
  memcpy(whole + sizeof head - 1 + clen, tail, (size_t)tn + 1);
  int frames = sink(user, whole, total, false) ? 1 : -1;
  free(whole);
  return frames;
}

/* ---- decoding ---------------------------------------------------------- */

size_t sky_dc_encode_ack(uint32_t acked, bool heartbeat, char *out, size_t cap) {
  int n = acked ? snprintf(out, cap, "{\"t\":\"%s\",\"a\":%lu}", heartbeat ? "hb" : "ack", (unsigned long)acked)
                : snprintf(out, cap, "{\"t\":\"hb\"}"); /* nothing to acknowledge yet */
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void sky_dc_chat_clear(sky_dc_chat *chat) {
  if (!chat) return;
  free(chat->content);
  chat->content = NULL;
  chat->len = 0;
  chat->is_private = false;
  chat->seq = chat->acked = 0;
}

/* A sequence number field: an integer in 1..UINT32_MAX, else 0. */
static uint32_t seq_of(const cJSON *frame, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(frame, name);
  if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 4294967295.0) return 0;
  double d = v->valuedouble;
  return d == (double)(uint32_t)d ? (uint32_t)d : 0;
}

void sky_dc_reasm_clear(sky_dc_reasm *r) {
  if (!r) return;
  free(r->buf);
  memset(r, 0, sizeof *r);
}

static sky_dc_result decode_chat(const cJSON *frame, sky_dc_chat *out) {
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(frame, "content");
  const cJSON *priv = cJSON_GetObjectItemCaseSensitive(frame, "private");
  if (!content || sky_json_depth(content) > SKY_JSON_DEPTH_MAX) return SKY_DC_ERROR;
  char *text = cJSON_PrintUnformatted(content);
  if (!text) return SKY_DC_ERROR;
  out->content = text;
  out->is_private = cJSON_IsTrue(priv);
  out->seq = seq_of(frame, "s");
  return SKY_DC_CHAT;
}

static sky_dc_result decode_whole(const char *data, size_t len, sky_dc_chat *out) {
  /* A frame is an object from its first byte: cJSON would skip any bytes up to
   * 0x20 before it, and so take a binary part inside a part for a chat. */
  if (len == 0 || data[0] != '{') return SKY_DC_ERROR;
  cJSON *frame = cJSON_ParseWithLength(data, len);
  if (!cJSON_IsObject(frame)) {
    cJSON_Delete(frame);
    return SKY_DC_ERROR;
  }
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(frame, "t");
  sky_dc_result res = SKY_DC_NONE;
  if (!cJSON_IsString(t)) res = SKY_DC_ERROR;
  else if (strcmp(t->valuestring, "chat") == 0) res = decode_chat(frame, out);
  else if ((out->acked = seq_of(frame, "a"))) res = SKY_DC_ACK; /* ack, or a heartbeat with one */
  cJSON_Delete(frame);
  return res;
}

static sky_dc_result reasm_fail(sky_dc_reasm *r) {
  sky_dc_reasm_clear(r);
  return SKY_DC_ERROR;
}

static void out_clear(sky_dc_chat *out) {
  out->content = NULL;
  out->len = 0;
  out->is_private = false;
  out->seq = out->acked = 0;
}

sky_dc_result sky_dc_receive(sky_dc_reasm *r, const char *data, size_t len, sky_dc_chat *out) {
  if (!r || !out || !data) return SKY_DC_ERROR;
  out_clear(out);
  if (len > SKY_DC_FRAME_MAX) return reasm_fail(r);
  return decode_whole(data, len, out);
}

/* Appends one slice of a part / binary chat frame to the message in progress.
 * NONE while more is to come, CHAT when whole (r->buf holds it), ERROR. */
static sky_dc_result reasm_add(sky_dc_reasm *r, unsigned char kind, uint32_t id, uint32_t total, uint32_t off,
                               unsigned char flags, const unsigned char *slice, size_t dlen) {
  if (total > SKY_DC_MESSAGE_MAX) return reasm_fail(r);
  if (off == 0) { /* a new message starts; any unfinished one was a lie */
    sky_dc_reasm_clear(r);
    r->id = id;
    r->expected = total;
    r->kind = kind;
    r->flags = flags;
  } else if (r->expected == 0 || r->kind != kind || r->id != id || r->expected != total || r->len != off ||
             r->flags != flags) {
    return reasm_fail(r);
  }
  if (dlen > r->expected - r->len) return reasm_fail(r);
  size_t need = r->len + dlen + 1;
  if (need > r->cap) {
    /* Doubling keeps copying linear (growing by each slice copied a 256 KiB
     * message ~16 times over); never past twice what actually arrived nor past
     * what was announced, so a lying header buys nothing. */
    size_t cap = 2 * r->cap > need ? 2 * r->cap : need;
    if (cap > r->expected + 1) cap = r->expected + 1;
    char *grown = realloc(r->buf, cap);
    if (!grown) return reasm_fail(r);
    r->buf = grown;
    r->cap = cap;
  }
  if (dlen) memcpy(r->buf + r->len, slice, dlen);
  r->len += dlen;
  r->buf[r->len] = '\0';
  return r->len < r->expected ? SKY_DC_NONE : SKY_DC_CHAT;
}

/* A reassembled JSON chat content (buf, len: malloc'd, taken over): checked in
 * one pass and delivered as it is, compacted first only when it has whitespace
 * (a sender other than ours). */
static sky_dc_result json_content(char *buf, size_t len, sky_dc_chat *out) {
  bool compact = false;
  if (!sky_json_valid(buf, len, SKY_JSON_DEPTH_MAX, &compact)) {
    free(buf);
    return SKY_DC_ERROR;
  }
  if (!compact) {
    char *c = sky_json_compact(buf, len, SKY_JSON_DEPTH_MAX);
    free(buf);
    if (!c) return SKY_DC_ERROR;
    buf = c;
  }
  out->content = buf;
  return SKY_DC_CHAT;
}

static sky_dc_result receive_bin_chat(sky_dc_reasm *r, const unsigned char *data, size_t len, sky_dc_chat *out) {
  if (len < SKY_DC_BIN_HEADER) return reasm_fail(r);
  uint32_t seq = get_u32(data + 1), total = get_u32(data + 5), off = get_u32(data + 9);
  unsigned char flags = data[13] & (SKY_DC_BIN_PRIVATE | SKY_DC_BIN_JSON);
  size_t dlen = len - SKY_DC_BIN_HEADER;
  /* Only an empty message has an empty frame. */
  if (dlen == 0 && total != 0) return reasm_fail(r);
  sky_dc_result res = reasm_add(r, SKY_DC_BIN_CHAT, seq, total, off, flags, data + SKY_DC_BIN_HEADER, dlen);
  if (res != SKY_DC_CHAT) return res;
  char *buf = r->buf;
  size_t blen = r->len;
  r->buf = NULL;
  sky_dc_reasm_clear(r);
  out->is_private = flags & SKY_DC_BIN_PRIVATE;
  out->seq = seq;
  if (flags & SKY_DC_BIN_JSON) {
    res = json_content(buf, blen, out);
    if (res != SKY_DC_CHAT) out_clear(out);
    return res;
  }
  out->content = buf;
  out->len = blen;
  return SKY_DC_BINARY;
}

sky_dc_result sky_dc_receive_binary(sky_dc_reasm *r, const unsigned char *data, size_t len,
                                    sky_dc_chat *out) {
  if (!r || !out || !data) return SKY_DC_ERROR;
  out_clear(out);
  if (len > SKY_DC_FRAME_MAX) return reasm_fail(r);
  if (len >= 1 && data[0] == SKY_DC_BIN_CHAT) return receive_bin_chat(r, data, len, out);
  if (len < 1 || data[0] != SKY_DC_BIN_PART) return SKY_DC_NONE; /* unknown kind */
  if (len <= SKY_DC_PART_HEADER) return reasm_fail(r);           /* no slice */
  uint32_t id = get_u32(data + 1), total = get_u32(data + 5), off = get_u32(data + 9);
  if (total == 0) return reasm_fail(r);
  sky_dc_result res = reasm_add(r, SKY_DC_BIN_PART, id, total, off, 0, data + SKY_DC_PART_HEADER,
                                len - SKY_DC_PART_HEADER);
  if (res != SKY_DC_CHAT) return res;
  char *whole = r->buf;
  size_t whole_len = r->len;
  r->buf = NULL;
  sky_dc_reasm_clear(r);
  res = decode_whole(whole, whole_len, out);
  free(whole);
  return res;
}
