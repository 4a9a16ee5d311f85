/* TURN credentials on the wire. See turn_dispatch.h. */
#include "turn_dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "resume.h"

char *sky_turn_ice_servers_for(sky_conn *c) {
  const sky_turn *t = &c->server->cfg->turn;
  if (!sky_turn_enabled(t)) return NULL;
  char *json = sky_turn_ice_servers(t, c->peer_id, sky_resume_now_s(), NULL); /* owner: the caller */
  if (json) c->turn_ms = sky_now_ms();
  else lwsl_err("peer %s: cannot build its iceServers\n", c->peer_id);
  return json;
}

void sky_turn_renew_if_due(sky_conn *c) {
  const sky_turn *t = &c->server->cfg->turn;
  if (!sky_turn_enabled(t) || sky_now_ms() - c->turn_ms < (uint64_t)t->ttl_s * 1000 / 2) return;
  sky_msg m;
  memset(&m, 0, sizeof(m));
  m.type = SKY_MSG_ICE_SERVERS;
  m.u.ice_servers.ice_servers = sky_turn_ice_servers_for(c); /* owner: m, cleared below */
  if (!m.u.ice_servers.ice_servers) return;
  sky_conn_send_msg(c, &m);
  sky_msg_clear(&m);
}
