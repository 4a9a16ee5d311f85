/* Resume on the server: tokens out, takeover and room restore in.
 * See resume_dispatch.h. */
#include "resume_dispatch.h"

#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "room.h"
#include "rooms_backend.h"


void sky_resume_send_token(sky_conn *c) {
  const sky_config *cfg = c->server->cfg;
  uint64_t expires = sky_resume_now_s() + cfg->resume_ttl_s;
  if (expires > UINT32_MAX) expires = UINT32_MAX; /* the wire field's range, in 2106 */
  char token[SKY_TOKEN_MAX + 1];
  c->token_ms = sky_now_ms();
  if (!sky_resume_mint(&cfg->secret, c->app_key, c->peer_id, c->room ? c->room->name : "", (uint32_t)expires, token)) {
    lwsl_err("peer %s: cannot mint a resume token\n", c->peer_id);
    return;
  }
  /* Written by hand, not through sky_msg_encode: a join sends two of these,
   * and a cJSON tree per token cost ~1 us. The same JSON the encoder makes
   * (fields in schema order, no ref): a minted token is only [0-9a-zA-Z._-]
   * (resume.h), nothing to escape. */
  char json[sizeof("{\"type\":\"token\",\"token\":\"\",\"expires\":4294967295}") + SKY_TOKEN_MAX];
  int n = snprintf(json, sizeof(json), "{\"type\":\"token\",\"token\":\"%s\",\"expires\":%u}", token, (unsigned)expires);
  if (n < 0 || (size_t)n >= sizeof(json)) return; /* cannot happen: sized for the longest token */
  sky_conn_send_text(c, json, (size_t)n);
}

/* c (not yet authenticated, c->peer_id already the token's) replaces old. */
static void take_over(sky_conn *c, sky_conn *old, const char *room) {
  sky_server *s = c->server;
  if (s->cfg->verbose > 1) lwsl_user("peer %s: resumed on a new socket, dropping the old one\n", c->peer_id);
  if (old->room && strcmp(old->room->name, room) == 0) {
    sky_room_replace(old, c); /* the room sees nothing */
  } else if (old->room) {
    /* It joined another room since this token: it is not coming back there. */
    sky_rooms_leave(old, SKY_LEAVE_DISCONNECTED);
  }
  char *fresh = c->user_data; /* the userData moves with the peer; old keeps c's "{}" */
  c->user_data = old->user_data;
  old->user_data = fresh;
  HASH_DELETE(hh, s->peers, old);
  /* No longer that peer: its destroy neither leaves a room (it has none) nor
   * touches s->peers, so nobody hears of its end. */
  old->authenticated = false;
  sky_conn_kill(old, SKY_LEAVE_DISCONNECTED);
}

bool sky_resume_take_over(sky_conn *c, const sky_msg *hello, const char *bound_room, sky_resume_claim *claim) {
  const char *token = hello->u.hello.resume;
  if (!token[0]) return false;
  sky_server *s = c->server;
  sky_resume_verdict v =
      sky_resume_verify(&s->cfg->secret, hello->u.hello.app_key, token, strlen(token), sky_resume_now_s(), claim);
  if (v != SKY_RESUME_OK) {
    if (s->cfg->verbose > 1) lwsl_user("hello: resume token refused (%s): a new session\n", sky_resume_verdict_name(v));
    return false;
  }
  if (bound_room && claim->room[0] && strcmp(claim->room, bound_room) != 0) {
    /* Credentials for one room do not carry a session of another. */
    if (s->cfg->verbose > 1) lwsl_user("hello: resume token for another room than the credentials': a new session\n");
    return false;
  }
  memcpy(c->peer_id, claim->peer_id, sizeof(c->peer_id));
  sky_conn *old = NULL;
  HASH_FIND_STR(s->peers, c->peer_id, old);
  if (old) take_over(c, old, claim->room);
  return true;
}

void sky_resume_restore_room(sky_conn *c, const sky_resume_claim *claim) {
  if (!claim->room[0]) {
    sky_resume_send_token(c);
    return;
  }
  /* c may already be in it, inherited from its old socket: the backend
   * then only confirms the room and lists it. */
  sky_rooms_join(c, claim->room, true, SKY_RESUME_REF, NULL);
}
