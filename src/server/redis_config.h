/* The command-line side of several instances (--redis, --instance-id,
 * --redis-grace): parsing and checking only; no hiredis, no libwebsockets. */
#ifndef SKY_SERVER_REDIS_CONFIG_H
#define SKY_SERVER_REDIS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_REDIS_HOST_MAX 255
#define SKY_INSTANCE_ID_MAX 64
#define SKY_REDIS_DEFAULT_PORT 6379
#define SKY_REDIS_DEFAULT_GRACE_S 10u

typedef struct sky_redis_config {
  bool enabled;                         /* --redis given */
  char host[SKY_REDIS_HOST_MAX + 1];    /* a name, an IPv4 or an IPv6 address (brackets removed) */
  int port;
  uint32_t db;                          /* SELECT'ed on the command connection */
  char instance_id[SKY_INSTANCE_ID_MAX + 1]; /* "" until set or defaulted */
  uint32_t grace_s;                     /* --redis-grace: how long a dead instance's peers may take to come back */
} sky_redis_config;

/* redis://HOST[:PORT][/DB]: HOST a name, an IPv4 address or [IPv6]; PORT
 * 1..65535 (default 6379); DB 0..65535 (default 0). No user, password or
 * query. False with a message in err otherwise. */
bool sky_redis_url_parse(sky_redis_config *rc, const char *url, char *err, size_t err_len);

/* 1..SKY_INSTANCE_ID_MAX of [A-Za-z0-9_.-]: it goes into Redis key and
 * channel names and into the '|'-separated member records. */
bool sky_instance_id_valid(const char *id);

/* A fresh id: the host name's first label (sanitized), the pid and 8 random
 * hex digits, so two instances on one host never share one. */
void sky_instance_id_default(char out[SKY_INSTANCE_ID_MAX + 1]);

#endif
