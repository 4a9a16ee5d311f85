/* Running the Lua scripts of redis_scripts.h: loaded once per connection
 * (SCRIPT LOAD, the first commands once Redis is up) and then run by their
 * SHA-1 (EVALSHA), so a relay costs its message, not a script's text; a Redis
 * that lost them (SCRIPT FLUSH) answers NOSCRIPT and they are loaded again.
 * Also the keys of a room, and the logging of error replies. */
#ifndef SKY_SERVER_REDIS_EVAL_H
#define SKY_SERVER_REDIS_EVAL_H

#include <hiredis/async.h>
#include <stdbool.h>
#include <stddef.h>

#include "server.h"

/* script (one of redis_scripts.h) with room's five keys (or none when room is
 * NULL) and args (NUL-terminated strings, but for the last one: last_len
 * bytes unless last_len is (size_t)-1). fn(reply or NULL, priv) runs later
 * and owns priv; with fn NULL, error replies are only logged. False when Redis
 * is down: fn will not run and priv stays the caller's. */
bool sky_redis_eval(sky_server *s, const char *script, const char *room, const char **args, int nargs,
                    size_t last_len, redisCallbackFn *fn, void *priv);
/* SCRIPT LOAD of every script (when Redis is up, before anything else). */
void sky_redis_load_scripts(sky_server *s);
/* The SHA-1 (hex) of a script of redis_scripts.h, or NULL for another text. */
const char *sky_redis_sha(const char *script);
/* Logs an error reply (at most once a second); NOSCRIPT loads the scripts again. */
void sky_redis_check_reply(sky_server *s, const void *reply);
/* A reply callback for commands nobody waits for (priv: the server). */
void sky_redis_quiet_reply(redisAsyncContext *ac, void *reply, void *priv);

#endif
