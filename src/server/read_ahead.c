/* Read-ahead of busy sockets. See read_ahead.h. */
#include "read_ahead.h"

#include <string.h>

#include "connection.h"

/* Rounds per loop turn: a sender is read at most this many extra times
 * before the loop polls again, so one busy socket cannot starve the rest. */
#define READ_AHEAD_ROUNDS 16

/* A client frame's header on the wire: 2 bytes, 2 more for a 16-bit length
 * (8 for 64-bit), and the 4-byte mask every client frame carries. */
static size_t client_frame_overhead(size_t payload) {
  return payload < 126 ? 6 : payload <= 0xffff ? 8 : 14;
}

void sky_read_ahead_note(sky_conn *c, size_t len) {
  sky_server *s = c->server;
  if (c->rx_turn != s->read_ahead_turn) { /* first bytes this turn */
    c->rx_turn = s->read_ahead_turn;
    c->rx_turn_bytes = 0;
  }
  size_t seen = (size_t)c->rx_turn_bytes + len + client_frame_overhead(len);
  c->rx_turn_bytes = seen > UINT16_MAX ? UINT16_MAX : (uint16_t)seen;
  /* lws reads the receive buffer plus its LWS_PRE headroom at a time. Payload
   * still being assembled in lws's buffer is not reported yet, so a full
   * read may show as little as half of that: half is the trigger. A socket
   * that sent one small message is not read again. */
  size_t read_size = s->cfg->rx_buffer_bytes + LWS_PRE;
  if (c->read_ahead_queued || seen < read_size / 2) return;
  if (s->read_ahead_count == SKY_READ_AHEAD_MAX) return; /* full: the next poll reads it */
  c->read_ahead_queued = true;
  s->read_ahead[s->read_ahead_count++] = c;
}

void sky_read_ahead_forget(sky_conn *c) {
  sky_server *s = c->server;
  /* It may sit in the queue, or in the round being read (a socket closed
   * while another was read). */
  for (unsigned i = 0; i < s->read_ahead_count; i++) {
    if (s->read_ahead[i] == c) s->read_ahead[i] = NULL;
  }
  for (unsigned i = 0; i < s->read_ahead_round_count; i++) {
    if (s->read_ahead_round[i] == c) s->read_ahead_round[i] = NULL;
  }
  c->read_ahead_queued = false;
}

void sky_read_ahead_run(sky_server *s) {
  for (int r = 0; r < READ_AHEAD_ROUNDS && s->read_ahead_count > 0 && !s->stopping; r++) {
    /* This round's sockets; reading them may queue them (or others) again. */
    s->read_ahead_round_count = s->read_ahead_count;
    memcpy(s->read_ahead_round, s->read_ahead, s->read_ahead_count * sizeof(s->read_ahead[0]));
    s->read_ahead_count = 0;
    s->read_ahead_turn++; /* each read counts its bytes afresh */
    for (unsigned i = 0; i < s->read_ahead_round_count; i++) {
      sky_conn *c = s->read_ahead_round[i];
      if (!c) continue; /* closed meanwhile */
      c->read_ahead_queued = false;
      if (c->closing) continue; /* its input is ignored from now on */
      struct lws_pollfd pfd = {lws_get_socket_fd(c->wsi), LWS_POLLIN, LWS_POLLIN};
      /* May close sockets (c's own on EOF): sky_conn_destroy then forgets
       * them, here and in the queue. */
      (void)lws_service_fd(s->ctx, &pfd);
    }
    s->read_ahead_round_count = 0;
  }
  /* Still queued after the last round: the next turn's poll reads them. */
  for (unsigned i = 0; i < s->read_ahead_count; i++) {
    if (s->read_ahead[i]) s->read_ahead[i]->read_ahead_queued = false;
  }
  s->read_ahead_count = 0;
  s->read_ahead_turn++;
}
