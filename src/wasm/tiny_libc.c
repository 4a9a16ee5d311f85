/* Small replacements for the libc formatting the module uses, WASM build only.
 *
 * Why: musl's printf and strtod bring long-double arithmetic and a float
 * scanner into the module, about a third of its code, for the few number
 * conversions cJSON needs. Here the integer and string conversions are done in
 * C and the floating-point ones by JS, which is exact: String(d) is the
 * shortest text that reads back as d, parseFloat is correctly rounded.
 *
 * Supported: vsnprintf/snprintf/vsprintf/sprintf with flags '0' '-', width,
 * precision, length h hh l ll z j t, conversions d i u x X c s p % and g/f/e
 * (printed as JS's shortest round-trip form, whatever the precision: cJSON's
 * "%1.15g" / "%1.17g" then reads back equal). sscanf: "%lg" only (cJSON).
 * strtod: the JSON number grammar plus a leading '+'.
 *
 * strstr: musl's two-way search is 1.4 KB of WASM; every needle here is a
 * short constant (" typ ", "transport=", "a=ice-ufrag:"), so the plain search
 * is linear in the haystack too (at most strlen(needle) comparisons a byte).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap);
int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...);
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap);
int sprintf(char *restrict buf, const char *restrict fmt, ...);
int sscanf(const char *restrict s, const char *restrict fmt, ...);
int siprintf(char *restrict buf, const char *restrict fmt, ...);
int __small_sprintf(char *restrict buf, const char *restrict fmt, ...);
double strtod(const char *restrict s, char **restrict end);
char *strstr(const char *h, const char *n);

/* Writes String(d) (at most cap - 1 bytes, NUL-terminated); returns its length. */
EM_JS(int, sky_js_fmt_double, (double d, char *buf, int cap), {
  var s = d != d ? "nan" : d == Infinity ? "inf" : d == -Infinity ? "-inf" : String(d);
  stringToUTF8(s, buf, cap);
  return s.length;
});

/* len bytes at s, known to be a number's text. */
EM_JS(double, sky_js_parse_double, (const char *s, int len), {
  return parseFloat(UTF8ToString(s, len));
});

typedef struct out {
  char *buf;
  size_t cap, len;
} out;

static void put(out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void put_padded(out *o, const char *s, size_t n, int width, int left, char pad) {
  int fill = width > (int)n ? width - (int)n : 0;
  if (!left && pad == '0' && n && (*s == '-' || *s == '+')) { /* sign before zeros */
    put(o, *s++);
    n--;
  }
  if (!left) while (fill-- > 0) put(o, pad);
  while (n--) put(o, *s++);
  if (left) while (fill-- > 0) put(o, ' ');
}

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap) {
  out o = {buf, cap, 0};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      put(&o, *f);
      continue;
    }
    f++;
    int left = 0, width = 0, prec = -1;
    char pad = ' ';
    for (;; f++) {
      if (*f == '-') left = 1;
      else if (*f == '0') pad = '0';
      else if (*f != '+' && *f != ' ' && *f != '#') break;
    }
    if (*f == '*') {
      width = va_arg(ap, int);
      f++;
    } else {
      while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
      f++;
      prec = 0;
      if (*f == '*') {
        prec = va_arg(ap, int);
        f++;
      } else {
        while (*f >= '0' && *f <= '9') prec = prec * 10 + (*f++ - '0');
      }
    }
    int lng = 0; /* 0 int, 1 long, 2 long long / size_t / intmax_t */
    for (;; f++) {
      if (*f == 'h') continue;
      if (*f == 'l') lng++;
      else if (*f == 'z' || *f == 'j' || *f == 't') lng = 2;
      else break;
    }
    char tmp[64];
    size_t n = 0;
    switch (*f) {
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'p': {
      int is_signed = *f == 'd' || *f == 'i';
      unsigned base = (*f == 'x' || *f == 'X' || *f == 'p') ? 16 : 10;
      const char *digits = *f == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      uint64_t v;
      int neg = 0;
      if (*f == 'p') v = (uintptr_t)va_arg(ap, void *);
      else if (is_signed) {
        int64_t s = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
        neg = s < 0;
        v = neg ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
      } else {
        v = lng >= 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
      }
      char rev[24];
      size_t r = 0;
      do {
        rev[r++] = digits[v % base];
        v /= base;
      } while (v);
      while ((int)r < prec) rev[r++] = '0';
      if (neg) tmp[n++] = '-';
      while (r) tmp[n++] = rev[--r];
      put_padded(&o, tmp, n, width, left, prec >= 0 ? ' ' : pad);
      break;
    }
    case 'c':
      tmp[0] = (char)va_arg(ap, int);
      put_padded(&o, tmp, 1, width, left, ' ');
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      size_t len = strlen(s);
      if (prec >= 0 && (size_t)prec < len) len = (size_t)prec;
      put_padded(&o, s, len, width, left, ' ');
      break;
    }
    case 'g':
    case 'G':
    case 'f':
    case 'e': {
      int len = sky_js_fmt_double(va_arg(ap, double), tmp, (int)sizeof tmp);
      put_padded(&o, tmp, (size_t)len, width, left, pad);
      break;
    }
    case '%':
      put(&o, '%');
      break;
    default: /* unknown conversion: copy it */
      put(&o, '%');
      if (*f) put(&o, *f);
      else f--;
      break;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return (int)o.len;
}

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap) {
  return vsnprintf(buf, SIZE_MAX, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsprintf(buf, fmt, ap);
  va_end(ap);
  return n;
}

/* The names the compiler gives sprintf calls without (siprintf) or with
 * (__small_sprintf) only some conversions: the same function. */
int siprintf(char *restrict buf, const char *restrict fmt, ...) __attribute__((alias("sprintf")));
int __small_sprintf(char *restrict buf, const char *restrict fmt, ...) __attribute__((alias("sprintf")));

/* Length of the number at s: [+-]?digits[.digits][(e|E)[+-]?digits]. */
static size_t number_len(const char *s) {
  size_t i = 0, digits = 0;
  if (s[i] == '+' || s[i] == '-') i++;
  while (s[i] >= '0' && s[i] <= '9') i++, digits++;
  if (s[i] == '.') {
    i++;
    while (s[i] >= '0' && s[i] <= '9') i++, digits++;
  }
  if (!digits) return 0;
  if (s[i] == 'e' || s[i] == 'E') {
    size_t j = i + 1;
    if (s[j] == '+' || s[j] == '-') j++;
    if (s[j] >= '0' && s[j] <= '9') {
      while (s[j] >= '0' && s[j] <= '9') j++;
      i = j;
    }
  }
  return i;
}

double strtod(const char *restrict s, char **restrict end) {
  const char *p = s;
  while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
  size_t n = number_len(p);
  if (end) *end = (char *)(n ? p + n : s);
  return n ? sky_js_parse_double(p, (int)n) : 0.0;
}

int sscanf(const char *restrict s, const char *restrict fmt, ...) {
  if (strcmp(fmt, "%lg") != 0) return 0; /* the only use: cJSON's round-trip check */
  char *end;
  double v = strtod(s, &end);
  if (end == s) return 0;
  va_list ap;
  va_start(ap, fmt);
  *va_arg(ap, double *) = v;
  va_end(ap);
  return 1;
}

char *strstr(const char *h, const char *n) {
  size_t len = strlen(n);
  for (; *h; h++) {
    if (strncmp(h, n, len) == 0) return (char *)h;
  }
  return len ? NULL : (char *)h;
}
