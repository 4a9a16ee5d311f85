/* This instance's two connections to Redis, driven by the libwebsockets
 * event loop: `cmd` runs commands and scripts, `sub` holds the one SUBSCRIBE
 * to this instance's channel (a subscribed connection can do nothing else).
 *
 * hiredis's async API does the protocol; lws does the waiting. Each hiredis
 * socket is adopted into lws as a raw file descriptor (a dup of it, so that
 * lws and hiredis each close their own): lws reports it readable ->
 * redisAsyncHandleRead, writable (asked for by hiredis's addWrite hook) ->
 * redisAsyncHandleWrite. Nothing blocks the loop (but the name lookup of a
 * --redis host that is not an address) and there is no second thread.
 *
 * When either connection fails, or Redis leaves a PING (sent every second)
 * or a connection attempt unanswered for 3 s, both are closed and opened
 * again after a backoff (100 ms doubling to 2 s); in between sky_bus_up() is false and the
 * rooms backend serves local peers alone. The first failure of an outage is
 * logged as an error, and so is the way back. */
#ifndef SKY_SERVER_REDIS_BUS_H
#define SKY_SERVER_REDIS_BUS_H

#include <hiredis/async.h>
#include <stdbool.h>

#include "server.h"

/* Called with every message on this instance's channel (data is the
 * message's bytes, borrowed for the call). */
typedef void (*sky_bus_message_fn)(sky_server *s, const char *data, size_t len);
/* Called each time both connections are ready again (at start too). */
typedef void (*sky_bus_up_fn)(sky_server *s);
/* Called every second while up: heartbeats and the reaper. */
typedef void (*sky_bus_tick_fn)(sky_server *s);
/* Called each time the connections are lost (after every pending command's
 * callback has had its NULL reply): whatever waits for a message on the bus
 * will not get it. */
typedef void (*sky_bus_down_fn)(sky_server *s);

/* The lws protocol the Redis sockets are adopted with: add it to the vhost's
 * protocol list (it refuses to serve WebSocket upgrades). */
extern const struct lws_protocols sky_bus_protocol;

/* Starts connecting (returns at once; failures are retried). The bus is
 * owned by the caller's server and freed by sky_bus_destroy(). NULL when out
 * of memory. */
sky_bus *sky_bus_create(sky_server *s, const char *channel, sky_bus_message_fn on_message, sky_bus_up_fn on_up,
                        sky_bus_tick_fn on_tick, sky_bus_down_fn on_down);
/* Closes both connections (pending callbacks get a NULL reply) and frees. */
void sky_bus_destroy(sky_bus *bus);

bool sky_bus_up(const sky_bus *bus);

/* Queues a command on `cmd` (argv as in redisAsyncCommandArgv; binary safe).
 * fn(reply or NULL when the connection went away, privdata) runs later, and
 * must free privdata. False when Redis is down: then fn is never called and
 * privdata stays the caller's. */
bool sky_bus_command(sky_bus *bus, redisCallbackFn *fn, void *privdata, int argc, const char **argv,
                     const size_t *argvlen);

#endif
