/* TURN REST credentials. See turn.h. */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "turn.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define HOST_MAX 253
#define LABEL_MAX 63

void sky_turn_init(sky_turn *t) {
  memset(t, 0, sizeof(*t));
  t->ttl_s = SKY_TURN_TTL_DEFAULT;
}

/* ---- URIs (RFC 7064 stun:, RFC 7065 turn: / turns:) ---------------------- */

static bool is_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* A DNS name (labels of letters, digits and inner '-'), or an IPv4 address
 * when every label is numeric. */
static bool host_name_valid(const char *h, size_t n) {
  if (n == 0 || n > HOST_MAX) return false;
  bool all_numeric = true;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && h[i] != '.') {
      if (!is_alnum(h[i]) && h[i] != '-') return false;
      if (!(h[i] >= '0' && h[i] <= '9')) all_numeric = false;
      continue;
    }
    size_t len = i - start;
    if (len == 0 || len > LABEL_MAX || h[start] == '-' || h[i - 1] == '-') return false;
    start = i + 1;
  }
  if (!all_numeric) return true;
  char v4[16];
  struct in_addr a;
  if (n >= sizeof(v4)) return false;
  memcpy(v4, h, n);
  v4[n] = '\0';
  return inet_pton(AF_INET, v4, &a) == 1;
}

static bool ipv6_valid(const char *h, size_t n) {
  char v6[INET6_ADDRSTRLEN];
  struct in6_addr a;
  if (n == 0 || n >= sizeof(v6)) return false;
  memcpy(v6, h, n);
  v6[n] = '\0';
  return inet_pton(AF_INET6, v6, &a) == 1;
}

/* ":PORT" with PORT 1..65535, no sign, no leading zero. */
static bool port_valid(const char *p, size_t n) {
  if (n == 0 || n > 5 || p[0] == '0') return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (unsigned)(p[i] - '0');
  }
  return v <= 65535;
}

/* Checks uri; *relay tells turn:/turns: from stun:. Writes why into err. */
static bool uri_valid(const char *uri, bool *relay, char *err, size_t err_len) {
  size_t n = strlen(uri);
  const char *p;
  bool stun = false;
  if (strncmp(uri, "stun:", 5) == 0) { p = uri + 5; stun = true; }
  else if (strncmp(uri, "turn:", 5) == 0) p = uri + 5;
  else if (strncmp(uri, "turns:", 6) == 0) p = uri + 6;
  else {
    snprintf(err, err_len, "bad --turn-uri '%.*s': it starts with stun:, turn: or turns:", SKY_TURN_URI_MAX, uri);
    return false;
  }
  if (n > SKY_TURN_URI_MAX) {
    snprintf(err, err_len, "bad --turn-uri: longer than %d bytes", SKY_TURN_URI_MAX);
    return false;
  }
  const char *end = uri + n;
  const char *query = strchr(p, '?');
  const char *hostport_end = query ? query : end;
  /* host */
  const char *host = p, *host_end;
  bool host_ok;
  if (*host == '[') {
    host_end = memchr(host, ']', (size_t)(hostport_end - host));
    host_ok = host_end && ipv6_valid(host + 1, (size_t)(host_end - host - 1));
    if (host_end) host_end++;
  } else {
    host_end = memchr(host, ':', (size_t)(hostport_end - host));
    if (!host_end) host_end = hostport_end;
    host_ok = host_name_valid(host, (size_t)(host_end - host));
  }
  if (!host_ok) {
    snprintf(err, err_len, "bad --turn-uri '%s': the host is not a DNS name, an IPv4 address or a [bracketed] IPv6 address", uri);
    return false;
  }
  /* port */
  if (host_end < hostport_end) {
    if (*host_end != ':' || !port_valid(host_end + 1, (size_t)(hostport_end - host_end - 1))) {
      snprintf(err, err_len, "bad --turn-uri '%s': the port is not 1..65535", uri);
      return false;
    }
  }
  /* query */
  if (query) {
    if (stun) {
      snprintf(err, err_len, "bad --turn-uri '%s': a stun: URI has no ?transport (RFC 7064)", uri);
      return false;
    }
    if (strcmp(query, "?transport=udp") != 0 && strcmp(query, "?transport=tcp") != 0) {
      snprintf(err, err_len, "bad --turn-uri '%s': the only query is ?transport=udp or ?transport=tcp", uri);
      return false;
    }
  }
  *relay = !stun;
  return true;
}

bool sky_turn_add_uri(sky_turn *t, const char *uri, char *err, size_t err_len) {
  bool relay = false;
  if (!uri_valid(uri, &relay, err, err_len)) return false;
  if (t->uri_count >= SKY_TURN_URIS_MAX) {
    snprintf(err, err_len, "--turn-uri given more than %d times", SKY_TURN_URIS_MAX);
    return false;
  }
  for (size_t i = 0; i < t->uri_count; i++) {
    if (strcmp(t->uris[i], uri) == 0) {
      snprintf(err, err_len, "--turn-uri '%s' given twice", uri);
      return false;
    }
  }
  snprintf(t->uris[t->uri_count], sizeof(t->uris[0]), "%s", uri);
  t->relay[t->uri_count] = relay;
  t->uri_count++;
  return true;
}

/* ---- the secret ---------------------------------------------------------- */

bool sky_turn_load_secret(sky_turn *t, const char *path, char *err, size_t err_len) {
  OPENSSL_cleanse(t->secret, sizeof(t->secret));
  t->secret_len = 0;
  size_t n = 0;
  if (!sky_secret_file_read("--turn-secret-file", path, SKY_TURN_SECRET_MIN, t->secret, sizeof(t->secret), &n, err,
                            err_len))
    return false;
  /* coturn takes static-auth-secret as one word on its command line or in its
   * config file: the same bytes must be writable there. */
  for (size_t i = 0; i < n; i++) {
    if (t->secret[i] < 0x21 || t->secret[i] > 0x7e) {
      OPENSSL_cleanse(t->secret, sizeof(t->secret));
      snprintf(err, err_len,
               "--turn-secret-file %s: byte %zu is not printable ASCII (coturn's static-auth-secret is one word; "
               "make one with: openssl rand -hex 32 > %s)",
               path, i, path);
      return false;
    }
  }
  t->secret_len = n;
  return true;
}

bool sky_turn_check(const sky_turn *t, char *err, size_t err_len) {
  bool any_relay = false;
  for (size_t i = 0; i < t->uri_count; i++) any_relay |= t->relay[i];
  if (any_relay && t->secret_len == 0) {
    snprintf(err, err_len, "a turn: or turns: --turn-uri needs --turn-secret-file (coturn's static-auth-secret)");
    return false;
  }
  if (!any_relay && t->secret_len != 0) {
    snprintf(err, err_len, "--turn-secret-file given without any turn: or turns: --turn-uri");
    return false;
  }
  return true;
}

bool sky_turn_enabled(const sky_turn *t) { return t->uri_count > 0; }

void sky_turn_wipe(sky_turn *t) {
  OPENSSL_cleanse(t->secret, sizeof(t->secret));
  t->secret_len = 0;
}

/* ---- credentials --------------------------------------------------------- */

bool sky_turn_username(const char *peer_id, uint64_t expires, char out[SKY_TURN_USERNAME_MAX + 1]) {
  out[0] = '\0';
  if (!peer_id || strnlen(peer_id, SKY_PEER_ID_LEN + 1) != SKY_PEER_ID_LEN ||
      !sky_peer_id_valid(peer_id, SKY_PEER_ID_LEN))
    return false;
  int n = snprintf(out, SKY_TURN_USERNAME_MAX + 1, "%llu:%s", (unsigned long long)expires, peer_id);
  return n > 0 && n <= SKY_TURN_USERNAME_MAX;
}

bool sky_turn_credential(const unsigned char *secret, size_t secret_len, const char *username,
                         char out[SKY_SHA1_B64_LEN + 1]) {
  out[0] = '\0';
  if (secret_len == 0) return false;
  return sky_hmac_sha1_b64(secret, secret_len, username, strlen(username), out);
}

/* {"urls":[the URIs of this kind]}, or NULL when there are none. */
static cJSON *entry_of(const sky_turn *t, bool relay) {
  cJSON *urls = NULL;
  for (size_t i = 0; i < t->uri_count; i++) {
    if (t->relay[i] != relay) continue;
    if (!urls && !(urls = cJSON_CreateArray())) return NULL;
    cJSON *s = cJSON_CreateString(t->uris[i]);
    if (!s) { cJSON_Delete(urls); return NULL; }
    cJSON_AddItemToArray(urls, s);
  }
  if (!urls) return NULL;
  cJSON *entry = cJSON_CreateObject();
  if (!entry) { cJSON_Delete(urls); return NULL; }
  cJSON_AddItemToObject(entry, "urls", urls);
  return entry;
}

char *sky_turn_ice_servers(const sky_turn *t, const char *peer_id, uint64_t now_s, uint64_t *expires) {
  if (!sky_turn_enabled(t)) return NULL;
  uint64_t exp = now_s + t->ttl_s;
  char username[SKY_TURN_USERNAME_MAX + 1], credential[SKY_SHA1_B64_LEN + 1];
  if (!sky_turn_username(peer_id, exp, username)) return NULL;
  cJSON *list = cJSON_CreateArray(); /* owner: here, deleted below */
  if (!list) return NULL;
  char *json = NULL;
  cJSON *stun = entry_of(t, false);
  if (stun) cJSON_AddItemToArray(list, stun);
  cJSON *relay = entry_of(t, true);
  if (relay) {
    cJSON_AddItemToArray(list, relay);
    if (!sky_turn_credential(t->secret, t->secret_len, username, credential) ||
        !cJSON_AddStringToObject(relay, "username", username) ||
        !cJSON_AddStringToObject(relay, "credential", credential))
      goto done;
  }
  if (cJSON_GetArraySize(list) != (stun != NULL) + (relay != NULL)) goto done; /* an entry failed */
  json = cJSON_PrintUnformatted(list); /* owner: the caller */
  if (json && expires) *expires = exp;
done:
  cJSON_Delete(list);
  OPENSSL_cleanse(credential, sizeof(credential));
  return json;
}
