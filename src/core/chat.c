/* Chat over the data channels, the API side: sendP2PMessage's checks, the
 * fan-out to peers (peer.c queues and numbers the frames, dc_frame.c frames
 * them) and the sender's own echo. Apart from client.c so that the chat path,
 * made lean for throughput (issue 14), reads in one place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"
#include "json_util.h"

/* Echoes a binary chat we sent: our own copy of the bytes. */
static void echo_binary(sky_client *c, const void *data, size_t len, const char *target, bool is_private) {
  char *copy = malloc(len + 1);
  if (!copy) return;
  if (len) memcpy(copy, data, len);
  copy[len] = '\0';
  sky__incoming_binary(c, copy, len, c->self_id, target, is_private);
}

/* echo: the self-echo's content when not content itself (NULL: content). */
static int send_p2p(sky_client *c, const char *content, const void *bin, size_t len, const char *targets_json,
                    const char *echo) {
  if (!echo) echo = content;
  cJSON *targets = targets_json ? cJSON_Parse(targets_json) : NULL;
  int rc = sky__check_targets(c, targets_json, targets);
  if (rc == SKY_OK) {
    sky__enter(c);
    if (targets) {
      const cJSON *t;
      cJSON_ArrayForEach(t, targets) {
        sky_peer *p = sky__peer_find(c, t->valuestring);
        int r = content ? sky__peer_send_chat(c, p, content, true) : sky__peer_send_binary(c, p, bin, len, true);
        if (r) rc = r;
      }
      /* SkywayJS echoes one message; its target is the peer when there is one. */
      const cJSON *only = cJSON_GetArraySize(targets) == 1 ? cJSON_GetArrayItem(targets, 0) : NULL;
      const char *target = only ? only->valuestring : NULL;
      if (content) sky__incoming(c, echo, c->self_id, target, true, true);
      else echo_binary(c, bin, len, target, true);
    } else {
      for (sky_peer *p = c->peers; p; p = p->hh.next) {
        if (p->hidden) continue; /* reported left: nothing queues for it */
        int r = content ? sky__peer_send_chat(c, p, content, false) : sky__peer_send_binary(c, p, bin, len, false);
        if (r) rc = r;
      }
      if (content) sky__incoming(c, echo, c->self_id, NULL, false, true);
      else echo_binary(c, bin, len, NULL, false);
    }
    sky__exit(c);
  }
  cJSON_Delete(targets);
  return rc;
}

int sky_client_send_p2p(sky_client *c, const char *content_json, const char *targets_json) {
  return content_json ? sky_client_send_p2p_echo(c, content_json, strlen(content_json), targets_json, 0) : SKY_E_ARG;
}

int sky_client_send_p2p_echo(sky_client *c, const char *content_json, size_t n, const char *targets_json,
                             uint32_t echo_id) {
  if (!c || !content_json) return SKY_E_ARG;
  char placeholder[32];
  const char *echo = NULL;
  if (echo_id) {
    snprintf(placeholder, sizeof placeholder, "{\"$echo\":%lu}", (unsigned long)echo_id);
    echo = placeholder;
  }
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  /* JSON.stringify's output is valid and compact already: checked in one pass
   * and sent as it is; anything else is parsed and printed compactly. */
  bool compact = false;
  if (sky_json_valid(content_json, n, SKY_JSON_DEPTH_MAX, &compact) && compact)
    return send_p2p(c, content_json, NULL, 0, targets_json, echo);
  char *content = sky_json_compact(content_json, n, SKY_JSON_DEPTH_MAX);
  if (!content) return SKY_E_ARG;
  int rc = send_p2p(c, content, NULL, 0, targets_json, echo);
  free(content);
  return rc;
}

int sky_client_send_p2p_binary(sky_client *c, const void *data, size_t len, const char *targets_json) {
  if (!c || (!data && len)) return SKY_E_ARG;
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  if (len > SKY_DC_MESSAGE_MAX) return SKY_E_TOO_LARGE;
  static const char none[1] = {0};
  return send_p2p(c, NULL, data ? data : none, len, targets_json, NULL);
}
