#include "json_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

int sky_json_depth(const cJSON *item) {
  /* Iterative over siblings, recursive over children: bounded by cJSON's own
   * nesting limit, which the parser already enforced. */
  int deepest = 0;
  for (const cJSON *child = item ? item->child : NULL; child; child = child->next) {
    int d = sky_json_depth(child);
    if (d > deepest) deepest = d;
  }
  return deepest + 1;
}

char *sky_json_compact(const char *text, size_t len, int max_depth) {
  if (!text) return NULL;
  const char *end = NULL;
  cJSON *item = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!item) return NULL;
  /* Only trailing whitespace may follow the value. */
  while (end && (size_t)(end - text) < len) {
    char c = *end++;
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\0') {
      cJSON_Delete(item);
      return NULL;
    }
  }
  char *out = NULL;
  if (sky_json_depth(item) <= max_depth) out = cJSON_PrintUnformatted(item);
  cJSON_Delete(item);
  return out;
}

static const char *skip_ws(const char *p, const char *end, bool *ws) {
  const char *from = p;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  if (p != from) *ws = true;
  return p;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* p at the opening quote: past the closing one, or NULL. */
static const char *scan_string(const char *p, const char *end) {
  for (p++; p < end;) {
    /* The common run of plain bytes (>= 0x20, not '"' nor '\\') first, a
     * 4-byte test at a time (a 200 KB string is nearly all of them). */
    while (end - p >= 4) {
      uint32_t w;
      memcpy(&w, p, 4);
      /* a byte < 0x20, or == '"' (0x22), or == '\\' (0x5C): exact tests below */
      uint32_t lo = (w - 0x20202020u) & ~w & 0x80808080u;
      uint32_t q = w ^ 0x22222222u, b = w ^ 0x5C5C5C5Cu;
      uint32_t hit = lo | ((q - 0x01010101u) & ~q & 0x80808080u) | ((b - 0x01010101u) & ~b & 0x80808080u);
      if (hit) break;
      p += 4;
    }
    if (p >= end) break;
    unsigned char c = (unsigned char)*p++;
    if (c == '"') return p;
    if (c < 0x20) return NULL; /* control characters (NUL too) must be escaped */
    if (c != '\\') continue;
    if (p >= end) return NULL;
    switch (*p++) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      break;
    case 'u':
      for (int k = 0; k < 4; k++, p++)
        if (p >= end || !is_hex(*p)) return NULL;
      break;
    default:
      return NULL;
    }
  }
  return NULL;
}

static const char *scan_digits(const char *p, const char *end) {
  if (p >= end || !is_digit(*p)) return NULL;
  while (p < end && is_digit(*p)) p++;
  return p;
}

static const char *scan_number(const char *p, const char *end) {
  if (p < end && *p == '-') p++;
  if (p < end && *p == '0') p++;
  else if (!(p = scan_digits(p, end))) return NULL;
  if (p < end && *p == '.' && !(p = scan_digits(p + 1, end))) return NULL;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (!(p = scan_digits(p, end))) return NULL;
  }
  return p;
}

static const char *scan_word(const char *p, const char *end, const char *word) {
  size_t n = strlen(word);
  return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

bool sky_json_valid(const char *text, size_t len, int max_depth, bool *compact) {
  if (!text) return false;
  char open[64]; /* the enclosing containers, '{' or '[': an explicit stack, no recursion */
  int n = 0;
  bool ws = false;
  enum { VALUE, KEY, AFTER } st = VALUE;
  const char *p = text, *end = text + len;
  for (;;) {
    p = skip_ws(p, end, &ws);
    if (st == AFTER) { /* a value ended */
      if (n == 0) break;
      if (p >= end) return false;
      if (*p == (open[n - 1] == '{' ? '}' : ']')) {
        n--;
        p++;
      } else if (*p == ',') {
        p++;
        st = open[n - 1] == '{' ? KEY : VALUE;
      } else {
        return false;
      }
      continue;
    }
    if (p >= end) return false;
    if (st == KEY) {
      if (*p != '"' || !(p = scan_string(p, end))) return false;
      p = skip_ws(p, end, &ws);
      if (p >= end || *p++ != ':') return false;
      st = VALUE;
      continue;
    }
    /* A value inside n containers: its depth counts n + 1 (a scalar is 1). */
    if (n + 1 > max_depth) return false;
    char c = *p;
    if (c == '{' || c == '[') {
      if (n == (int)sizeof open) return false;
      open[n++] = c;
      p = skip_ws(p + 1, end, &ws);
      if (p < end && *p == (c == '{' ? '}' : ']')) { /* empty */
        n--;
        p++;
        st = AFTER;
      } else {
        st = c == '{' ? KEY : VALUE;
      }
      continue;
    }
    if (c == '"') p = scan_string(p, end);
    else if (c == 't') p = scan_word(p, end, "true");
    else if (c == 'f') p = scan_word(p, end, "false");
    else if (c == 'n') p = scan_word(p, end, "null");
    else p = scan_number(p, end);
    if (!p) return false;
    st = AFTER;
  }
  if (p != end) return false; /* something after the value */
  if (compact) *compact = !ws;
  return true;
}

char *sky_json_print(const cJSON *item) { return item ? cJSON_PrintUnformatted(item) : NULL; }

char *sky_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
