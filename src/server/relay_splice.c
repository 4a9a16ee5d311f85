/* The relay fast path. See relay_splice.h for the contract.
 *
 * The canonical spelling is what sky_msg_encode (cJSON_PrintUnformatted) writes:
 *   {"type":T[,"ref":R],"to":ID,FIELDS}
 * with no whitespace, FIELDS in schema order, optional fields omitted when
 * empty, strings escaped only as cJSON escapes them (\" \\ \b \f \n \r \t; any
 * other control character would be \u00XX, which we leave to the slow path)
 * and integers in plain decimal. */
#include "relay_splice.h"

#include <string.h>

/* A cursor over the frame: every step checks the bytes it needs are there. */
typedef struct cursor {
  const unsigned char *p, *end;
} cursor;

static bool take(cursor *c, const char *literal) {
  size_t n = strlen(literal);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, literal, n) != 0) return false;
  c->p += n;
  return true;
}

/* Length of the valid multi-byte UTF-8 sequence at s (s[0] >= 0x80, n bytes
 * there), 0 when invalid: the decoder's rule (Unicode table 3-7: no overlongs, surrogates or values
 * past U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
  if (len == 0 || len > n) return 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
  }
  return len;
}

typedef enum text_kind {
  TEXT_UTF8,  /* any valid UTF-8 */
  TEXT_ASCII, /* printable ASCII only (refs) */
} text_kind;

/* A string value at the cursor (opening quote included) in canonical
 * spelling; *decoded gets its length once unescaped. */
static bool take_string(cursor *c, text_kind kind, size_t *decoded) {
  if (!take(c, "\"")) return false;
  size_t n = 0;
  while (c->p < c->end) {
    unsigned ch = *c->p;
    if (ch == '"') {
      c->p++;
      *decoded = n;
      return true;
    }
    if (ch == '\\') {
      if (c->end - c->p < 2) return false;
      unsigned esc = c->p[1];
      bool short_form = esc == '"' || esc == '\\';
      if (kind == TEXT_UTF8) short_form |= esc == 'b' || esc == 'f' || esc == 'n' || esc == 'r' || esc == 't';
      if (!short_form) return false; /* \/ and \u....: another spelling of a byte */
      c->p += 2;
    } else if (ch < 0x20) {
      return false; /* raw control character: cJSON would escape it */
    } else if (ch < 0x80) {
      if (kind == TEXT_ASCII && ch == 0x7F) return false;
      c->p++;
    } else {
      if (kind == TEXT_ASCII) return false;
      size_t seq = utf8_sequence(c->p, (size_t)(c->end - c->p));
      if (seq == 0) return false;
      c->p += seq;
      n += seq - 1; /* limits count bytes, not characters */
    }
    n++;
  }
  return false; /* unterminated */
}

static bool is_hex_lower(unsigned ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); }

/* "ID" where ID is a peer id, copied to out (terminated). */
static bool take_peer_id(cursor *c, char out[SKY_PEER_ID_LEN + 1]) {
  if (c->end - c->p < SKY_PEER_ID_LEN + 2 || c->p[0] != '"' || c->p[SKY_PEER_ID_LEN + 1] != '"') return false;
  for (size_t i = 0; i < SKY_PEER_ID_LEN; i++) {
    if (!is_hex_lower(c->p[1 + i])) return false;
  }
  memcpy(out, c->p + 1, SKY_PEER_ID_LEN);
  out[SKY_PEER_ID_LEN] = '\0';
  c->p += SKY_PEER_ID_LEN + 2;
  return true;
}

/* An integer 0..max in plain decimal (no sign, leading zero, fraction or exponent). */
static bool take_uint(cursor *c, unsigned long max) {
  const unsigned char *start = c->p;
  unsigned long v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 6) {
    v = v * 10 + (unsigned long)(*c->p - '0');
    c->p++;
  }
  size_t digits = (size_t)(c->p - start);
  if (digits == 0 || (digits > 1 && start[0] == '0') || v > max) return false;
  /* A number must end here: a following digit, '.', 'e' or 'E' is another spelling. */
  return c->p < c->end && (*c->p == ',' || *c->p == '}');
}

/* The ref's text, unescaped, into out (it is printable ASCII, 1..SKY_REF_MAX). */
static void unescape_ref(const unsigned char *quoted, size_t decoded, char *out) {
  const unsigned char *p = quoted + 1;
  for (size_t i = 0; i < decoded; i++) {
    if (*p == '\\') p++;
    out[i] = (char)*p++;
  }
  out[decoded] = '\0';
}

/* FIELDS of a candidate: "candidate":S[,"sdpMid":S][,"sdpMLineIndex":N] */
static bool take_candidate_fields(cursor *c) {
  size_t n;
  if (!take(c, "\"candidate\":") || !take_string(c, TEXT_UTF8, &n) || n > SKY_CANDIDATE_MAX) return false;
  if (take(c, ",\"sdpMid\":")) {
    /* An empty sdpMid is omitted by the encoder: that spelling is not canonical. */
    if (!take_string(c, TEXT_UTF8, &n) || n < 1 || n > SKY_SDP_MID_MAX) return false;
  }
  if (take(c, ",\"sdpMLineIndex\":") && !take_uint(c, 65535)) return false;
  return true;
}

/* FIELDS of an offer or answer: "sdp":S, S not empty */
static bool take_sdp_fields(cursor *c, size_t max_frame) {
  size_t n;
  return take(c, "\"sdp\":") && take_string(c, TEXT_UTF8, &n) && n >= 1 && n <= max_frame;
}

bool sky_relay_splice_parse(const char *data, size_t len, size_t max_frame, sky_relay_splice *out) {
  if (data == NULL || len > max_frame) return false;
  cursor c = {(const unsigned char *)data, (const unsigned char *)data + len};
  memset(out, 0, sizeof(*out));
  if (take(&c, "{\"type\":\"candidate\",")) out->type = SKY_MSG_CANDIDATE;
  else if (take(&c, "{\"type\":\"offer\",")) out->type = SKY_MSG_OFFER;
  else if (take(&c, "{\"type\":\"answer\",")) out->type = SKY_MSG_ANSWER;
  else return false;
  out->head = data;
  out->head_len = (size_t)((const char *)c.p - data);
  if (take(&c, "\"ref\":")) {
    const unsigned char *quoted = c.p;
    size_t n;
    if (!take_string(&c, TEXT_ASCII, &n) || n < 1 || n > SKY_REF_MAX || !take(&c, ",")) return false;
    unescape_ref(quoted, n, out->ref);
  }
  if (!take(&c, "\"to\":") || !take_peer_id(&c, out->to) || !take(&c, ",")) return false;
  out->rest = (const char *)c.p;
  bool fields = out->type == SKY_MSG_CANDIDATE ? take_candidate_fields(&c) : take_sdp_fields(&c, max_frame);
  /* The object ends exactly at the frame's end: nothing unknown, nothing after. */
  if (!fields || !take(&c, "}") || c.p != c.end) return false;
  out->rest_len = (size_t)((const char *)c.end - out->rest);
  return true;
}

#define FROM_OPEN "\"from\":\""
#define FROM_CLOSE "\","

size_t sky_relay_splice_len(const sky_relay_splice *s) {
  return s->head_len + strlen(FROM_OPEN) + SKY_PEER_ID_LEN + strlen(FROM_CLOSE) + s->rest_len;
}

void sky_relay_splice_write(const sky_relay_splice *s, const char *from, char *out) {
  memcpy(out, s->head, s->head_len);
  out += s->head_len;
  memcpy(out, FROM_OPEN, strlen(FROM_OPEN));
  out += strlen(FROM_OPEN);
  memcpy(out, from, SKY_PEER_ID_LEN);
  out += SKY_PEER_ID_LEN;
  memcpy(out, FROM_CLOSE, strlen(FROM_CLOSE));
  out += strlen(FROM_CLOSE);
  memcpy(out, s->rest, s->rest_len);
}
