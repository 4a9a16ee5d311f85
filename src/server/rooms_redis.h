/* The Redis rooms backend (--redis): several instances share rooms. See
 * rooms_backend.h for the interface and redis_scripts.h for what lives in
 * Redis. */
#ifndef SKY_SERVER_ROOMS_REDIS_H
#define SKY_SERVER_ROOMS_REDIS_H

#include <stdbool.h>

#include "rooms_backend.h"

extern const sky_rooms_ops sky_rooms_redis;

/* Connects to Redis (in the background) and makes s use this backend. False
 * only when out of memory. */
bool sky_rooms_redis_start(sky_server *s);
/* Closes the connections (at exit). */
void sky_rooms_redis_stop(sky_server *s);

#endif
