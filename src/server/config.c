/* Command-line parsing for skymesh-server. Options are "--name value" or
 * "--name=value"; every numeric option is range-checked so a typo fails at
 * startup with a clear message (exit 2) rather than misbehaving later. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "credentials.h"

void sky_config_init(sky_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->host = SKY_DEFAULT_HOST;
  cfg->port = SKY_DEFAULT_PORT;
  cfg->web_dir = "web";
  cfg->dist_dir = "dist";
  sky_limits_default(&cfg->limits);
  cfg->max_rooms = SKY_DEFAULT_MAX_ROOMS;
  cfg->max_connections = SKY_DEFAULT_MAX_CONNECTIONS;
  cfg->hello_timeout_s = SKY_DEFAULT_HELLO_TIMEOUT_S;
  cfg->max_queue_bytes = SKY_DEFAULT_MAX_QUEUE_BYTES;
  cfg->max_queue_frames = SKY_DEFAULT_MAX_QUEUE_FRAMES;
  cfg->rx_buffer_bytes = SKY_DEFAULT_RX_BUFFER;
  cfg->resume_ttl_s = SKY_DEFAULT_RESUME_TTL_S;
  cfg->redis.grace_s = SKY_REDIS_DEFAULT_GRACE_S;
  sky_turn_init(&cfg->turn);
}

void sky_config_free(sky_config *cfg) {
  sky_app_keys_free(&cfg->keys);
  sky_resume_secret_wipe(&cfg->secret);
  sky_turn_wipe(&cfg->turn);
  free(cfg->app_secret_files);
  cfg->app_secret_files = NULL;
  cfg->app_secret_file_count = 0;
}

void sky_config_usage(FILE *out, const char *argv0) {
  sky_limits d;
  sky_limits_default(&d);
  fprintf(out,
          "usage: %s [options]\n"
          "\n"
          "skymesh signaling server: serves the demo page, the built module and the\n"
          "signaling WebSocket (ws://HOST:PORT/signaling) from one process.\n"
          "\n"
          "  --host ADDR            listen address (default %s; 0.0.0.0 = all interfaces)\n"
          "  --port N               TCP port, 0 picks a free one (default %d)\n"
          "  --web DIR              directory served at / (default web)\n"
          "  --dist DIR             directory served at /dist/ (default dist)\n"
          "  --app-key KEY[=ORIGINS] accept this application key, optionally only from\n"
          "                         the comma-separated page origins (scheme://host[:port],\n"
          "                         or * for any). Repeatable. None = development mode:\n"
          "                         any key from any origin is accepted.\n"
          "  --app-secret-file KEY=PATH  the shared secret of --app-key KEY (the file's\n"
          "                         bytes, one trailing newline ignored, at least %d): the\n"
          "                         key then needs SkylinkJS credentials bound to one room.\n"
          "                         Repeatable, one per key\n"
          "  --mint-credentials KEY ROOM HOURS [START]  print SkylinkJS credentials\n"
          "                         {startDateTime, duration, credentials} for ROOM, from\n"
          "                         START (ISO-8601, default now) for HOURS, signed with\n"
          "                         --app-secret-file KEY=PATH, and exit\n"
          "  --max-frame BYTES      largest signaling frame a client may send (default %u)\n"
          "  --max-user-data BYTES  largest userData, as compact JSON (default %u)\n"
          "  --max-content BYTES    largest message content, as compact JSON (default %u)\n"
          "  --max-peers N          peers per room (default %u)\n"
          "  --max-rooms N          rooms held at once (default %u)\n"
          "  --max-connections N    signaling sockets at once (default %u)\n"
          "  --rate N               messages per second per connection (default %u)\n"
          "  --burst N              token bucket size per connection (default %u)\n"
          "  --ping-interval MS     client ping period; the server pings idle sockets after\n"
          "                         this and drops them after twice this (default %u)\n"
          "  --hello-timeout SECS   close sockets that send no hello in time (default %u)\n"
          "  --rx-buffer BYTES      per-connection receive buffer: smaller holds more idle\n"
          "                         peers, larger relays faster under load (default %u)\n"
          "  --secret-file PATH     key that signs resume tokens: the file's bytes (one\n"
          "                         trailing newline ignored), at least %d. Servers sharing\n"
          "                         it accept each other's tokens, across restarts too.\n"
          "                         Default: a random key, so a restart gives new peer ids\n"
          "  --resume-ttl SECS      lifetime of a resume token, 10 to 86400 (default %u)\n"
          "  --turn-uri URI         an ICE server handed to every peer (repeatable, up to %d):\n"
          "                         stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp],\n"
          "                         turns:HOST[:PORT][?transport=udp|tcp]\n"
          "  --turn-secret-file PATH  coturn's static-auth-secret (use-auth-secret): turn:\n"
          "                         URIs get TURN REST credentials signed with it\n"
          "  --turn-ttl SECS        lifetime of TURN credentials, %u to %u (default %u);\n"
          "                         renewed when half of it is gone\n"
          "  --redis redis://HOST[:PORT][/DB]  share rooms with every instance using this\n"
          "                         Redis (docs/server.md, \"Several instances\")\n"
          "  --instance-id ID       this instance's name in Redis, [A-Za-z0-9_.-], up to %d\n"
          "                         (default: host-pid-random)\n"
          "  --redis-grace SECS     how long the peers of a dead instance have to resume\n"
          "                         elsewhere before they are reported left, 1 to 3600\n"
          "                         (default %u)\n"
          "  -v, --verbose          more logging (repeat for more)\n"
          "  -h, --help             this text\n",
          argv0, SKY_DEFAULT_HOST, SKY_DEFAULT_PORT, SKY_CRED_SECRET_MIN, d.max_frame_bytes, d.max_user_data_bytes,
          d.max_content_bytes, d.max_peers_per_room, SKY_DEFAULT_MAX_ROOMS, SKY_DEFAULT_MAX_CONNECTIONS,
          d.msgs_per_second, d.msgs_burst, d.ping_interval_ms, SKY_DEFAULT_HELLO_TIMEOUT_S,
          SKY_DEFAULT_RX_BUFFER, SKY_SECRET_MIN, SKY_DEFAULT_RESUME_TTL_S, SKY_TURN_URIS_MAX, SKY_TURN_TTL_MIN,
          SKY_TURN_TTL_MAX, SKY_TURN_TTL_DEFAULT, SKY_INSTANCE_ID_MAX, SKY_REDIS_DEFAULT_GRACE_S);
}

static bool parse_u32(const char *name, const char *value, uint32_t min, uint32_t max, uint32_t *out) {
  char *end = NULL;
  errno = 0;
  if (value[0] == '-' || value[0] == '\0') goto bad; /* strtoul accepts "-1" */
  unsigned long long v = strtoull(value, &end, 10);
  if (errno || *end != '\0' || v < min || v > max) goto bad;
  *out = (uint32_t)v;
  return true;
bad:
  fprintf(stderr, "skymesh-server: %s expects an integer from %u to %u, got '%s'\n", name, min, max, value);
  return false;
}

/* One numeric option: its name, bounds, and where it is stored. */
typedef struct num_option {
  const char *name;
  uint32_t min, max;
  size_t offset; /* into sky_config */
} num_option;

#define NUM_OPT(n, lo, hi, field) {n, lo, hi, offsetof(sky_config, field)}
static const num_option num_options[] = {
    NUM_OPT("--max-frame", 256, 16u * 1024 * 1024, limits.max_frame_bytes),
    NUM_OPT("--max-user-data", 2, 1024u * 1024, limits.max_user_data_bytes),
    NUM_OPT("--max-content", 2, 16u * 1024 * 1024, limits.max_content_bytes),
    NUM_OPT("--max-peers", 1, 100000, limits.max_peers_per_room),
    NUM_OPT("--max-rooms", 1, 10000000, max_rooms),
    NUM_OPT("--max-connections", 1, 1000000, max_connections),
    NUM_OPT("--rate", 1, 1000000, limits.msgs_per_second),
    NUM_OPT("--burst", 1, 1000000, limits.msgs_burst),
    NUM_OPT("--ping-interval", 1000, 3600000, limits.ping_interval_ms),
    NUM_OPT("--hello-timeout", 1, 3600, hello_timeout_s),
    NUM_OPT("--rx-buffer", 128, 65536, rx_buffer_bytes),
    NUM_OPT("--resume-ttl", 10, 86400, resume_ttl_s),
    NUM_OPT("--turn-ttl", SKY_TURN_TTL_MIN, SKY_TURN_TTL_MAX, turn.ttl_s),
    NUM_OPT("--redis-grace", 1, 3600, redis.grace_s),
};

/* ok, or false after printing err (an option parser's message). */
static bool said(bool ok, const char *err) {
  if (!ok) fprintf(stderr, "skymesh-server: %s\n", err);
  return ok;
}

static bool apply_option(sky_config *cfg, const char *name, const char *value) {
  if (strcmp(name, "--host") == 0) {
    if (!value[0]) { fprintf(stderr, "skymesh-server: --host is empty\n"); return false; }
    cfg->host = value;
    return true;
  }
  if (strcmp(name, "--port") == 0) {
    uint32_t port;
    if (!parse_u32(name, value, 0, 65535, &port)) return false;
    cfg->port = (int)port;
    return true;
  }
  if (strcmp(name, "--web") == 0) { cfg->web_dir = value; return true; }
  if (strcmp(name, "--dist") == 0) { cfg->dist_dir = value; return true; }
  if (strcmp(name, "--secret-file") == 0) { cfg->secret_file = value; return true; } /* read once parsed */
  if (strcmp(name, "--app-key") == 0) {
    char err[512];
    return said(sky_app_keys_add(&cfg->keys, value, err, sizeof(err)), err);
  }
  if (strcmp(name, "--turn-uri") == 0) {
    char err[512];
    return said(sky_turn_add_uri(&cfg->turn, value, err, sizeof(err)), err);
  }
  if (strcmp(name, "--redis") == 0) {
    char err[512];
    return said(sky_redis_url_parse(&cfg->redis, value, err, sizeof(err)), err);
  }
  if (strcmp(name, "--instance-id") == 0) {
    if (!sky_instance_id_valid(value)) {
      fprintf(stderr, "skymesh-server: --instance-id wants 1 to %d of [A-Za-z0-9_.-]\n", SKY_INSTANCE_ID_MAX);
      return false;
    }
    snprintf(cfg->redis.instance_id, sizeof(cfg->redis.instance_id), "%s", value);
    return true;
  }
  if (strcmp(name, "--turn-secret-file") == 0) { cfg->turn_secret_file = value; return true; } /* read once parsed */
  if (strcmp(name, "--app-secret-file") == 0) { /* read once parsed: --app-key may come later */
    const char **grown = realloc(cfg->app_secret_files, (cfg->app_secret_file_count + 1) * sizeof(*grown));
    if (!grown) { fprintf(stderr, "skymesh-server: out of memory\n"); return false; }
    cfg->app_secret_files = grown; /* owner: cfg, freed by sky_config_free */
    cfg->app_secret_files[cfg->app_secret_file_count++] = value;
    return true;
  }
  for (size_t i = 0; i < sizeof(num_options) / sizeof(num_options[0]); i++) {
    const num_option *o = &num_options[i];
    if (strcmp(name, o->name) == 0)
      return parse_u32(name, value, o->min, o->max, (uint32_t *)((char *)cfg + o->offset));
  }
  fprintf(stderr, "skymesh-server: unknown option '%s' (try --help)\n", name);
  return false;
}

/* Cross-option rules: limits that only make sense relative to each other. */
static bool check_consistency(const sky_config *cfg) {
  const sky_limits *l = &cfg->limits;
  if (l->max_user_data_bytes >= l->max_frame_bytes || l->max_content_bytes >= l->max_frame_bytes) {
    fprintf(stderr, "skymesh-server: --max-user-data and --max-content must be smaller than --max-frame (%u)\n",
            l->max_frame_bytes);
    return false;
  }
  if (cfg->redis.instance_id[0] && !cfg->redis.enabled) {
    fprintf(stderr, "skymesh-server: --instance-id needs --redis\n");
    return false;
  }
  return true;
}

/* --app-secret-file KEY=PATH, once every --app-key is known. */
static bool load_app_secrets(sky_config *cfg, bool minting) {
  for (size_t i = 0; i < cfg->app_secret_file_count; i++) {
    char err[768];
    if (!sky_app_keys_load_secret(&cfg->keys, cfg->app_secret_files[i], minting, err, sizeof(err))) {
      fprintf(stderr, "skymesh-server: %s\n", err);
      return false;
    }
  }
  return true;
}

/* --turn-secret-file, then the TURN options as a whole, then the iceServers
 * list against --max-content (clients decode ice_servers with that bound). */
static bool load_turn(sky_config *cfg) {
  char err[768];
  if (cfg->turn_secret_file && !sky_turn_load_secret(&cfg->turn, cfg->turn_secret_file, err, sizeof(err))) {
    fprintf(stderr, "skymesh-server: %s\n", err);
    return false;
  }
  if (!sky_turn_check(&cfg->turn, err, sizeof(err))) {
    fprintf(stderr, "skymesh-server: %s\n", err);
    return false;
  }
  if (!sky_turn_enabled(&cfg->turn)) return true;
  /* the longest list: a 10-digit expiry and any peer id */
  char *sample = sky_turn_ice_servers(&cfg->turn, "00000000000000000000000000000000", 4000000000u, NULL);
  if (!sample) {
    fprintf(stderr, "skymesh-server: cannot build the iceServers list\n");
    return false;
  }
  size_t len = strlen(sample);
  free(sample);
  if (len > cfg->limits.max_content_bytes) {
    fprintf(stderr, "skymesh-server: the iceServers list (%zu bytes) is longer than --max-content (%u)\n", len,
            cfg->limits.max_content_bytes);
    return false;
  }
  return true;
}

/* The key for resume tokens: --secret-file, or random (tokens then die with
 * the process, which the operator is told once). */
static bool load_secret(sky_config *cfg) {
  if (cfg->secret_file) {
    char err[512];
    if (sky_resume_secret_load(&cfg->secret, cfg->secret_file, err, sizeof(err))) return true;
    fprintf(stderr, "skymesh-server: %s\n", err);
    return false;
  }
  if (!sky_resume_secret_random(&cfg->secret)) {
    fprintf(stderr, "skymesh-server: no randomness for the resume secret\n");
    return false;
  }
  fprintf(stderr, "skymesh-server: no --secret-file: a random key signs resume tokens, they will not survive a restart\n");
  return true;
}

sky_config_result sky_config_parse(sky_config *cfg, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      sky_config_usage(stdout, argv[0]);
      return SKY_CONFIG_HELP;
    }
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) { cfg->verbose++; continue; }
    if (strcmp(arg, "--mint-credentials") == 0) {
      /* KEY ROOM HOURS [START]: the words up to the next option */
      const char *words[4] = {NULL, NULL, NULL, NULL};
      int n = 0;
      while (i + 1 < argc && n < 4 && strncmp(argv[i + 1], "--", 2) != 0) words[n++] = argv[++i];
      if (n < 3) {
        fprintf(stderr, "skymesh-server: --mint-credentials needs KEY ROOM HOURS [START]\n");
        return SKY_CONFIG_ERROR;
      }
      cfg->mint_key = words[0];
      cfg->mint_room = words[1];
      cfg->mint_duration = words[2];
      cfg->mint_start = words[3];
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(stderr, "skymesh-server: unexpected argument '%s' (try --help)\n", arg);
      return SKY_CONFIG_ERROR;
    }
    char name[64];
    const char *value;
    const char *eq = strchr(arg, '=');
    if (eq) { /* --name=value */
      size_t n = (size_t)(eq - arg);
      if (n >= sizeof(name)) n = sizeof(name) - 1;
      memcpy(name, arg, n);
      name[n] = '\0';
      value = eq + 1;
    } else {
      snprintf(name, sizeof(name), "%s", arg);
      if (i + 1 >= argc) {
        fprintf(stderr, "skymesh-server: %s needs a value (try --help)\n", arg);
        return SKY_CONFIG_ERROR;
      }
      value = argv[++i];
    }
    if (!apply_option(cfg, name, value)) return SKY_CONFIG_ERROR;
  }
  if (cfg->mint_key) return load_app_secrets(cfg, true) ? SKY_CONFIG_MINT : SKY_CONFIG_ERROR;
  if (!check_consistency(cfg) || !load_app_secrets(cfg, false) || !load_turn(cfg) || !load_secret(cfg))
    return SKY_CONFIG_ERROR;
  if (cfg->redis.enabled && !cfg->redis.instance_id[0]) sky_instance_id_default(cfg->redis.instance_id);
  return SKY_CONFIG_OK;
}

int sky_config_mint(const sky_config *cfg) {
  const sky_app_key *k = sky_app_keys_find(&cfg->keys, cfg->mint_key);
  if (!k || !k->secret) {
    fprintf(stderr, "skymesh-server: --mint-credentials %s needs --app-secret-file %s=PATH\n", cfg->mint_key,
            cfg->mint_key);
    return 2;
  }
  char json[512], err[256];
  if (!sky_cred_mint_json(k->secret, k->secret_len, cfg->mint_room, cfg->mint_duration, cfg->mint_start,
                          sky_cred_now_ms(), json, sizeof(json), err, sizeof(err))) {
    fprintf(stderr, "skymesh-server: --mint-credentials: %s\n", err);
    return 2;
  }
  printf("%s\n", json);
  return 0;
}
