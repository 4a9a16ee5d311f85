/* SkylinkJS credentials: verify, describe, mint. See credentials.h. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */
#include "credentials.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_HOUR 3600000LL
#define FRACTION_DIGITS_MAX 9

/* ---- parsing ------------------------------------------------------------- */

static bool digits(const char *p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return true;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil), for y >= 1. */
static int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int era = y / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int64_t)era * 146097 + doe - 719468;
}

bool sky_cred_parse_start(const char *s, int64_t *ms) {
  /* YYYY-MM-DDTHH:MM:SS, fixed positions */
  int y, mo, d, h, mi, se;
  if (strnlen(s, 20) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
      !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
    return false;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
    return false;
  const char *p = s + 19;
  int64_t frac_ms = 0;
  if (*p == '.') { /* 1..9 digits; ms kept, the rest truncated */
    p++;
    int n = 0, scale = 100;
    while (p[n] >= '0' && p[n] <= '9') {
      if (n < 3) frac_ms += (p[n] - '0') * scale;
      scale /= 10;
      n++;
      if (n > FRACTION_DIGITS_MAX) return false;
    }
    if (n == 0) return false;
    p += n;
  }
  int offset_s = 0;
  if (*p == 'Z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (strnlen(p, 7) != 6 || p[3] != ':' || !digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return false;
    offset_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return false; /* no zone: local time of whom? */
  }
  if (*p != '\0') return false;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
  *ms = secs * 1000 + frac_ms;
  return true;
}

/* Splits "I[.F]" into its integer part and fraction digits. */
static bool split_decimal(const char *s, size_t *int_len, const char **frac, size_t *frac_len) {
  size_t n = 0;
  while (s[n] >= '0' && s[n] <= '9') n++;
  if (n == 0 || n > 6) return false;
  *int_len = n;
  *frac = "";
  *frac_len = 0;
  if (s[n] == '\0') return true;
  if (s[n] != '.') return false;
  const char *f = s + n + 1;
  size_t k = 0;
  while (f[k] >= '0' && f[k] <= '9') k++;
  if (k == 0 || k > FRACTION_DIGITS_MAX || f[k] != '\0') return false;
  *frac = f;
  *frac_len = k;
  return true;
}

bool sky_cred_parse_duration(const char *s, int64_t *ms) {
  size_t int_len, frac_len;
  const char *frac;
  if (!split_decimal(s, &int_len, &frac, &frac_len)) return false;
  int64_t hours = 0, frac_num = 0, frac_den = 1;
  for (size_t i = 0; i < int_len; i++) hours = hours * 10 + (s[i] - '0');
  for (size_t i = 0; i < frac_len; i++) {
    frac_num = frac_num * 10 + (frac[i] - '0');
    frac_den *= 10;
  }
  /* the bound on the exact value, before the fraction is truncated to ms */
  if (hours > (int64_t)SKY_CRED_DURATION_MAX_H || (hours == (int64_t)SKY_CRED_DURATION_MAX_H && frac_num > 0))
    return false;
  /* at most 87600 h and (10^9 - 1) / 10^9: no overflow below */
  int64_t total = hours * MS_PER_HOUR + frac_num * MS_PER_HOUR / frac_den;
  if (total <= 0) return false; /* not even a millisecond */
  *ms = total;
  return true;
}

/* The credentials text as base64: "%2B" "%2F" "%3D" (any case) become
 * "+" "/" "="; it must then be 27 base64 characters and one "=". */
static bool normalize_b64(const char *in, char out[SKY_SHA1_B64_LEN + 1]) {
  size_t o = 0;
  for (size_t i = 0; in[i]; i++) {
    char ch = in[i];
    if (ch == '%') {
      char a = in[i + 1], b = a ? in[i + 2] : '\0';
      if (a == '2' && (b == 'B' || b == 'b')) ch = '+';
      else if (a == '2' && (b == 'F' || b == 'f')) ch = '/';
      else if (a == '3' && (b == 'D' || b == 'd')) ch = '=';
      else return false;
      i += 2;
    }
    if (o == SKY_SHA1_B64_LEN) return false;
    out[o++] = ch;
  }
  out[o] = '\0';
  if (o != SKY_SHA1_B64_LEN || out[o - 1] != '=') return false;
  for (size_t i = 0; i + 1 < o; i++) {
    char ch = out[i];
    bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
               ch == '/';
    if (!b64) return false;
  }
  return true;
}

/* ---- the MAC --------------------------------------------------------------- */

bool sky_cred_compute(const unsigned char *secret, size_t secret_len, const char *room, const char *duration,
                      const char *start, char out[SKY_SHA1_B64_LEN + 1]) {
  /* room (64) + "_" + duration (64) + "_" + start (64): the decoder's bounds */
  char msg[SKY_ROOM_MAX + 1 + SKY_CRED_FIELD_MAX + 1 + SKY_CRED_FIELD_MAX + 1];
  out[0] = '\0';
  int n = snprintf(msg, sizeof(msg), "%s_%s_%s", room, duration, start);
  if (n < 0 || (size_t)n >= sizeof(msg) || secret_len == 0) return false;
  return sky_hmac_sha1_b64(secret, secret_len, msg, (size_t)n, out);
}

/* ---- verify ---------------------------------------------------------------- */

static bool present(const char *s) { return s && s[0]; }

sky_cred_verdict sky_cred_verify(const unsigned char *secret, size_t secret_len, const sky_cred_claim *claim,
                                 int64_t now_ms, int64_t *window_end_ms) {
  if (!present(claim->room) || !present(claim->start) || !present(claim->duration) || !present(claim->credentials))
    return SKY_CRED_MISSING;
  size_t room_len = strnlen(claim->room, SKY_ROOM_MAX + 1);
  if (room_len > SKY_ROOM_MAX || !sky_room_name_valid(claim->room, room_len)) return SKY_CRED_BAD_ROOM;
  int64_t start_ms, duration_ms;
  if (strnlen(claim->start, SKY_CRED_FIELD_MAX + 1) > SKY_CRED_FIELD_MAX || !sky_cred_parse_start(claim->start, &start_ms))
    return SKY_CRED_BAD_START;
  if (strnlen(claim->duration, SKY_CRED_FIELD_MAX + 1) > SKY_CRED_FIELD_MAX ||
      !sky_cred_parse_duration(claim->duration, &duration_ms))
    return SKY_CRED_BAD_DURATION;
  int64_t end_ms = start_ms + duration_ms;
  if (window_end_ms) *window_end_ms = end_ms;
  char given[SKY_SHA1_B64_LEN + 1];
  if (strnlen(claim->credentials, SKY_CRED_TEXT_MAX + 1) > SKY_CRED_TEXT_MAX || !normalize_b64(claim->credentials, given))
    return SKY_CRED_BAD_ENCODING;
  char expected[SKY_SHA1_B64_LEN + 1];
  if (!sky_cred_compute(secret, secret_len, claim->room, claim->duration, claim->start, expected))
    return SKY_CRED_BAD_MAC;
  /* constant time: the comparison says nothing about how much matched */
  bool match = CRYPTO_memcmp(expected, given, SKY_SHA1_B64_LEN) == 0;
  OPENSSL_cleanse(expected, sizeof(expected));
  if (!match) return SKY_CRED_BAD_MAC;
  if (start_ms - now_ms > SKY_CRED_SKEW_MS) return SKY_CRED_NOT_YET;
  if (now_ms >= end_ms) return SKY_CRED_EXPIRED;
  return SKY_CRED_OK;
}

sky_error_code sky_cred_verdict_code(sky_cred_verdict v) {
  switch (v) {
  case SKY_CRED_OK: return SKY_ERR_NONE;
  case SKY_CRED_NOT_YET:
  case SKY_CRED_EXPIRED: return SKY_ERR_CREDENTIALS_EXPIRED;
  default: return SKY_ERR_INVALID_CREDENTIALS;
  }
}

void sky_cred_describe(sky_cred_verdict v, int64_t start_ms, int64_t end_ms, int64_t now_ms, char *out, size_t len) {
  switch (v) {
  case SKY_CRED_OK: snprintf(out, len, "credentials accepted"); break;
  case SKY_CRED_MISSING:
    snprintf(out, len, "this application key needs credentials: hello.room, credStart, credDuration and credentials");
    break;
  case SKY_CRED_BAD_ROOM: snprintf(out, len, "room: not a valid room name"); break;
  case SKY_CRED_BAD_START:
    snprintf(out, len, "credStart: not an ISO-8601 date-time with a time zone, such as 2026-01-01T12:00:00.000Z");
    break;
  case SKY_CRED_BAD_DURATION:
    snprintf(out, len, "credDuration: not a number of hours above 0 and at most %u, such as 2 or 0.5",
             SKY_CRED_DURATION_MAX_H);
    break;
  case SKY_CRED_BAD_ENCODING:
    snprintf(out, len, "credentials: not the base64 of an HMAC-SHA1 (28 characters, URI-encoded or not)");
    break;
  case SKY_CRED_BAD_MAC:
    snprintf(out, len, "credentials: do not match room, credDuration and credStart under this application key's secret");
    break;
  case SKY_CRED_NOT_YET:
    snprintf(out, len, "credStart is %lld s in the future (at most %d s of clock difference is allowed)",
             (long long)((start_ms - now_ms) / 1000), SKY_CRED_SKEW_MS / 1000);
    break;
  case SKY_CRED_EXPIRED:
    snprintf(out, len, "the credentials expired %lld s ago (credStart + credDuration)",
             (long long)((now_ms - end_ms) / 1000));
    break;
  }
}

/* ---- mint ------------------------------------------------------------------ */

int64_t sky_cred_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* JS's Date.prototype.toISOString: "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static bool iso_of(int64_t ms, char out[32]) {
  time_t secs = (time_t)(ms / 1000);
  struct tm tm;
  if (ms < 0 || !gmtime_r(&secs, &tm)) return false;
  int n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
  return n == 24;
}

/* The duration as JS writes the number: no leading zeros, no trailing
 * fraction zeros, no lone '.'. False when JS would switch to an exponent
 * (below 1e-6) or the text is not a duration. */
static bool js_duration(const char *s, char out[SKY_CRED_FIELD_MAX + 1]) {
  size_t int_len, frac_len;
  const char *frac;
  int64_t ms;
  if (!split_decimal(s, &int_len, &frac, &frac_len) || !sky_cred_parse_duration(s, &ms)) return false;
  size_t skip = 0;
  while (skip + 1 < int_len && s[skip] == '0') skip++;
  while (frac_len && frac[frac_len - 1] == '0') frac_len--;
  bool zero_int = int_len - skip == 1 && s[skip] == '0';
  if (zero_int && frac_len > 6 && strspn(frac, "0") >= 6) return false; /* 1e-7 */
  int n = snprintf(out, SKY_CRED_FIELD_MAX + 1, "%.*s%s%.*s", (int)(int_len - skip), s + skip, frac_len ? "." : "",
                   (int)frac_len, frac);
  return n > 0 && n <= SKY_CRED_FIELD_MAX;
}

bool sky_cred_mint_json(const unsigned char *secret, size_t secret_len, const char *room, const char *duration,
                        const char *start, int64_t now_ms, char *out, size_t out_len, char *err, size_t err_len) {
  size_t room_len = strnlen(room, SKY_ROOM_MAX + 1);
  if (room_len > SKY_ROOM_MAX || !sky_room_name_valid(room, room_len)) {
    snprintf(err, err_len, "bad room: 1..%d characters of A-Z a-z 0-9 space _ . : @ -, not starting or ending with a space",
             SKY_ROOM_MAX);
    return false;
  }
  char dur[SKY_CRED_FIELD_MAX + 1];
  if (strnlen(duration, SKY_CRED_FIELD_MAX + 1) > SKY_CRED_FIELD_MAX || !js_duration(duration, dur)) {
    snprintf(err, err_len, "bad duration: hours above 0 and at most %u, such as 2 or 0.5 (at most %d decimals)",
             SKY_CRED_DURATION_MAX_H, FRACTION_DIGITS_MAX);
    return false;
  }
  char now_iso[32];
  int64_t start_ms;
  if (!start) {
    if (!iso_of(now_ms, now_iso)) {
      snprintf(err, err_len, "the clock is before 1970");
      return false;
    }
    start = now_iso;
  } else if (strnlen(start, SKY_CRED_FIELD_MAX + 1) > SKY_CRED_FIELD_MAX || !sky_cred_parse_start(start, &start_ms)) {
    snprintf(err, err_len, "bad start: an ISO-8601 date-time with a time zone, such as 2026-01-01T12:00:00.000Z");
    return false;
  }
  char b64[SKY_SHA1_B64_LEN + 1];
  if (!sky_cred_compute(secret, secret_len, room, dur, start, b64)) {
    snprintf(err, err_len, "cannot compute the HMAC");
    return false;
  }
  /* encodeURIComponent of base64: only + / = change */
  char enc[SKY_CRED_TEXT_MAX + 1];
  size_t o = 0;
  for (size_t i = 0; b64[i]; i++) {
    const char *rep = b64[i] == '+' ? "%2B" : b64[i] == '/' ? "%2F" : b64[i] == '=' ? "%3D" : NULL;
    if (rep) { memcpy(enc + o, rep, 3); o += 3; }
    else enc[o++] = b64[i];
  }
  enc[o] = '\0';
  OPENSSL_cleanse(b64, sizeof(b64));
  /* start, dur and enc hold only characters JSON takes as they are */
  int n = snprintf(out, out_len, "{\"startDateTime\":\"%s\",\"duration\":%s,\"credentials\":\"%s\"}", start, dur, enc);
  if (n < 0 || (size_t)n >= out_len) {
    snprintf(err, err_len, "output buffer too small");
    return false;
  }
  return true;
}
