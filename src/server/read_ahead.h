/* Read-ahead: sockets whose last read filled lws's receive buffer are read
 * again before the loop polls, so a busy sender's backlog is consumed in one
 * loop turn and what it relays leaves in one write per receiver.
 *
 * Why: lws 4.1 reads at most --rx-buffer bytes (+ LWS_PRE) per POLLIN and
 * sizes each connection's frame buffer by the same number. At the default
 * 512, a relaying sender yields ~3 candidates per loop turn, so each send()
 * to its receiver carried ~3 messages and loopback TCP per send was half the
 * server's time (perf). A bigger --rx-buffer fixed that but costs every idle
 * peer its size in memory. Re-reading only the sockets that just filled the
 * buffer gets the batching without the memory: an idle or lightly used
 * socket is never read more than lws reads it.
 *
 * The re-read is lws_service_fd() with POLLIN, what the libev watcher does
 * when the socket polls readable; on a drained socket it costs one recv()
 * that returns EAGAIN. */
#ifndef SKY_SERVER_READ_AHEAD_H
#define SKY_SERVER_READ_AHEAD_H

#include <stddef.h>

#include "server.h"

/* From LWS_CALLBACK_RECEIVE: len payload bytes arrived on c. */
void sky_read_ahead_note(sky_conn *c, size_t len);
/* From sky_conn_destroy: c must not be read again. */
void sky_read_ahead_forget(sky_conn *c);
/* After each loop turn, outside every lws callback: reads the noted sockets
 * again, a bounded number of rounds. */
void sky_read_ahead_run(sky_server *s);

#endif
