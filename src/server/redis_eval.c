/* Scripts by SHA-1, room keys, error replies. See redis_eval.h. */
#include "redis_eval.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_bus.h"
#include "redis_scripts.h"

#define ROOM_KEY_MAX (sizeof("sky:room:") + 2 * SKY_ROOM_MAX + sizeof(":inst"))
#define PEERS_KEY_MAX (sizeof("sky:peers:") + SKY_INSTANCE_ID_MAX)
#define MAX_ARGS 16

static const char *me(const sky_server *s) { return s->cfg->redis.instance_id; }

typedef struct room_keys {
  char room[ROOM_KEY_MAX], inst[ROOM_KEY_MAX], lock[ROOM_KEY_MAX], seq[ROOM_KEY_MAX], peers[PEERS_KEY_MAX];
} room_keys;

static void make_room_keys(const sky_server *s, const char *room, room_keys *k) {
  static const char digits[] = "0123456789abcdef";
  char hex[2 * SKY_ROOM_MAX + 1];
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)room; *p && n + 2 < sizeof(hex); p++) {
    hex[n++] = digits[*p >> 4];
    hex[n++] = digits[*p & 15];
  }
  hex[n] = '\0';
  snprintf(k->room, sizeof(k->room), "sky:room:%s", hex);
  snprintf(k->inst, sizeof(k->inst), "sky:room:%s:inst", hex);
  snprintf(k->lock, sizeof(k->lock), "sky:room:%s:lock", hex);
  snprintf(k->seq, sizeof(k->seq), "sky:room:%s:seq", hex);
  snprintf(k->peers, sizeof(k->peers), "sky:peers:%s", me(s));
}

/* What failed while Redis had lost the scripts (NOSCRIPT) failed: the
 * scripts are loaded again, the commands are not retried. */
typedef struct loaded_script {
  const char *text;
  char sha[2 * SHA_DIGEST_LENGTH + 1]; /* computed once, at the first use */
} loaded_script;

static loaded_script scripts[] = {
    {sky_script_join, ""},   {sky_script_leave, ""}, {sky_script_update, ""},    {sky_script_fanout, ""},
    {sky_script_lock, ""},   {sky_script_relay, ""}, {sky_script_heartbeat, ""}, {sky_script_reap, ""},
    {sky_script_sync, ""},   {sky_script_snapshot, ""},
};
#define SCRIPT_COUNT (sizeof(scripts) / sizeof(scripts[0]))

const char *sky_redis_sha(const char *text) {
  for (size_t i = 0; i < SCRIPT_COUNT; i++) {
    loaded_script *sc = &scripts[i];
    if (sc->text != text) continue;
    if (!sc->sha[0]) {
      unsigned char md[SHA_DIGEST_LENGTH];
      SHA1((const unsigned char *)text, strlen(text), md);
      for (size_t j = 0; j < sizeof(md); j++) snprintf(sc->sha + 2 * j, 3, "%02x", md[j]);
    }
    return sc->sha;
  }
  return NULL;
}

/* An error reply (logged at most once a second); NOSCRIPT loads the scripts again. */
void sky_redis_check_reply(sky_server *s, const void *reply) {
  const redisReply *r = reply;
  static uint64_t last_ms;
  if (!r || r->type != REDIS_REPLY_ERROR || s->stopping) return;
  uint64_t now = sky_now_ms();
  if (now - last_ms < 1000) return;
  last_ms = now;
  lwsl_err("redis: %s\n", r->str);
  if (strncmp(r->str, "NOSCRIPT", 8) == 0) sky_redis_load_scripts(s);
}

/* The reply of a command nobody waits for: errors are still worth a line. */
void sky_redis_quiet_reply(redisAsyncContext *ac, void *reply, void *priv) {
  (void)ac;
  sky_redis_check_reply(priv, reply);
}

void sky_redis_load_scripts(sky_server *s) {
  for (size_t i = 0; i < SCRIPT_COUNT; i++) {
    const char *argv[] = {"SCRIPT", "LOAD", scripts[i].text};
    size_t lens[] = {6, 4, strlen(scripts[i].text)};
    sky_bus_command(s->bus, sky_redis_quiet_reply, s, 3, argv, lens);
  }
}

bool sky_redis_eval(sky_server *s, const char *script, const char *room, const char **args, int nargs,
                    size_t last_len, redisCallbackFn *fn, void *priv) {
  const char *small_argv[MAX_ARGS];
  size_t small_lens[MAX_ARGS];
  const char **argv = small_argv;
  size_t *lens = small_lens;
  if (8 + nargs > MAX_ARGS) { /* the long lists of forget_departed / take_snapshot */
    argv = malloc((size_t)(8 + nargs) * sizeof(*argv)); /* owner: here */
    lens = malloc((size_t)(8 + nargs) * sizeof(*lens)); /* owner: here */
  }
  bool sent = false;
  int argc = 0;
  room_keys k;
  if (!argv || !lens) goto done;
  argv[argc++] = "EVALSHA";
  argv[argc++] = sky_redis_sha(script);
  argv[argc++] = room ? "5" : "0";
  if (room) {
    make_room_keys(s, room, &k);
    argv[argc++] = k.room;
    argv[argc++] = k.inst;
    argv[argc++] = k.lock;
    argv[argc++] = k.seq;
    argv[argc++] = k.peers;
  }
  for (int i = 0; i < nargs; i++) argv[argc++] = args[i];
  for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
  if (nargs > 0 && last_len != (size_t)-1) lens[argc - 1] = last_len;
  if (!fn) { /* nobody waits for it, but its errors are logged */
    fn = sky_redis_quiet_reply;
    priv = s;
  }
  sent = sky_bus_command(s->bus, fn, priv, argc, argv, lens);
done:
  if (argv != small_argv) free(argv);
  if (lens != small_lens) free(lens);
  return sent;
}

