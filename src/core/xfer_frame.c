/* Data-transfer frames: encode and decode (xfer_frame.h). */
#include "xfer_frame.h"

#include <string.h>

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

size_t sky_xf_encode(const sky_xf_frame *f, unsigned char *out, size_t cap) {
  size_t need = SKY_XF_HEADER;
  switch (f->op) {
  case SKY_XF_OFFER:
    if (f->name_len > SKY_XF_NAME_MAX || f->mime_len > SKY_XF_MIME_MAX || f->size > SKY_XF_SIZE_MAX ||
        !f->chunk || f->chunk > SKY_XF_CHUNK_MAX || !f->timeout_s || f->timeout_s > SKY_XF_TIMEOUT_MAX)
      return 0;
    need += 8 + 4 + 4 + 1 + 2 + f->name_len + 2 + f->mime_len;
    break;
  case SKY_XF_DATA:
  case SKY_XF_ACK: need += 8; break;
  case SKY_XF_CANCEL_UP:
  case SKY_XF_CANCEL_DOWN: need += 1; break;
  case SKY_XF_ACCEPT:
  case SKY_XF_REJECT: break;
  default: return 0;
  }
  if (need > cap) return 0;
  out[0] = SKY_XF_KIND;
  out[1] = (unsigned char)f->op;
  put32(out + 2, f->id);
  unsigned char *p = out + SKY_XF_HEADER;
  switch (f->op) {
  case SKY_XF_OFFER:
    put64(p, f->size);
    put32(p + 8, f->chunk);
    put32(p + 12, f->timeout_s);
    p[16] = f->flags;
    p[17] = (unsigned char)f->name_len;
    p[18] = (unsigned char)(f->name_len >> 8);
    if (f->name_len) memcpy(p + 19, f->name, f->name_len);
    p += 19 + f->name_len;
    p[0] = (unsigned char)f->mime_len;
    p[1] = (unsigned char)(f->mime_len >> 8);
    if (f->mime_len) memcpy(p + 2, f->mime, f->mime_len);
    break;
  case SKY_XF_DATA:
  case SKY_XF_ACK: put64(p, f->offset); break;
  case SKY_XF_CANCEL_UP:
  case SKY_XF_CANCEL_DOWN: p[0] = (unsigned char)f->reason; break;
  default: break;
  }
  return need;
}

/* The OFFER's fields after the header (rest, n bytes). */
static bool decode_offer(const unsigned char *rest, size_t n, sky_xf_frame *out) {
  if (n < 19) return false;
  out->size = get64(rest);
  out->chunk = get32(rest + 8);
  out->timeout_s = get32(rest + 12);
  out->flags = rest[16];
  out->name_len = (size_t)rest[17] | (size_t)rest[18] << 8;
  if (out->size > SKY_XF_SIZE_MAX || !out->chunk || out->chunk > SKY_XF_CHUNK_MAX || !out->timeout_s ||
      out->timeout_s > SKY_XF_TIMEOUT_MAX || out->name_len > SKY_XF_NAME_MAX)
    return false;
  if (n < 19 + out->name_len + 2) return false;
  out->name = (const char *)rest + 19;
  const unsigned char *m = rest + 19 + out->name_len;
  out->mime_len = (size_t)m[0] | (size_t)m[1] << 8;
  if (out->mime_len > SKY_XF_MIME_MAX || n != 19 + out->name_len + 2 + out->mime_len) return false;
  out->mime = (const char *)m + 2;
  return true;
}

bool sky_xf_decode(const unsigned char *buf, size_t len, sky_xf_frame *out) {
  memset(out, 0, sizeof *out);
  if (!buf || len < SKY_XF_HEADER || buf[0] != SKY_XF_KIND) return false;
  out->op = (sky_xf_op)buf[1];
  out->id = get32(buf + 2);
  const unsigned char *rest = buf + SKY_XF_HEADER;
  size_t n = len - SKY_XF_HEADER;
  switch (buf[1]) {
  case SKY_XF_OFFER: return decode_offer(rest, n, out);
  case SKY_XF_ACCEPT:
  case SKY_XF_REJECT: return n == 0;
  case SKY_XF_ACK:
    if (n != 8) return false;
    out->offset = get64(rest);
    return out->offset <= SKY_XF_SIZE_MAX;
  case SKY_XF_DATA:
    if (n <= 8 || n - 8 > SKY_XF_CHUNK_MAX) return false;
    out->offset = get64(rest);
    out->data = rest + 8;
    out->data_len = n - 8;
    return out->offset <= SKY_XF_SIZE_MAX;
  case SKY_XF_CANCEL_UP:
  case SKY_XF_CANCEL_DOWN:
    if (n != 1) return false;
    out->reason = rest[0] <= SKY_XF_R_BUSY ? (sky_xf_reason)rest[0] : SKY_XF_R_ERROR;
    return true;
  default: return false;
  }
}
