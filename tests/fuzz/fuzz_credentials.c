/* Fuzzes the SkylinkJS credentials verifier (src/server/credentials.c), the
 * part of the server that reads hello.room / credStart / credDuration /
 * credentials for an application key with a secret: any text a client sends.
 *
 * The first input byte picks a mode:
 *   0  the four fields and the clock come from the input as they are;
 *   1  genuine credentials are computed for input-chosen fields (a valid
 *      date, duration and room), sometimes URI-encoded, then one field is
 *      edited by the input and verified;
 *   2  the mint command's JSON for input-chosen text, read back and verified.
 * Properties beyond ASan/UBSan (every field is an exact-size heap copy, so a
 * read past its NUL is caught):
 *   - the verdict is one of the enum's, and its error code is INVALID or EXPIRED;
 *   - OK means: the room is valid, both texts parse, the credentials are the
 *     base64 of HMAC-SHA1(secret, room_duration_start) (URI-encoded or not),
 *     start is at most the skew ahead and the window has not ended;
 *   - genuine credentials verify exactly as their window says; an edit that
 *     changes any field's text never verifies (the HMAC binds all three);
 *   - whatever the mint command prints verifies at its start time. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/credentials.c"
#include "../../src/server/hmac.c"
#include "fuzz_check.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char SECRET[] = "fuzz-app-secret-0123456789";
#define SECRET_LEN (sizeof(SECRET) - 1)
static const char ROOM_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.:@-";

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1); /* owner: the caller */
  CHECK(d);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static uint64_t u64(in *i, int bytes) {
  uint64_t v = 0;
  for (int k = 0; k < bytes; k++) v = v << 8 | u8(i);
  return v;
}

/* Verifies from exact-size heap copies and checks what OK promises. */
static sky_cred_verdict verify(const char *room, const char *start, const char *duration, const char *cred,
                               int64_t now) {
  char *r = dup_n(room, strlen(room)), *s = dup_n(start, strlen(start)), *d = dup_n(duration, strlen(duration)),
       *c = dup_n(cred, strlen(cred));
  sky_cred_claim claim = {r, s, d, c};
  int64_t end = INT64_MIN;
  sky_cred_verdict v = sky_cred_verify(SECRET, SECRET_LEN, &claim, now, &end);
  CHECK(v >= SKY_CRED_OK && v <= SKY_CRED_EXPIRED);
  sky_error_code code = sky_cred_verdict_code(v);
  CHECK(v == SKY_CRED_OK ? code == SKY_ERR_NONE
                         : code == SKY_ERR_INVALID_CREDENTIALS || code == SKY_ERR_CREDENTIALS_EXPIRED);
  char why[SKY_ERROR_TEXT_MAX + 1];
  sky_cred_describe(v, 0, end == INT64_MIN ? 0 : end, now, why, sizeof(why));
  if (v == SKY_CRED_OK) {
    int64_t start_ms, dur_ms;
    CHECK(sky_room_name_valid(r, strlen(r)));
    CHECK(sky_cred_parse_start(s, &start_ms) && sky_cred_parse_duration(d, &dur_ms));
    CHECK(end == start_ms + dur_ms);
    CHECK(start_ms - now <= SKY_CRED_SKEW_MS && now < end);
    char expected[SKY_SHA1_B64_LEN + 1], given[SKY_SHA1_B64_LEN + 1];
    CHECK(sky_cred_compute(SECRET, SECRET_LEN, r, d, s, expected));
    CHECK(normalize_b64(c, given));
    CHECK(strcmp(expected, given) == 0);
  }
  free(r); free(s); free(d); free(c);
  return v;
}

/* Four NUL-separated fields from the rest of the input. */
static void raw_mode(in *i, int64_t now) {
  const char *f[4] = {"", "", "", ""};
  char *owned[4] = {NULL, NULL, NULL, NULL};
  for (int k = 0; k < 4 && i->n; k++) {
    const uint8_t *end = memchr(i->p, 0, i->n);
    size_t n = end ? (size_t)(end - i->p) : i->n;
    owned[k] = dup_n((const char *)i->p, n);
    f[k] = owned[k];
    i->p += n + (end ? 1 : 0);
    i->n -= n + (end ? 1 : 0);
  }
  verify(f[0], f[1], f[2], f[3], now);
  for (int k = 0; k < 4; k++) free(owned[k]);
}

/* A valid field set: room, ISO start (sometimes with an offset), duration. */
static void genuine(in *i, char room[SKY_ROOM_MAX + 1], char start[SKY_CRED_FIELD_MAX + 1],
                    char duration[SKY_CRED_FIELD_MAX + 1]) {
  size_t room_len = 1 + u8(i) % SKY_ROOM_MAX;
  for (size_t k = 0; k < room_len; k++) room[k] = ROOM_CHARS[u8(i) % (sizeof(ROOM_CHARS) - 1)];
  room[room_len] = '\0';
  if (room[0] == ' ') room[0] = '_';
  if (room[room_len - 1] == ' ') room[room_len - 1] = '-';
  int y = 1970 + u8(i) % 120, mo = 1 + u8(i) % 12, d = 1 + u8(i) % 28, h = u8(i) % 24, mi = u8(i) % 60, s = u8(i) % 60;
  uint8_t zone = u8(i);
  char tz[8] = "Z";
  if (zone & 1) snprintf(tz, sizeof(tz), "%c%02d:%02d", zone & 2 ? '+' : '-', (zone >> 2) % 24, (zone >> 4) * 3 % 60);
  snprintf(start, SKY_CRED_FIELD_MAX + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, s, u8(i) % 1000);
  if (zone & 1) snprintf(start + 19, SKY_CRED_FIELD_MAX + 1 - 19, "%s", tz); /* no fraction, an offset */
  uint32_t hours = (uint32_t)u64(i, 2) % 100;
  uint32_t frac = u8(i);
  if (hours == 0 && frac == 0) hours = 1;
  if (frac) snprintf(duration, SKY_CRED_FIELD_MAX + 1, "%u.%u", hours, frac);
  else snprintf(duration, SKY_CRED_FIELD_MAX + 1, "%u", hours);
}

static void genuine_mode(in *i, int64_t now_base) {
  char room[SKY_ROOM_MAX + 1], start[SKY_CRED_FIELD_MAX + 1], duration[SKY_CRED_FIELD_MAX + 1];
  genuine(i, room, start, duration);
  int64_t start_ms, dur_ms;
  CHECK(sky_cred_parse_start(start, &start_ms));
  CHECK(sky_cred_parse_duration(duration, &dur_ms));
  char b64[SKY_SHA1_B64_LEN + 1], cred[SKY_CRED_TEXT_MAX + 1];
  CHECK(sky_cred_compute(SECRET, SECRET_LEN, room, duration, start, b64));
  bool encode = u8(i) & 1;
  size_t o = 0;
  for (size_t k = 0; b64[k]; k++) {
    const char *rep = b64[k] == '+' ? "%2B" : b64[k] == '/' ? "%2F" : b64[k] == '=' ? "%3D" : NULL;
    if (encode && rep) { memcpy(cred + o, rep, 3); o += 3; }
    else cred[o++] = b64[k];
  }
  cred[o] = '\0';
  /* a clock around the window */
  int64_t now = start_ms + (int64_t)(now_base % (uint64_t)(dur_ms + 4 * SKY_CRED_SKEW_MS)) - 2 * SKY_CRED_SKEW_MS;
  sky_cred_verdict v = verify(room, start, duration, cred, now);
  if (start_ms - now > SKY_CRED_SKEW_MS) CHECK(v == SKY_CRED_NOT_YET);
  else if (now >= start_ms + dur_ms) CHECK(v == SKY_CRED_EXPIRED);
  else CHECK(v == SKY_CRED_OK);

  /* one field edited */
  char *fields[4] = {room, start, duration, cred};
  size_t caps[4] = {SKY_ROOM_MAX + 1, SKY_CRED_FIELD_MAX + 1, SKY_CRED_FIELD_MAX + 1, SKY_CRED_TEXT_MAX + 1};
  int which = u8(i) % 4;
  char before[SKY_CRED_TEXT_MAX + 1];
  snprintf(before, sizeof(before), "%s", fields[which]);
  char *f = fields[which];
  size_t n = strlen(f);
  uint8_t op = u8(i);
  size_t at = n ? u8(i) % n : 0;
  char ch = (char)(0x20 + u8(i) % 95);
  if ((op & 3) == 0 && n) f[at] = ch;                        /* replace */
  else if ((op & 3) == 1 && n + 1 < caps[which]) {           /* insert */
    memmove(f + at + 1, f + at, n - at + 1);
    f[at] = ch;
  } else if ((op & 3) == 2 && n) memmove(f + at, f + at + 1, n - at); /* delete */
  else if (n) f[at] = (char)(f[at] ^ 0x20);                  /* case flip (also %2b vs %2B) */
  v = verify(room, start, duration, cred, now);
  if (strcmp(before, f) == 0) return;
  if (which < 3) {
    CHECK(v != SKY_CRED_OK); /* the HMAC binds the room, the duration and the start text */
  } else if (v == SKY_CRED_OK) {
    /* only another spelling of the same base64 survives: %2b for %2B */
    char a[SKY_SHA1_B64_LEN + 1], b[SKY_SHA1_B64_LEN + 1];
    CHECK(normalize_b64(before, a) && normalize_b64(f, b) && strcmp(a, b) == 0);
  }
}

static void mint_mode(in *i) {
  char room[SKY_ROOM_MAX + 8], duration[24], start[SKY_CRED_FIELD_MAX + 8];
  size_t n;
  n = u8(i) % sizeof(room);
  for (size_t k = 0; k < n; k++) room[k] = (char)(0x20 + u8(i) % 95);
  room[n] = '\0';
  n = u8(i) % sizeof(duration);
  for (size_t k = 0; k < n; k++) duration[k] = "0123456789.0123456789e-"[u8(i) % 23];
  duration[n] = '\0';
  bool given = u8(i) & 1;
  n = u8(i) % sizeof(start);
  for (size_t k = 0; k < n; k++) start[k] = "0123456789-T:.Z+"[u8(i) % 16];
  start[n] = '\0';
  int64_t now = (int64_t)(u64(i, 5) % 253402300799000ULL);
  char json[512], err[256];
  char *r = dup_n(room, strlen(room)), *d = dup_n(duration, strlen(duration)), *s = dup_n(start, strlen(start));
  bool ok = sky_cred_mint_json(SECRET, SECRET_LEN, r, d, given ? s : NULL, now, json, sizeof(json), err, sizeof(err));
  if (ok) {
    /* {"startDateTime":"S","duration":D,"credentials":"C"} */
    char js[SKY_CRED_FIELD_MAX + 1], jd[SKY_CRED_FIELD_MAX + 1], jc[SKY_CRED_TEXT_MAX + 1];
    CHECK(sscanf(json, "{\"startDateTime\":\"%64[^\"]\",\"duration\":%64[^,],\"credentials\":\"%84[^\"]\"}", js, jd, jc) == 3);
    int64_t start_ms;
    CHECK(sky_cred_parse_start(js, &start_ms));
    if (given) CHECK(strcmp(js, s) == 0);
    CHECK(verify(r, js, jd, jc, start_ms) == SKY_CRED_OK);
  }
  free(r); free(d); free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  in i = {data, size};
  uint8_t mode = u8(&i) % 3;
  uint64_t clock = u64(&i, 6);
  if (mode == 0) raw_mode(&i, (int64_t)(clock % 253402300799000ULL) - (int64_t)(u8(&i) & 1) * 86400000);
  else if (mode == 1) genuine_mode(&i, clock);
  else mint_mode(&i);
  return 0;
}
