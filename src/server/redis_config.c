/* --redis URL and --instance-id. See redis_config.h. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* gethostname, getentropy */
#endif
#include "redis_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool parse_number(const char *s, size_t len, uint32_t max, uint32_t *out) {
  if (len == 0 || len > 5) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (uint32_t)(s[i] - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

static bool host_char_ok(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
         ch == '-' || ch == '_';
}

bool sky_redis_url_parse(sky_redis_config *rc, const char *url, char *err, size_t err_len) {
  static const char scheme[] = "redis://";
  if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
    snprintf(err, err_len, "--redis wants redis://HOST[:PORT][/DB], not '%.80s'", url);
    return false;
  }
  const char *p = url + sizeof(scheme) - 1;
  const char *host = p, *host_end;
  if (*p == '[') { /* [IPv6] */
    host = ++p;
    while (*p && *p != ']') {
      if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') || *p == ':' ||
            *p == '.'))
        break;
      p++;
    }
    if (*p != ']') goto bad;
    host_end = p++;
  } else {
    while (*p && host_char_ok(*p)) p++;
    host_end = p;
  }
  size_t host_len = (size_t)(host_end - host);
  if (host_len == 0 || host_len > SKY_REDIS_HOST_MAX) goto bad;
  uint32_t port = SKY_REDIS_DEFAULT_PORT, db = 0;
  if (*p == ':') {
    const char *q = ++p;
    while (*p >= '0' && *p <= '9') p++;
    if (!parse_number(q, (size_t)(p - q), 65535, &port) || port == 0) goto bad;
  }
  if (*p == '/') {
    const char *q = ++p;
    while (*p >= '0' && *p <= '9') p++;
    if (p > q && !parse_number(q, (size_t)(p - q), 65535, &db)) goto bad;
  }
  if (*p) goto bad; /* user info, a path, a query: not supported */
  memcpy(rc->host, host, host_len);
  rc->host[host_len] = '\0';
  rc->port = (int)port;
  rc->db = db;
  rc->enabled = true;
  return true;
bad:
  snprintf(err, err_len, "--redis wants redis://HOST[:PORT][/DB] (no user, password or query), not '%.80s'", url);
  return false;
}

bool sky_instance_id_valid(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > SKY_INSTANCE_ID_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = id[i];
    if (!(host_char_ok(ch))) return false;
  }
  return true;
}

void sky_instance_id_default(char out[SKY_INSTANCE_ID_MAX + 1]) {
  char host[64] = "";
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  host[sizeof(host) - 1] = '\0';
  size_t n = 0;
  while (n < 24 && host[n] && host[n] != '.' && host_char_ok(host[n])) n++;
  host[n] = '\0';
  unsigned char rnd[4] = {0, 0, 0, 0};
  if (getentropy(rnd, sizeof(rnd)) != 0) memset(rnd, 0, sizeof(rnd)); /* the pid still tells us apart */
  snprintf(out, SKY_INSTANCE_ID_MAX + 1, "%s-%ld-%02x%02x%02x%02x", n ? host : "sky", (long)getpid(), rnd[0],
           rnd[1], rnd[2], rnd[3]);
}
