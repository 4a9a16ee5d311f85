/* skymesh-server configuration: every command-line option, its default, and
 * the parser. The config is filled once at startup and read-only afterwards. */
#ifndef SKY_SERVER_CONFIG_H
#define SKY_SERVER_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "app_keys.h"
#include "protocol.h"
#include "redis_config.h"
#include "resume.h"
#include "turn.h"

/* Defaults that are not part of sky_limits (those come from sky_limits_default). */
#define SKY_DEFAULT_HOST "127.0.0.1"
#define SKY_DEFAULT_PORT 8080
#define SKY_DEFAULT_MAX_ROOMS 10000u
#define SKY_DEFAULT_MAX_CONNECTIONS 10000u
#define SKY_DEFAULT_HELLO_TIMEOUT_S 10u
#define SKY_DEFAULT_MAX_QUEUE_BYTES (1024u * 1024u)
#define SKY_DEFAULT_MAX_QUEUE_FRAMES 1024u
/* lws gives every connection a receive buffer of this size and reads the
 * socket at most this much at a time. It is the one per-peer cost of lws we
 * choose: small keeps idle peers cheap; large reads more pipelined messages
 * per syscall. read_ahead.c re-reads busy sockets within a loop turn, so a
 * small buffer mostly costs extra recv() calls, not batching: per held,
 * joined peer 2.34 KiB at 256 against 2.62 at 512; server CPU per relayed
 * candidate 1.43 us against 0.91 (~620k against ~790k msg/s with the C
 * generator; the PeerJS server relays 78k). Typical ICE candidates, pings
 * and chat still arrive whole and are dispatched without a copy; longer
 * messages are reassembled. */
#define SKY_DEFAULT_RX_BUFFER 256u

typedef struct sky_config {
  const char *host;     /* points into argv or a string literal: never freed */
  int port;             /* 0 = pick a free port */
  const char *web_dir;  /* argv or literal */
  const char *dist_dir; /* argv or literal */
  sky_limits limits;    /* sent to clients in welcome */
  uint32_t max_rooms;
  uint32_t max_connections;
  uint32_t hello_timeout_s;  /* a socket that sends no hello is closed after this */
  uint32_t max_queue_bytes;  /* outgoing backlog before a slow reader is dropped */
  uint32_t max_queue_frames;
  uint32_t rx_buffer_bytes;  /* lws receive buffer (and read size) per connection */
  int verbose;               /* 0 quiet, 1 lws notices, 2 + our per-connection log */
  sky_app_keys keys;         /* owned: released by sky_config_free() */
  const char *secret_file;   /* argv, or NULL: a random secret */
  uint32_t resume_ttl_s;     /* lifetime of a resume token */
  sky_resume_secret secret;  /* signs resume tokens; loaded by sky_config_parse(), wiped by sky_config_free() */
  sky_redis_config redis;    /* --redis, --instance-id, --redis-grace; disabled = rooms in memory */
  sky_turn turn;             /* --turn-uri, --turn-secret-file, --turn-ttl; the secret wiped by sky_config_free() */
  const char *turn_secret_file;   /* argv, or NULL */
  const char **app_secret_files;  /* heap array (owned) of argv strings "KEY=PATH", read once parsed */
  size_t app_secret_file_count;
  /* --mint-credentials KEY ROOM HOURS [START]: argv strings, start NULL = now */
  const char *mint_key, *mint_room, *mint_duration, *mint_start;
} sky_config;

typedef enum sky_config_result {
  SKY_CONFIG_OK = 0,
  SKY_CONFIG_HELP,  /* --help was given: usage printed, exit 0 */
  SKY_CONFIG_ERROR, /* message printed to stderr, exit 2 */
  SKY_CONFIG_MINT   /* --mint-credentials: print credentials (sky_config_mint), do not serve */
} sky_config_result;

void sky_config_init(sky_config *cfg);
sky_config_result sky_config_parse(sky_config *cfg, int argc, char **argv);
void sky_config_usage(FILE *out, const char *argv0);
void sky_config_free(sky_config *cfg);

/* The mint command, once sky_config_parse() returned SKY_CONFIG_MINT: prints
 * the credentials JSON to stdout and returns 0, or a message to stderr and 2. */
int sky_config_mint(const sky_config *cfg);

#endif
