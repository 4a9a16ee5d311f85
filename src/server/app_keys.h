/* Application keys: which keys a server accepts, from which page origins, and
 * which of them need SkylinkJS credentials (a key with a shared secret, see
 * credentials.h). With no key configured the server runs in development mode
 * and accepts any key from any origin (so a tutorial's init('Your API key')
 * just works). */
#ifndef SKY_SERVER_APP_KEYS_H
#define SKY_SERVER_APP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "protocol.h"

typedef struct sky_app_key {
  char *key;        /* heap: owned by the sky_app_keys list */
  char **origins;   /* heap array of heap strings; NULL = any origin */
  size_t origin_count;
  unsigned char *secret; /* heap (owned), wiped when freed; NULL = no credentials needed */
  size_t secret_len;
} sky_app_key;

typedef struct sky_app_keys {
  sky_app_key *items; /* heap array, owned; freed by sky_app_keys_free() */
  size_t count;
} sky_app_keys;

/* Adds one --app-key argument: "KEY" (any origin) or "KEY=ORIGIN[,ORIGIN...]".
 * Returns false with a message in err when the argument is malformed. */
bool sky_app_keys_add(sky_app_keys *keys, const char *arg, char *err, size_t err_len);

/* Gives a key its shared secret, from one --app-secret-file argument
 * "KEY=PATH" (the file's bytes, one trailing newline removed,
 * SKY_CRED_SECRET_MIN..SKY_CRED_SECRET_MAX bytes). The key must have been
 * added already unless add_missing (the mint command needs no --app-key).
 * False with a message in err otherwise, or when the key has a secret already. */
bool sky_app_keys_load_secret(sky_app_keys *keys, const char *arg, bool add_missing, char *err, size_t err_len);

bool sky_app_keys_dev_mode(const sky_app_keys *keys);

/* The configured key called key, or NULL (always NULL in development mode). */
const sky_app_key *sky_app_keys_find(const sky_app_keys *keys, const char *key);

/* SKY_ERR_NONE when the key may connect from origin (NULL = no Origin header),
 * else SKY_ERR_BAD_APP_KEY or SKY_ERR_ORIGIN_NOT_ALLOWED. */
sky_error_code sky_app_keys_check(const sky_app_keys *keys, const char *key, const char *origin);

void sky_app_keys_free(sky_app_keys *keys);

#endif
