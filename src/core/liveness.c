/* Liveness of the peers: whichever signal comes first says a peer is gone.
 *
 * 1. Heartbeat: every open channel sends {"t":"hb"} when it has sent nothing
 *    for SKY_HEARTBEAT_MS; a peer silent for SKY_PEER_SILENCE_MS is dropped.
 * 2. The server's word: peer_left "left"/"kicked" drops at once; a lost socket
 *    ("disconnected"/"timeout") drops at once only when the channel is not open,
 *    else when the peer also stays silent for SKY_SERVER_GONE_GRACE_MS (it may
 *    just be reconnecting to the server).
 *    A channel that closes is a goodbye unless an offer for a fresh connection
 *    follows within SKY_CHANNEL_LOST_GRACE_MS.
 * 3. ICE: disconnected for a moment, or failed, gets an ICE restart on the same
 *    connection, impolite side first; at most SKY_ICE_RESTARTS_MAX of them. When
 *    a TURN server is known and the connection is not relay-only yet, the first
 *    such restart is a fresh relay-only connection instead.
 *
 * A peer lost this way (not by the server's word) is reported left but kept
 * hidden: if the server still has it in the room, the two connect again and
 * it is reported joined (rejoin()); the server's peer_left ends that.
 *
 * All of it runs from one periodic tick (SKY_LIVENESS_TICK_MS) while peers exist. */
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"



void sky__live_on_rx(sky_client *c, sky_peer *p) {
  p->last_rx_ms = sky__now(c);
  p->server_gone_ms = 0; /* it is alive, whatever the server saw */
}

static void emit_restart(sky_client *c, sky_peer *p, bool self_initiated, bool ice) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(p->id));
  cJSON_AddItemToArray(args, sky__peer_info(c, p->user_data));
  cJSON_AddItemToArray(args, cJSON_CreateBool(self_initiated));
  cJSON_AddItemToArray(args, cJSON_CreateBool(ice));
  sky__emit(c, "peerRestart", args);
}

void sky__live_on_ice(sky_client *c, sky_peer *p, const char *state) {
  bool healthy = strcmp(state, "connected") == 0 || strcmp(state, "completed") == 0;
  if (healthy) {
    p->ice_bad_ms = 0;
    p->ice_failed = false;
    p->ice_restarting = false;
    p->ice_restarts = 0;
    return;
  }
  if (!p->channel_open) return; /* before the first connection: peer.c restarts */
  bool failed = strcmp(state, "failed") == 0 || strcmp(state, "closed") == 0;
  if (failed || strcmp(state, "disconnected") == 0) {
    if (!p->ice_bad_ms) p->ice_bad_ms = sky__now(c);
    if (failed) p->ice_failed = true;
  }
}

void sky__live_on_server_left(sky_client *c, sky_peer *p, sky_leave_reason reason) {
  bool socket_only = reason == SKY_LEAVE_DISCONNECTED || reason == SKY_LEAVE_TIMEOUT;
  if (!socket_only || !p->channel_open) {
    sky__peer_drop(c, p, true);
    return;
  }
  if (!p->server_gone_ms) p->server_gone_ms = sky__now(c);
}

void sky__live_on_remote_restart(sky_client *c, sky_peer *p) { emit_restart(c, p, false, true); }

/* Sends the restart now if signaling and the negotiation state allow.
 * Returns false when p was dropped (too many restarts): p is freed. */
static bool try_restart(sky_client *c, sky_peer *p) {
  if (!p->restart_wanted || !sky__session_online(c) || c->state != SKY_ROOM_IN_ROOM) return true;
  if (p->making_offer || p->sig != SIG_STABLE) return true; /* after this negotiation */
  p->restart_wanted = false;
  bool by_hand = p->restart_by_hand;
  p->restart_by_hand = false;
  if (!by_hand && p->ice_restarts >= SKY_ICE_RESTARTS_MAX) {
    sky__peer_hide(c, p); /* reported left; reconnected if the path returns */
    return true;
  }
  if (!by_hand && !p->relay_only && sky_ice_prefs_has_turn(&c->ice)) {
    /* A path through every candidate broke: behind NATs, the relay is the one
     * that holds. A fresh relay-only connection (the old channel drains first). */
    p->relay_only = true;
    p->ice_bad_ms = 0;
    emit_restart(c, p, true, false);
    sky__peer_reconnect(c, p);
    return true;
  }
  if (!by_hand) p->ice_restarts++;
  p->ice_restarting = true;
  p->ice_bad_ms = p->ice_bad_ms ? sky__now(c) : 0; /* the next retry counts from here */
  emit_restart(c, p, true, true);
  sky__peer_restart_ice(c, p);
  return true;
}

bool sky__live_request_restart(sky_client *c, sky_peer *p, bool by_hand) {
  p->restart_wanted = true;
  p->restart_by_hand |= by_hand;
  return try_restart(c, p);
}

void sky__live_resume(sky_client *c) {
  sky_peer *p, *tmp;
  HASH_ITER(hh, c->peers, p, tmp) try_restart(c, p);
}

/* A lost peer: the impolite side offers again now and then (the polite side
 * answers), until the window closes. Reported joined once a channel opens. */
static void rejoin(sky_client *c, sky_peer *p, uint64_t now) {
  if (now >= p->rejoin_until_ms) {
    sky__peer_drop(c, p, false); /* it did not come back: already reported */
    return;
  }
  if (p->channel_open || now < p->rejoin_next_ms) return;
  p->rejoin_next_ms = now + SKY_REJOIN_RETRY_MS;
  if (p->polite || !sky__session_online(c) || c->state != SKY_ROOM_IN_ROOM) return;
  p->relay_only = sky_ice_prefs_has_turn(&c->ice); /* the broken path may have been a direct one */
  sky__peer_reconnect(c, p); /* a fresh connection; the last attempt goes */
}

/* One peer's checks; may drop it. */
static void check_peer(sky_client *c, sky_peer *p, uint64_t now) {
  if (p->hidden) {
    rejoin(c, p, now);
    return;
  }
  if (p->channel_lost_ms && sky__elapsed(now, p->channel_lost_ms) >= SKY_CHANNEL_LOST_GRACE_MS) {
    sky__peer_hide(c, p); /* no fresh offer followed: gone, or a broken path */
    return;
  }
  if (!p->channel_open) {
    /* Not up in time: the offerer tries again (relay only, if it can). */
    if (p->pc && p->offerer && !p->channel_lost_ms && sky__elapsed(now, p->pc_started_ms) >= SKY_CONNECT_TIMEOUT_MS)
      sky__peer_retry(c, p);
    return;
  }
  if (sky__elapsed(now, p->last_rx_ms) >= SKY_PEER_SILENCE_MS) {
    sky__peer_hide(c, p); /* vanished, or its path broke: see rejoin() */
    return;
  }
  if (sky__elapsed(now, p->last_rx_ms) >= SKY_PATH_SUSPECT_MS && !p->relay_only && !p->polite &&
      sky__session_online(c) && sky_ice_prefs_has_turn(&c->ice)) {
    /* Heartbeats stopped on a direct path: behind NATs it may be the path
     * that broke (wrtc keeps reporting "connected"). The relay holds; what
     * was in flight is sent again. The polite side follows the offer. */
    p->relay_only = true;
    emit_restart(c, p, true, false);
    sky__peer_reconnect(c, p);
    return;
  }
  if (p->server_gone_ms && sky__elapsed(now, p->server_gone_ms) >= SKY_SERVER_GONE_GRACE_MS &&
      p->last_rx_ms <= p->server_gone_ms) {
    sky__peer_hide(c, p); /* it may still resume with the server */
    return;
  }
  if (p->ice_bad_ms && !p->restart_wanted) {
    uint64_t grace = p->ice_restarting ? SKY_ICE_RESTART_RETRY_MS
                     : p->polite       ? SKY_ICE_POLITE_GRACE_MS
                     : p->ice_failed   ? 0
                                       : SKY_ICE_GRACE_MS;
    if (sky__elapsed(now, p->ice_bad_ms) >= grace && !sky__live_request_restart(c, p, false)) return;
  }
  if (p->restart_wanted && !try_restart(c, p)) return;
  /* Heartbeat (with the acknowledgement) on an idle channel; an
   * acknowledgement on its own when one is due. */
  bool idle = !p->outq.head && sky__elapsed(now, p->last_tx_ms) >= SKY_HEARTBEAT_MS;
  sky__peer_send_ack(c, p, idle);
}

uint64_t sky__live_tick(sky_client *c, uint64_t now) {
  if (!c->peers || (c->state != SKY_ROOM_IN_ROOM && c->state != SKY_ROOM_LEAVING)) {
    c->next_tick_ms = 0;
    return 0;
  }
  if (now >= c->next_tick_ms) {
    /* An offer in the making whose connection went (dropped, reset) never
     * comes back to start the next queued one: this does. */
    sky__peer_offer_next(c);
    sky_peer *p, *tmp;
    HASH_ITER(hh, c->peers, p, tmp) check_peer(c, p, now);
    c->next_tick_ms = now + SKY_LIVENESS_TICK_MS;
  }
  return c->peers ? c->next_tick_ms : 0;
}
