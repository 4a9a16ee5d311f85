/* The per-peer state machine: one peer connection and one data channel per
 * remote peer, negotiated with the "perfect negotiation" pattern.
 *
 *   new --(we are the newcomer: create offer)--> offering --(answer)--> ...
 *   new --(offer received: create answer)-----> answering --------------> ...
 *   ... --(channel open)--> connected <--(ice)--> disconnected
 *   any --(peer_left | channel closed | connection failed)--> closed (peerLeft, once)
 *
 * A handshake that fails (the stack refuses the answer) starts over: the offerer
 * throws its connection away and offers again on a fresh one; the answerer,
 * seeing an offer after a completed negotiation, does the same on its side.
 * At most SKY_PEER_RESTARTS_MAX times per peer.
 *
 * Glare: polite = the smaller peer id (sky_peer_is_polite). An offer that
 * collides with our own is ignored by the impolite side; the polite side rolls
 * its offer back (pc_set_remote with an offer performs the rollback) and answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"
#include "json_util.h"

/* FNV-1a, uthash's HASH_FNV: keys are peer ids (32 hex digits) and handles. */
unsigned sky__hash(const void *key, size_t len) {
  const unsigned char *k = key;
  unsigned hashv = 2166136261u;
  for (size_t i = 0; i < len; i++) hashv = (hashv ^ k[i]) * 16777619u;
  return hashv;
}

sky_peer *sky__peer_find(const sky_client *c, const char *id) {
  sky_peer *p = NULL;
  if (id) HASH_FIND_STR(c->peers, id, p);
  return p;
}

sky_peer *sky__peer_visible(const sky_client *c, const char *id) {
  sky_peer *p = sky__peer_find(c, id);
  return p && !p->hidden ? p : NULL;
}

sky_peer *sky__peer_by_pc(const sky_client *c, int pc) {
  sky_peer *p = NULL;
  if (pc > 0) HASH_FIND(hh_pc, c->peers_by_pc, &pc, sizeof pc, p);
  return p;
}

static void emit_state(sky_client *c, const char *event, const char *state, const char *peer_id) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(state));
  cJSON_AddItemToArray(args, cJSON_CreateString(peer_id));
  sky__emit(c, event, args);
}

sky_peer *sky__peer_add(sky_client *c, const char *id, const char *user_data) {
  if (!sky_peer_id_valid(id, strlen(id))) return NULL;
  sky_peer *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  memcpy(p->id, id, SKY_PEER_ID_LEN);
  p->user_data = sky_strdup(user_data ? user_data : "{}");
  if (!p->user_data) {
    free(p);
    return NULL;
  }
  p->polite = sky_peer_is_polite(c->self_id, p->id);
  HASH_ADD_STR(c->peers, id, p);
  return p;
}

/* Creates the peer connection on first need. */
static bool ensure_pc(sky_client *c, sky_peer *p) {
  if (p->pc) return true;
  int pc = c->next_pc++;
  char *cfg = sky_ice_config_build(&c->ice, p->relay_only); /* owner: here */
  int rc = cfg ? c->ops.pc_create(c->user, pc, cfg) : -1;
  free(cfg);
  if (rc != 0) return false;
  p->pc_started_ms = sky__now(c);
  p->pc = pc;
  HASH_ADD(hh_pc, c->peers_by_pc, pc, sizeof p->pc, p);
  emit_state(c, "dataChannelState", "connecting", p->id);
  return true;
}

static void free_candidates(sky_peer *p) {
  while (p->cands) {
    sky_cand *next = p->cands->next;
    free(p->cands);
    p->cands = next;
  }
  p->cand_count = 0;
}

/* peerLeft (after the undelivered report and the channel's closing), as the
 * API sees a peer go. */
static void announce_left(sky_client *c, sky_peer *p) {
  size_t frames = p->outq.count + p->sent.count;
  if (frames) {
    /* Never silently lost: say how many frames may not have arrived. */
    char text[112];
    snprintf(text, sizeof text, "%zu message frame(s) to a peer that left were not confirmed delivered", frames);
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, cJSON_CreateString("warning"));
    cJSON_AddItemToArray(args, cJSON_CreateString(text));
    cJSON *err = cJSON_CreateObject();
    cJSON_AddStringToObject(err, "code", "undelivered");
    cJSON_AddStringToObject(err, "peerId", p->id);
    cJSON_AddNumberToObject(err, "frames", (double)frames);
    cJSON_AddItemToArray(args, err);
    sky__emit(c, "systemAction", args);
  }
  if (p->channel_open) emit_state(c, "dataChannelState", "closed", p->id);
  p->channel_open = false; /* said once */
  sky__emit_peer_event(c, "peerLeft", p->id, p->user_data, false);
}

/* Closes p's connection (if any) and unindexes it; p->pc is left as it was.
 * One copy of uthash's HASH_DELETE for both callers. */
static void close_pc(sky_client *c, sky_peer *p) {
  if (!p->pc) return;
  HASH_DELETE(hh_pc, c->peers_by_pc, p);
  if (c->ops.pc_close) c->ops.pc_close(c->user, p->pc);
}

void sky__peer_drop(sky_client *c, sky_peer *p, bool announce) {
  if (!p) return;
  sky__xfer_peer_gone(c, p, true);
  sky__media_pc_gone(c, p, announce); /* its streams end before it leaves */
  HASH_DEL(c->peers, p);
  close_pc(c, p);
  if (announce && !p->hidden) announce_left(c, p);
  p->state = SKY_PEER_CLOSED;
  free_candidates(p);
  sky__textq_clear(&p->outq);
  sky__textq_clear(&p->sent);
  sky_dc_reasm_clear(&p->reasm);
  free(p->user_data);
  free(p);
}

void sky__peer_drop_all(sky_client *c, bool announce) {
  sky_peer *p, *tmp;
  HASH_ITER(hh, c->peers, p, tmp) sky__peer_drop(c, p, announce);
}

/* A fresh connection: what the old channel carried without an acknowledgement
 * goes first on the new one (the receiver drops what it already had). */
static void requeue_unacked(sky_peer *p) {
  if (!p->sent.head) return;
  p->sent.tail->next = p->outq.head;
  if (!p->outq.head) p->outq.tail = p->sent.tail;
  p->outq.head = p->sent.head;
  p->outq.count += p->sent.count;
  p->outq.bytes += p->sent.bytes;
  memset(&p->sent, 0, sizeof p->sent);
}

static bool start_offer(sky_client *c, sky_peer *p);

/* Throws the peer connection away, keeping the peer and its send queue.
 * An open channel closes with it, and the app hears so whichever side noticed
 * first (our close, the remote's close, or its fresh offer). */
static void reset_pc(sky_client *c, sky_peer *p) {
  if (p->pc) sky__xfer_peer_gone(c, p, false);
  sky__media_pc_gone(c, p, true);
  if (p->channel_open) emit_state(c, "dataChannelState", "closed", p->id);
  close_pc(c, p);
  p->pc = 0;
  memcpy(p->gone_fp, p->remote_fp, sizeof p->gone_fp);
  memcpy(p->gone_ufrag, p->remote_ufrag, sizeof p->gone_ufrag);
  p->state = SKY_PEER_NEW;
  p->sig = SIG_STABLE;
  p->making_offer = p->ignore_offer = p->offer_abandoned = p->remote_set = p->renegotiate = false;
  p->channel_open = p->offerer = false;
  p->channel_lost_ms = p->ice_bad_ms = 0;
  requeue_unacked(p);
  p->ice_failed = p->ice_restarting = p->restart_wanted = false;
  free_candidates(p);
  sky_dc_reasm_clear(&p->reasm);
}

void sky__peer_hide(sky_client *c, sky_peer *p) {
  if (p->hidden) return;
  sky__xfer_peer_gone(c, p, true); /* reported left: its transfers end so */
  sky__media_pc_gone(c, p, true);
  announce_left(c, p);
  sky__textq_clear(&p->outq); /* reported: never sent late */
  sky__textq_clear(&p->sent);
  p->send_seq = p->recv_seq = 0; /* if it comes back, a new session */
  p->ack_due = false;
  reset_pc(c, p);
  p->hidden = true;
  p->restarts = p->ice_restarts = 0;
  p->server_gone_ms = 0;
  uint64_t now = sky__now(c);
  p->rejoin_until_ms = now + SKY_REJOIN_WINDOW_MS;
  p->rejoin_next_ms = now + SKY_REJOIN_RETRY_MS;
}

void sky__peer_reconnect(sky_client *c, sky_peer *p) {
  reset_pc(c, p);
  emit_state(c, "dataChannelState", "connecting", p->id);
  start_offer(c, p);
}

void sky__peer_send_ack(sky_client *c, sky_peer *p, bool heartbeat) {
  if (!p->channel_open || (!p->ack_due && !heartbeat)) return;
  char frame[48];
  size_t n = sky_dc_encode_ack(p->recv_seq, heartbeat, frame, sizeof frame);
  c->ops.dc_send(c->user, p->pc, frame, n);
  p->ack_due = false;
  p->rx_unacked = 0;
  p->last_tx_ms = sky__now(c);
}

/* Every message up to `acked` arrived: forget its frames. */
static void on_ack(sky_peer *p, uint32_t acked) {
  while (p->sent.head && p->sent.head->seq <= acked) free(sky__textq_pop(&p->sent));
}


bool sky__peer_restart_ice(sky_client *c, sky_peer *p) {
  if (!p->pc || !c->ops.pc_restart_ice || c->ops.pc_restart_ice(c->user, p->pc) != 0) {
    sky__peer_reconnect(c, p); /* the stack cannot: a fresh connection */
    return false;
  }
  p->making_offer = true;
  p->offer_abandoned = false;
  return true;
}

/* The offerer's answer to a failed handshake: a fresh connection, bounded.
 * After the first failure, relay only when a TURN server is known: behind two
 * NATs, a path through all candidates may never form (or form and then drop),
 * the relay does. */
static void restart(sky_client *c, sky_peer *p) {
  if (p->hidden) { /* the rejoin attempts are paced by liveness.c */
    reset_pc(c, p);
    return;
  }
  if (p->restarts++ >= SKY_PEER_RESTARTS_MAX) {
    sky__peer_drop(c, p, true);
    return;
  }
  reset_pc(c, p);
  p->relay_only = sky_ice_prefs_has_turn(&c->ice);
  start_offer(c, p);
}

void sky__peer_retry(sky_client *c, sky_peer *p) { restart(c, p); }

bool sky__peer_start_offer(sky_client *c, sky_peer *p) { return start_offer(c, p); }

/* A newcomer offers to the peers already in the room one after another: the
 * next connection is made once the previous offer is (its local description
 * is back), as a hand-written client awaiting each offer does. Made all at
 * once, their gathering overlaps, and a stack that serves every connection
 * of a process from one thread (wrtc) both queues them behind each other and
 * gathers again in every session still gathering when another starts (4 more
 * TCP candidates each): an 8-peer mesh in one process sent ~1,850 candidates
 * instead of ~1,100-1,500 and its first answer waited ~400 ms. */
void sky__peer_offer_next(sky_client *c) {
  uint64_t now = sky__now(c);
  for (;;) {
    sky_peer *next = NULL;
    for (sky_peer *p = c->peers; p; p = p->hh.next) {
      /* One in the making holds the others, for a while only: a stack that
       * never produces it (the operation failed) must not stall the rest
       * until that connection's own retry (SKY_CONNECT_TIMEOUT_MS). */
      if (p->pc && p->offerer && p->making_offer && p->state == SKY_PEER_OFFERING &&
          sky__elapsed(now, p->pc_started_ms) < SKY_OFFER_HOLD_MS)
        return;
      if (p->offer_queued && !next) next = p;
    }
    if (!next || c->state != SKY_ROOM_IN_ROOM) return;
    next->offer_queued = false;
    if (start_offer(c, next)) return; /* else it was dropped: the one after it */
  }
}

static bool start_offer(sky_client *c, sky_peer *p) {
  p->offer_queued = false; /* whatever asked, this is its offer */
  if (!ensure_pc(c, p)) {
    sky__peer_drop(c, p, true);
    return false;
  }
  p->state = SKY_PEER_OFFERING;
  p->offerer = true;
  p->making_offer = true;
  p->offer_abandoned = false;
  sky__media_attach(c, p); /* the first offer carries the streams we send */
  c->ops.pc_create_offer(c->user, p->pc);
  return true;
}

/* ---- signaling from the remote peer -------------------------------------- */

static void send_sdp(sky_client *c, sky_peer *p, sky_msg_type type, const char *sdp) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  memcpy(m.u.sdp.to, p->id, sizeof m.u.sdp.to);
  /* A lost peer may have left meanwhile: the server's unknown_peer answer
   * names it by this ref (client.c forgets the peer then, quietly). */
  if (p->hidden) snprintf(m.ref, sizeof m.ref, "rj%s", p->id);
  m.u.sdp.sdp = (char *)sdp; /* borrowed: not cleared */
  sky__send_msg(c, &m);
}

static void emit_handshake(sky_client *c, const char *step, const char *peer_id) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(step));
  cJSON_AddItemToArray(args, cJSON_CreateString(peer_id));
  sky__emit(c, "handshakeProgress", args);
}

/* The value of an SDP attribute line ("a=fingerprint:" -> "sha-256 AB:..."),
 * its first occurrence, into out; "" when it has none. */
static void sdp_attr(const char *sdp, const char *attr, char *out, size_t cap) {
  const char *f = strstr(sdp, attr);
  size_t n = 0;
  if (f) {
    f += strlen(attr);
    while (f[n] && f[n] != '\r' && f[n] != '\n' && n + 1 < cap) n++;
    memcpy(out, f, n);
  }
  out[n] = '\0';
}

/* The DTLS fingerprint: an ICE restart keeps it; a new connection has a new one. */
static void sdp_fingerprint(const char *sdp, char *out, size_t cap) { sdp_attr(sdp, "a=fingerprint:", out, cap); }

/* The ICE username fragment: an ICE restart changes it; a media
 * renegotiation keeps it (and the fingerprint). */
static void sdp_ufrag(const char *sdp, char *out, size_t cap) { sdp_attr(sdp, "a=ice-ufrag:", out, cap); }

void sky__peer_on_offer(sky_client *c, const sky_msg *m) {
  sky_peer *p = sky__peer_find(c, m->u.sdp.from);
  if (!p || c->state != SKY_ROOM_IN_ROOM || !m->u.sdp.sdp) return;
  char fp[sizeof p->remote_fp];
  sdp_fingerprint(m->u.sdp.sdp, fp, sizeof fp);
  /* An offer from a new connection may arrive before its old channel is seen
   * to close: the fingerprint tells it from an ICE restart. */
  bool fresh = p->remote_fp[0] && fp[0] && strcmp(fp, p->remote_fp) != 0;
  char ufrag[sizeof p->remote_ufrag];
  sdp_ufrag(m->u.sdp.sdp, ufrag, sizeof ufrag);
  /* Same connection, same ICE session: streams added or removed. */
  bool renegotiation = p->pc && p->remote_set && fp[0] && !fresh && ufrag[0] && strcmp(ufrag, p->remote_ufrag) == 0;
  /* We threw that connection away (and offer a fresh one, or wait for one):
   * this offer renegotiates it (its fingerprint and ICE ufrag), sent before
   * the other side knew. Answered on the fresh connection it would mix the
   * two sessions (the other side refuses such an answer and drops us);
   * ignored, our fresh offer reaches it and it starts over too. */
  bool stale = fp[0] && strcmp(fp, p->gone_fp) == 0 && ufrag[0] && strcmp(ufrag, p->gone_ufrag) == 0;
  if (stale) return;
  p->offer_queued = false; /* it offered first: we answer, with no offer of ours to collide */
  if (p->pc && p->channel_open && fresh && !p->making_offer && p->sig == SIG_STABLE) {
    reset_pc(c, p);
    p->relay_only = sky_ice_prefs_has_turn(&c->ice); /* it went relay-only, most likely */
  } else if (p->pc && p->channel_open) {
    /* An offer on a working connection: a renegotiation (ICE restart). */
    if (!p->making_offer && p->sig == SIG_STABLE && !renegotiation) sky__live_on_remote_restart(c, p);
  } else if (p->pc && p->remote_set && !renegotiation) {
    /* An offer after a completed negotiation on a connection whose channel
     * never opened or was lost: the other side started over. Also when our own
     * renegotiation offer is out (media added meanwhile): that offer is for the
     * connection the other side gave up, not a glare to settle by roles. */
    if (!p->hidden && p->restarts++ >= SKY_PEER_RESTARTS_MAX) {
      sky__peer_drop(c, p, true);
      return;
    }
    reset_pc(c, p);
    p->relay_only = sky_ice_prefs_has_turn(&c->ice); /* the offerer went relay-only too */
  }
  bool collision = p->making_offer || p->sig != SIG_STABLE;
  p->ignore_offer = !p->polite && collision;
  if (p->ignore_offer) return; /* impolite: our offer wins */
  if (!ensure_pc(c, p)) {
    sky__peer_drop(c, p, true);
    return;
  }
  if (collision) p->offer_abandoned = true; /* polite: roll ours back */
  if (collision && p->remote_set) p->renegotiate = true; /* ... and offer it again once stable */
  /* Operations run in order, so an offer still being made is set by then. */
  bool rollback = p->making_offer || p->sig == SIG_HAVE_LOCAL_OFFER;
  p->making_offer = false;
  if (p->state == SKY_PEER_NEW || p->state == SKY_PEER_OFFERING) p->state = SKY_PEER_ANSWERING;
  p->sig = SIG_HAVE_REMOTE_OFFER;
  emit_handshake(c, "offer", p->id);
  memcpy(p->remote_fp, fp, sizeof p->remote_fp);
  memcpy(p->remote_ufrag, ufrag, sizeof p->remote_ufrag);
  c->ops.pc_set_remote(c->user, p->pc, SKY_SDP_OFFER, m->u.sdp.sdp, rollback);
  /* After the offer is applied, so our tracks take its transceivers and the
   * answer carries them. */
  sky__media_attach(c, p);
  /* The bridge runs a peer's operations in order: the answer is created
   * after the offer is applied. */
  c->ops.pc_create_answer(c->user, p->pc);
}

void sky__peer_on_answer(sky_client *c, const sky_msg *m) {
  sky_peer *p = sky__peer_find(c, m->u.sdp.from);
  if (!p || !p->pc || !m->u.sdp.sdp) return;
  if (p->sig != SIG_HAVE_LOCAL_OFFER) return; /* stale: answers an offer we rolled back */
  p->sig = SIG_STABLE;
  emit_handshake(c, "answer", p->id);
  sdp_fingerprint(m->u.sdp.sdp, p->remote_fp, sizeof p->remote_fp);
  sdp_ufrag(m->u.sdp.sdp, p->remote_ufrag, sizeof p->remote_ufrag);
  c->ops.pc_set_remote(c->user, p->pc, SKY_SDP_ANSWER, m->u.sdp.sdp, false);
}

void sky__peer_on_candidate(sky_client *c, const sky_msg *m) {
  sky_peer *p = sky__peer_find(c, m->u.candidate.from);
  if (!p || !m->u.candidate.candidate) return;
  if (p->ignore_offer) return; /* belongs to the offer we ignored */
  const char *text = m->u.candidate.candidate;
  if (!sky_ice_candidate_allowed(&c->ice, text, false)) return; /* filterCandidatesType */
  if (p->pc && p->remote_set) {
    c->ops.pc_add_candidate(c->user, p->pc, text, m->u.candidate.sdp_mid, m->u.candidate.sdp_mline_index);
    return;
  }
  /* No remote description yet: hold it (bounded), flush once one is set. */
  if (p->cand_count >= SKY_PEER_CANDIDATES_MAX) return;
  size_t len = strlen(text);
  sky_cand *cand = malloc(sizeof *cand + len + 1);
  if (!cand) return;
  cand->next = NULL;
  cand->mline = m->u.candidate.sdp_mline_index;
  memcpy(cand->mid, m->u.candidate.sdp_mid, sizeof cand->mid);
  memcpy(cand->text, text, len + 1);
  sky_cand **tail = &p->cands;
  while (*tail) tail = &(*tail)->next;
  *tail = cand;
  p->cand_count++;
}

/* ---- callbacks from the WebRTC stack ------------------------------------- */

void sky_client_on_local_description(sky_client *c, int pc, sky_sdp_type type, const char *sdp, size_t len) {
  if (!c || !sdp) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  char *text = malloc(len + 1);
  if (text) {
    memcpy(text, sdp, len);
    text[len] = '\0';
    if (type == SKY_SDP_OFFER) {
      p->making_offer = false;
      if (!p->offer_abandoned) { /* else: rolled back in favour of theirs */
        p->sig = SIG_HAVE_LOCAL_OFFER;
        emit_state(c, "peerConnectionState", "have-local-offer", p->id);
        send_sdp(c, p, SKY_MSG_OFFER, text);
        emit_handshake(c, "offer", p->id);
      }
      p->offer_abandoned = false;
      sky__peer_offer_next(c); /* this offer is made: the next newcomer offer */
    } else {
      p->sig = SIG_STABLE;
      emit_state(c, "peerConnectionState", "stable", p->id);
      send_sdp(c, p, SKY_MSG_ANSWER, text);
      emit_handshake(c, "answer", p->id);
      sky__media_stable(c, p);
    }
    free(text);
  }
  sky__exit(c);
}

void sky_client_on_remote_description_set(sky_client *c, int pc, bool ok) {
  if (!c) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  if (!ok) {
    emit_handshake(c, "error", p->id);
    if (p->offerer || p->hidden) restart(c, p);
    else sky__peer_drop(c, p, true);
  } else {
    p->remote_set = true;
    emit_state(c, "peerConnectionState", p->sig == SIG_HAVE_REMOTE_OFFER ? "have-remote-offer" : "stable", p->id);
    for (sky_cand *cand = p->cands; cand; cand = cand->next) {
      c->ops.pc_add_candidate(c->user, p->pc, cand->text, cand->mid, cand->mline);
    }
    free_candidates(p);
    if (p->sig == SIG_STABLE) sky__media_stable(c, p); /* an answer applied */
  }
  sky__exit(c);
}

void sky_client_on_ice_candidate(sky_client *c, int pc, const char *candidate, size_t len, const char *sdp_mid,
                                 int sdp_mline_index) {
  if (!c) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p || len > SKY_CANDIDATE_MAX) return;
  char text[SKY_CANDIDATE_MAX + 1];
  if (candidate && len) memcpy(text, candidate, len);
  text[candidate ? len : 0] = '\0';
  if (!sky_ice_candidate_allowed(&c->ice, text, p->relay_only || c->ice.force_turn)) return;
  sky__enter(c);
  sky_msg m;
  memset(&m, 0, sizeof m);
  m.type = SKY_MSG_CANDIDATE;
  memcpy(m.u.candidate.to, p->id, sizeof m.u.candidate.to);
  m.u.candidate.candidate = text; /* borrowed */
  if (sdp_mid) {
    size_t n = strlen(sdp_mid);
    if (n > SKY_SDP_MID_MAX) n = SKY_SDP_MID_MAX;
    memcpy(m.u.candidate.sdp_mid, sdp_mid, n);
    m.u.candidate.sdp_mid[n] = '\0';
  }
  m.u.candidate.sdp_mline_index = sdp_mline_index;
  sky__send_msg(c, &m);
  sky__exit(c);
}

static void channel_opened(sky_client *c, sky_peer *p) {
  if (p->channel_open) return;
  p->channel_open = true;
  p->channel_lost_ms = 0;
  p->state = SKY_PEER_CONNECTED;
  p->last_rx_ms = p->last_tx_ms = sky__now(c);
  if (p->hidden) { /* a lost peer is back */
    p->hidden = false;
    sky__emit_peer_event(c, "peerJoined", p->id, p->user_data, false);
  }
  emit_state(c, "dataChannelState", "open", p->id);
  sky__media_send_state(c, p); /* what we send, before anything else */
  sky__peer_flush_all(c);
}

void sky_client_on_pc_state(sky_client *c, int pc, sky_pc_state_kind kind, const char *state) {
  if (!c || !state) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  bool failed = strcmp(state, "failed") == 0 || strcmp(state, "closed") == 0;
  if (failed && (kind == SKY_PCS_ICE || kind == SKY_PCS_CONNECTION) && !p->channel_open && !p->channel_lost_ms) {
    /* Never connected: the offerer starts over, the answerer waits for that
     * (or for peer_left from the server, which is the word on presence). */
    if (p->offerer) restart(c, p);
    sky__exit(c);
    return;
  }
  switch (kind) {
  case SKY_PCS_SIGNALING:
    /* peerConnectionState comes from the descriptions the core applied (see
     * sky_client_on_local_description / _on_remote_description_set): the
     * stack's own report is not needed, and reading it is what costs (wrtc's
     * signalingState getter waits for its signaling thread, and in the
     * middle of a negotiation that thread is busy: an 8-peer mesh in one
     * process took twice as long with that read). */
    break;
  case SKY_PCS_ICE:
    emit_state(c, "iceConnectionState", state, p->id);
    if (strcmp(state, "disconnected") == 0 && p->state == SKY_PEER_CONNECTED) p->state = SKY_PEER_DISCONNECTED;
    if ((strcmp(state, "connected") == 0 || strcmp(state, "completed") == 0) && p->state == SKY_PEER_DISCONNECTED)
      p->state = SKY_PEER_CONNECTED;
    /* failed (and closed, which some stacks report when the other side
     * closes): an ICE restart or the channel-lost grace decides, not a drop */
    sky__live_on_ice(c, p, state);
    break;
  case SKY_PCS_CONNECTION:
    if (failed) sky__live_on_ice(c, p, state);
    break;
  case SKY_PCS_CHANNEL:
    if (strcmp(state, "open") == 0) {
      channel_opened(c, p);
    } else if (strcmp(state, "closed") == 0) {
      /* Once open, a closed channel means the peer is gone, or that it is
       * starting over on a fresh connection: its offer must follow at once
       * (liveness.c drops it otherwise). Before that it is a handshake being
       * restarted: peer_left or an ICE failure decides. */
      if (p->channel_open) {
        p->channel_open = false;
        p->channel_lost_ms = sky__now(c);
        p->state = SKY_PEER_DISCONNECTED;
        emit_state(c, "dataChannelState", "closed", p->id);
      }
    } else {
      emit_state(c, "dataChannelState", state, p->id);
    }
    break;
  }
  sky__exit(c);
}

/* ---- data channel ------------------------------------------------------ */

typedef struct {
  sky_client *c;
  sky_peer *p;
  uint32_t seq;
} queue_ctx;

/* Text frames are JSON objects ('{'); binary ones start with their kind byte. */
static bool queue_frame(void *user, const char *frame, size_t len, bool binary) {
  queue_ctx *q = user;
  if (binary && !q->c->ops.dc_send_binary) return false;
  if (!sky__textq_push(&q->p->outq, NULL, frame, len)) return false;
  q->p->outq.tail->seq = q->seq;
  return true;
}

/* Sends queued frames while the channel is open and not above high water. */
static void peer_flush(sky_client *c, sky_peer *p) {
  if (!p->channel_open || !p->outq.head) return;
  /* Asked once per flush (a stack call that may block, as wrtc's does), then
   * counted here: what we send is buffered. */
  size_t buffered = c->ops.dc_buffered ? c->ops.dc_buffered(c->user, p->pc) : 0;
  while (p->channel_open && p->outq.head) {
    if (buffered >= SKY_DC_HIGH_WATER || p->sent.bytes >= SKY_PEER_UNACKED_MAX) {
      c->flush_blocked = true; /* retried: the channel drains, acks come */
      return;
    }
    sky_text *t = sky__textq_pop(&p->outq);
    if (t->data[0] != '{') c->ops.dc_send_binary(c->user, p->pc, t->data, t->len); /* a kind byte */
    else c->ops.dc_send(c->user, p->pc, t->data, t->len);
    buffered += t->len;
    p->last_tx_ms = sky__now(c);
    sky__textq_append(&p->sent, t); /* kept until acknowledged */
  }
}

void sky__peer_flush_all(sky_client *c) {
  c->flush_blocked = false;
  for (sky_peer *p = c->peers; p; p = p->hh.next) {
    peer_flush(c, p);
    sky__xfer_pump(c, p); /* after chat: a file never holds a chat line back */
  }
  sky__arm_timer(c);
}

/* Queues one message's frames (text chat when content_json, else binary),
 * numbered with the peer's next sequence number: all of them or none. */
static int peer_send(sky_client *c, sky_peer *p, const char *content_json, const void *bin, size_t len,
                     bool is_private) {
  if (!p) return SKY_E_UNKNOWN_PEER;
  if (p->outq.bytes > SKY_PEER_QUEUE_MAX) return SKY_E_QUEUE_FULL;
  queue_ctx q = {c, p, p->send_seq + 1};
  sky_text *before = p->outq.tail;
  int frames = content_json ? sky_dc_encode_chat(content_json, is_private, q.seq, queue_frame, &q)
                            : sky_dc_encode_binary(bin, len, is_private, q.seq, queue_frame, &q);
  if (frames < 0) {
    /* Undo a partly queued message: the receiver must never see half of it. */
    sky_text *t = before ? before->next : p->outq.head;
    while (t) {
      sky_text *next = t->next;
      p->outq.bytes -= t->len;
      p->outq.count--;
      free(t);
      t = next;
    }
    if (before) before->next = NULL;
    else p->outq.head = NULL;
    p->outq.tail = before;
    return SKY_E_TOO_LARGE;
  }
  p->send_seq = q.seq;
  peer_flush(c, p); /* no-op until the channel opens */
  sky__arm_timer(c);
  return SKY_OK;
}

int sky__peer_send_chat(sky_client *c, sky_peer *p, const char *content_json, bool is_private) {
  return peer_send(c, p, content_json, NULL, 0, is_private);
}

int sky__peer_send_binary(sky_client *c, sky_peer *p, const void *data, size_t len, bool is_private) {
  return peer_send(c, p, NULL, data, len, is_private);
}

void sky_client_on_channel_drain(sky_client *c, int pc) {
  if (!c) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  sky__peer_flush_all(c);
  sky__exit(c);
}

void sky_client_on_channel_message(sky_client *c, int pc, const char *data, size_t len, bool is_text) {
  if (!c || !data) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  if (!p->channel_open) channel_opened(c, p); /* a message proves the channel is open */
  sky__live_on_rx(c, p);
  bool handled = is_text ? sky__media_on_frame(c, p, data, len)
                         : sky__xfer_on_frame(c, p, (const unsigned char *)data, len);
  if (handled) {
    sky__exit(c);
    return;
  }
  sky_dc_chat chat;
  sky_dc_result res = is_text ? sky_dc_receive(&p->reasm, data, len, &chat)
                              : sky_dc_receive_binary(&p->reasm, (const unsigned char *)data, len, &chat);
  if (res == SKY_DC_ACK) on_ack(p, chat.acked);
  else p->rx_unacked += len; /* a chat's frames */
  if (res == SKY_DC_CHAT || res == SKY_DC_BINARY) {
    /* Sent again on a fresh connection, already delivered: once is enough. */
    bool dup = chat.seq && chat.seq <= p->recv_seq;
    if (chat.seq) {
      if (!dup) p->recv_seq = chat.seq;
      p->ack_due = true;
    }
    const char *target = chat.is_private ? c->self_id : NULL;
    if (dup) {
      sky_dc_chat_clear(&chat);
    } else if (res == SKY_DC_BINARY) {
      sky__incoming_binary(c, chat.content, chat.len, p->id, target, chat.is_private); /* takes the bytes */
      chat.content = NULL;
    } else {
      sky__incoming(c, chat.content, p->id, target, chat.is_private, true);
      sky_dc_chat_clear(&chat);
    }
    if (p->rx_unacked >= SKY_ACK_EAGER_BYTES) sky__peer_send_ack(c, p, false);
  }
  sky__exit(c);
}

/* ---- queries ----------------------------------------------------------- */

sky_peer_state sky_client_peer_state(const sky_client *c, const char *peer_id) {
  sky_peer *p = c ? sky__peer_find(c, peer_id) : NULL;
  return p ? p->state : SKY_PEER_CLOSED;
}

int sky_client_peer_handle(const sky_client *c, const char *peer_id) {
  sky_peer *p = c ? sky__peer_find(c, peer_id) : NULL;
  return p ? p->pc : 0;
}

const char *sky_client_peer_state_name(sky_peer_state s) {
  static const char *const names[] = {"new", "offering", "answering", "connected", "disconnected", "closed"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
