/* Deadlines that all wait the same period, kept in arming order.
 *
 * Why not lws's timers: libwebsockets 4.1 keeps every timer of a service
 * thread in one list sorted by due time and inserts by walking it, so with
 * N sockets each re-arming a keepalive timer every insert costs O(N). During a
 * join storm at 10,000 sockets that walk (lws_dll2_add_sorted) was 44 % of the
 * server's time under perf. When every entry of a queue has the same period,
 * arming appends at the tail and the list stays sorted: arm, disarm and
 * "pop the next due" are all O(1). The server's 100 ms tick drains them.
 *
 * An entry is embedded in its owner (see sky_conn); the queue borrows it while
 * armed and the owner disarms it before it is freed. */
#ifndef SKY_SERVER_DEADLINE_FIFO_H
#define SKY_SERVER_DEADLINE_FIFO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sky_deadline {
  struct sky_deadline *prev, *next;
  uint64_t due_ms;
  bool armed;
} sky_deadline;

typedef struct sky_deadline_fifo {
  sky_deadline *head, *tail;
} sky_deadline_fifo;

/* (Re)arms `d` for `due_ms`, at the tail. Callers arm with now + a fixed
 * period, so the tail is the latest; an earlier due is only served late. */
void sky_deadline_arm(sky_deadline_fifo *q, sky_deadline *d, uint64_t due_ms);
void sky_deadline_disarm(sky_deadline_fifo *q, sky_deadline *d);
/* The oldest entry when it is due at `now_ms` (disarmed), else NULL. */
sky_deadline *sky_deadline_pop_due(sky_deadline_fifo *q, uint64_t now_ms);

#endif
