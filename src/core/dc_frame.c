#include "dc_frame.h"

#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "json_util.h"
#include "protocol.h"

/* ---- encoding ---------------------------------------------------------- */

/* Largest prefix of text[0..max) that does not cut a UTF-8 sequence. */
static size_t utf8_cut(const char *text, size_t len, size_t max) {
  if (len <= max) return len;
  size_t cut = max;
  while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--;
  return cut ? cut : max; /* invalid UTF-8 cannot come from cJSON; be safe anyway */
}

static int send_parts(const char *whole, size_t total, uint32_t msg_id, sky_dc_sink sink,
                      void *user) {
  uint32_t count = 0;
  for (size_t off = 0; off < total; count++) off += utf8_cut(whole + off, total - off, SKY_DC_SLICE_MAX);

  char slice[SKY_DC_SLICE_MAX + 1];
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    size_t n = utf8_cut(whole + off, total - off, SKY_DC_SLICE_MAX);
    memcpy(slice, whole + off, n);
    slice[n] = '\0';
    off += n;

    cJSON *part = cJSON_CreateObject();
    if (!part || !cJSON_AddStringToObject(part, "t", "part") ||
        !cJSON_AddNumberToObject(part, "id", msg_id) || !cJSON_AddNumberToObject(part, "i", i) ||
        !cJSON_AddNumberToObject(part, "n", count) ||
        !cJSON_AddNumberToObject(part, "len", (double)total) ||
        !cJSON_AddStringToObject(part, "d", slice)) {
      cJSON_Delete(part);
      return -1;
    }
    char *frame = cJSON_PrintUnformatted(part);
    cJSON_Delete(part);
    if (!frame) return -1;
    size_t flen = strlen(frame);
    /* A slice of cJSON output holds no control characters, so escaping at most
     * doubles it: 2 * SKY_DC_SLICE_MAX + header < SKY_DC_FRAME_MAX. */
    bool ok = flen <= SKY_DC_FRAME_MAX && sink(user, frame, flen);
    free(frame);
    if (!ok) return -1;
  }
  return (int)count;
}

int sky_dc_encode_chat(const char *content_json, bool is_private, uint32_t msg_id,
                       sky_dc_sink sink, void *user) {
  if (!content_json || !sink) return -1;
  cJSON *msg = cJSON_CreateObject();
  if (!msg || !cJSON_AddStringToObject(msg, "t", "chat") ||
      !cJSON_AddItemToObject(msg, "content", cJSON_CreateRaw(content_json)) ||
      !cJSON_AddBoolToObject(msg, "private", is_private)) {
    cJSON_Delete(msg);
    return -1;
  }
  char *whole = cJSON_PrintUnformatted(msg);
  cJSON_Delete(msg);
  if (!whole) return -1;
  size_t total = strlen(whole);
  int frames;
  if (total > SKY_DC_MESSAGE_MAX) frames = -1;
  else if (total <= SKY_DC_FRAME_MAX) frames = sink(user, whole, total) ? 1 : -1;
  else frames = send_parts(whole, total, msg_id, sink, user);
  free(whole);
  return frames;
}

/* ---- decoding ---------------------------------------------------------- */

void sky_dc_chat_clear(sky_dc_chat *chat) {
  if (!chat) return;
  free(chat->content);
  chat->content = NULL;
  chat->is_private = false;
}

void sky_dc_reasm_clear(sky_dc_reasm *r) {
  if (!r) return;
  free(r->buf);
  memset(r, 0, sizeof *r);
}

/* Reads a non-negative integer field no larger than max; -1 when absent or bad. */
static double uint_field(const cJSON *obj, const char *name, double max) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(f)) return -1;
  double v = f->valuedouble;
  if (v < 0 || v > max || v != (double)(uint32_t)v) return -1;
  return v;
}

static sky_dc_result decode_chat(const cJSON *frame, sky_dc_chat *out) {
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(frame, "content");
  const cJSON *priv = cJSON_GetObjectItemCaseSensitive(frame, "private");
  if (!content || sky_json_depth(content) > SKY_JSON_DEPTH_MAX) return SKY_DC_ERROR;
  char *text = cJSON_PrintUnformatted(content);
  if (!text) return SKY_DC_ERROR;
  out->content = text;
  out->is_private = cJSON_IsTrue(priv);
  return SKY_DC_CHAT;
}

static sky_dc_result decode_whole(const char *data, size_t len, sky_dc_chat *out, bool allow_part,
                                  sky_dc_reasm *r);

static sky_dc_result reasm_fail(sky_dc_reasm *r) {
  sky_dc_reasm_clear(r);
  return SKY_DC_ERROR;
}

static sky_dc_result decode_part(sky_dc_reasm *r, const cJSON *frame, sky_dc_chat *out) {
  double id = uint_field(frame, "id", 4294967295.0);
  double i = uint_field(frame, "i", SKY_DC_MESSAGE_MAX);
  double n = uint_field(frame, "n", SKY_DC_MESSAGE_MAX);
  double total = uint_field(frame, "len", SKY_DC_MESSAGE_MAX);
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(frame, "d");
  if (id < 0 || i < 0 || n < 1 || total < 1 || i >= n || !cJSON_IsString(d)) return reasm_fail(r);

  if (i == 0) { /* a new message starts; any unfinished one was a lie */
    sky_dc_reasm_clear(r);
    r->id = (uint32_t)id;
    r->count = (uint32_t)n;
    r->expected = (size_t)total;
  } else if (r->expected == 0 || r->id != (uint32_t)id || r->next != (uint32_t)i ||
             r->count != (uint32_t)n || r->expected != (size_t)total) {
    return reasm_fail(r);
  }

  size_t dlen = strlen(d->valuestring);
  if (dlen > SKY_DC_SLICE_MAX || dlen > r->expected - r->len) return reasm_fail(r);
  /* Grow by what actually arrived, never by what was announced. */
  char *grown = realloc(r->buf, r->len + dlen + 1);
  if (!grown) return reasm_fail(r);
  r->buf = grown;
  memcpy(r->buf + r->len, d->valuestring, dlen);
  r->len += dlen;
  r->buf[r->len] = '\0';
  r->next++;

  if (r->next < r->count) return SKY_DC_NONE;
  if (r->len != r->expected) return reasm_fail(r);
  char *whole = r->buf;
  size_t whole_len = r->len;
  r->buf = NULL;
  sky_dc_reasm_clear(r);
  sky_dc_result res = decode_whole(whole, whole_len, out, false, r);
  free(whole);
  return res;
}

static sky_dc_result decode_whole(const char *data, size_t len, sky_dc_chat *out, bool allow_part,
                                  sky_dc_reasm *r) {
  cJSON *frame = cJSON_ParseWithLength(data, len);
  if (!cJSON_IsObject(frame)) {
    cJSON_Delete(frame);
    return SKY_DC_ERROR;
  }
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(frame, "t");
  sky_dc_result res = SKY_DC_NONE;
  if (!cJSON_IsString(t)) res = SKY_DC_ERROR;
  else if (strcmp(t->valuestring, "chat") == 0) res = decode_chat(frame, out);
  else if (strcmp(t->valuestring, "part") == 0) res = allow_part ? decode_part(r, frame, out) : SKY_DC_ERROR;
  cJSON_Delete(frame);
  return res;
}

sky_dc_result sky_dc_receive(sky_dc_reasm *r, const char *data, size_t len, sky_dc_chat *out) {
  if (!r || !out || !data) return SKY_DC_ERROR;
  out->content = NULL;
  out->is_private = false;
  if (len > SKY_DC_FRAME_MAX) return reasm_fail(r);
  return decode_whole(data, len, out, true, r);
}
