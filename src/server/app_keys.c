/* Application keys and their allowed origins. See app_keys.h. */
#include "app_keys.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credentials.h"
#include "hmac.h"

#define SKY_ORIGIN_MAX 256

static bool key_chars_valid(const char *key, size_t len) {
  if (len == 0 || len > SKY_APP_KEY_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    /* printable ASCII, as the protocol requires; '=' would be ambiguous here */
    if (key[i] < 0x21 || key[i] > 0x7e || key[i] == '=') return false;
  }
  return true;
}

static char *dup_range(const char *s, size_t len) {
  char *out = malloc(len + 1); /* owner: the caller */
  if (!out) return NULL;
  memcpy(out, s, len);
  out[len] = '\0';
  return out;
}

static void app_key_free(sky_app_key *k) {
  for (size_t i = 0; i < k->origin_count; i++) free(k->origins[i]);
  free(k->origins);
  free(k->key);
  if (k->secret) OPENSSL_cleanse(k->secret, k->secret_len);
  free(k->secret);
  memset(k, 0, sizeof(*k));
}

/* Splits "a,b,c" into k->origins. An origin is compared as a whole string, so
 * it must look like one: "scheme://host[:port]" with no path, or "*". */
static bool parse_origins(sky_app_key *k, const char *list, char *err, size_t err_len) {
  const char *p = list;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 0 || len > SKY_ORIGIN_MAX) {
      snprintf(err, err_len, "empty or too long origin in --app-key (max %d bytes)", SKY_ORIGIN_MAX);
      return false;
    }
    char *origin = dup_range(p, len); /* owner: k->origins */
    if (!origin) { snprintf(err, err_len, "out of memory"); return false; }
    bool star = strcmp(origin, "*") == 0;
    const char *scheme_end = strstr(origin, "://");
    if (!star && (!scheme_end || scheme_end == origin || strchr(scheme_end + 3, '/') ||
                  scheme_end[3] == '\0')) {
      snprintf(err, err_len, "bad origin '%s' in --app-key: expected scheme://host[:port] or *", origin);
      free(origin);
      return false;
    }
    char **grown = realloc(k->origins, (k->origin_count + 1) * sizeof(*grown));
    if (!grown) { free(origin); snprintf(err, err_len, "out of memory"); return false; }
    k->origins = grown;
    k->origins[k->origin_count++] = origin;
    p = end ? end + 1 : p + len;
    if (end && *p == '\0') { snprintf(err, err_len, "trailing ',' in --app-key origins"); return false; }
  }
  return true;
}

bool sky_app_keys_add(sky_app_keys *keys, const char *arg, char *err, size_t err_len) {
  const char *eq = strchr(arg, '=');
  size_t key_len = eq ? (size_t)(eq - arg) : strlen(arg);
  if (!key_chars_valid(arg, key_len)) {
    snprintf(err, err_len, "bad --app-key '%s': the key is 1..%d printable ASCII characters without '=' or spaces",
             arg, SKY_APP_KEY_MAX);
    return false;
  }
  sky_app_key k = {0};
  k.key = dup_range(arg, key_len); /* owner: keys->items[i].key */
  if (!k.key) { snprintf(err, err_len, "out of memory"); return false; }
  if (eq) {
    if (eq[1] == '\0') {
      snprintf(err, err_len, "bad --app-key '%s': no origin after '='", arg);
      app_key_free(&k);
      return false;
    }
    if (!parse_origins(&k, eq + 1, err, err_len)) { app_key_free(&k); return false; }
  }
  for (size_t i = 0; i < keys->count; i++) {
    if (strcmp(keys->items[i].key, k.key) == 0) {
      snprintf(err, err_len, "--app-key '%s' given twice", k.key);
      app_key_free(&k);
      return false;
    }
  }
  sky_app_key *grown = realloc(keys->items, (keys->count + 1) * sizeof(*grown));
  if (!grown) { app_key_free(&k); snprintf(err, err_len, "out of memory"); return false; }
  keys->items = grown;
  keys->items[keys->count++] = k;
  return true;
}

bool sky_app_keys_dev_mode(const sky_app_keys *keys) { return keys->count == 0; }

const sky_app_key *sky_app_keys_find(const sky_app_keys *keys, const char *key) {
  for (size_t i = 0; i < keys->count; i++)
    if (strcmp(keys->items[i].key, key) == 0) return &keys->items[i];
  return NULL;
}

bool sky_app_keys_load_secret(sky_app_keys *keys, const char *arg, bool add_missing, char *err, size_t err_len) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg || eq[1] == '\0') {
    snprintf(err, err_len, "bad --app-secret-file '%s': expected KEY=PATH", arg);
    return false;
  }
  char key[SKY_APP_KEY_MAX + 1];
  size_t key_len = (size_t)(eq - arg);
  if (!key_chars_valid(arg, key_len)) {
    snprintf(err, err_len, "bad --app-secret-file '%s': the key is 1..%d printable ASCII characters without '=' or spaces",
             arg, SKY_APP_KEY_MAX);
    return false;
  }
  memcpy(key, arg, key_len);
  key[key_len] = '\0';
  if (!sky_app_keys_find(keys, key)) {
    if (!add_missing) {
      snprintf(err, err_len, "--app-secret-file %s: the key is not given with --app-key", key);
      return false;
    }
    if (!sky_app_keys_add(keys, key, err, err_len)) return false;
  }
  sky_app_key *k = (sky_app_key *)sky_app_keys_find(keys, key);
  if (k->secret) {
    snprintf(err, err_len, "--app-secret-file %s given twice", key);
    return false;
  }
  unsigned char *secret = malloc(SKY_CRED_SECRET_MAX); /* owner: k->secret */
  if (!secret) {
    snprintf(err, err_len, "out of memory");
    return false;
  }
  size_t n = 0;
  if (!sky_secret_file_read("--app-secret-file", eq + 1, SKY_CRED_SECRET_MIN, secret, SKY_CRED_SECRET_MAX, &n, err,
                            err_len)) {
    free(secret);
    return false;
  }
  k->secret = secret;
  k->secret_len = n;
  return true;
}

static bool origin_allowed(const sky_app_key *k, const char *origin) {
  if (k->origin_count == 0) return true; /* key without origins: any page, any client */
  for (size_t i = 0; i < k->origin_count; i++) {
    if (strcmp(k->origins[i], "*") == 0) return true;
    /* Origins are scheme://host:port; scheme and host are case-insensitive. */
    if (origin && strcasecmp(k->origins[i], origin) == 0) return true;
  }
  return false; /* includes "no Origin header" for a key bound to origins */
}

sky_error_code sky_app_keys_check(const sky_app_keys *keys, const char *key, const char *origin) {
  if (sky_app_keys_dev_mode(keys)) return SKY_ERR_NONE;
  const sky_app_key *k = sky_app_keys_find(keys, key);
  if (!k) return SKY_ERR_BAD_APP_KEY;
  return origin_allowed(k, origin) ? SKY_ERR_NONE : SKY_ERR_ORIGIN_NOT_ALLOWED;
}

void sky_app_keys_free(sky_app_keys *keys) {
  for (size_t i = 0; i < keys->count; i++) app_key_free(&keys->items[i]);
  free(keys->items);
  keys->items = NULL;
  keys->count = 0;
}
