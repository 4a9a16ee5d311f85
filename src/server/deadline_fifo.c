/* See deadline_fifo.h. */
#include "deadline_fifo.h"

#include <stddef.h>

void sky_deadline_disarm(sky_deadline_fifo *q, sky_deadline *d) {
  if (!d->armed) return;
  if (d->prev) d->prev->next = d->next; else q->head = d->next;
  if (d->next) d->next->prev = d->prev; else q->tail = d->prev;
  d->prev = d->next = NULL;
  d->armed = false;
}

void sky_deadline_arm(sky_deadline_fifo *q, sky_deadline *d, uint64_t due_ms) {
  sky_deadline_disarm(q, d);
  d->due_ms = due_ms;
  d->prev = q->tail;
  d->next = NULL;
  if (q->tail) q->tail->next = d; else q->head = d;
  q->tail = d;
  d->armed = true;
}

sky_deadline *sky_deadline_pop_due(sky_deadline_fifo *q, uint64_t now_ms) {
  sky_deadline *d = q->head;
  if (!d || d->due_ms > now_ms) return NULL;
  sky_deadline_disarm(q, d);
  return d;
}
