/* The bus message codec. See bus_msg.h. */
#include "bus_msg.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static bool kind_ok(int kind) {
  return kind == SKY_BUS_ROOM || kind == SKY_BUS_JOIN || kind == SKY_BUS_LEFT || kind == SKY_BUS_PEER ||
         kind == SKY_BUS_SNAPSHOT || kind == SKY_BUS_ADMIT;
}

static bool peer_ok(const char *id, size_t len, bool required) {
  if (len == 0) return !required;
  return len == SKY_PEER_ID_LEN && sky_peer_id_valid(id, len);
}

/* The payload must be a JSON object with a string "type": what a client's
 * decoder expects of every server message. */
static bool payload_ok(const char *p, size_t len) {
  if (len == 0 || p[0] != '{') return false;
  cJSON *root = cJSON_ParseWithLength(p, len); /* owner: here */
  bool ok = root && cJSON_IsObject(root) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "type"));
  cJSON_Delete(root);
  return ok;
}

static bool fields_ok(const sky_bus_msg *m) {
  size_t room_len = strlen(m->room), peer_len = strlen(m->peer), target_len = strlen(m->target);
  return kind_ok(m->kind) && sky_room_name_valid(m->room, room_len) &&
         peer_ok(m->peer, peer_len, m->kind == SKY_BUS_JOIN || m->kind == SKY_BUS_LEFT || m->kind == SKY_BUS_ADMIT) &&
         (m->kind != SKY_BUS_SNAPSHOT || peer_len == 0) &&
         peer_ok(m->target, target_len, m->kind == SKY_BUS_PEER) && (m->kind == SKY_BUS_PEER || target_len == 0) &&
         payload_ok(m->payload, m->payload_len);
}

char *sky_bus_msg_encode(const sky_bus_msg *m, size_t *len) {
  if (!fields_ok(m)) return NULL;
  size_t room_len = strlen(m->room), peer_len = strlen(m->peer), target_len = strlen(m->target);
  size_t n = sizeof(SKY_BUS_MAGIC) - 1 + 1 + 1 + room_len + 1 + peer_len + 1 + target_len + 1 + m->payload_len;
  char *out = malloc(n + 1); /* owner: the caller */
  if (!out) return NULL;
  char *p = out;
  memcpy(p, SKY_BUS_MAGIC, sizeof(SKY_BUS_MAGIC) - 1);
  p += sizeof(SKY_BUS_MAGIC) - 1;
  *p++ = (char)m->kind;
  *p++ = '\n';
  memcpy(p, m->room, room_len);
  p += room_len;
  *p++ = '\n';
  memcpy(p, m->peer, peer_len);
  p += peer_len;
  *p++ = '\n';
  memcpy(p, m->target, target_len);
  p += target_len;
  *p++ = '\n';
  memcpy(p, m->payload, m->payload_len);
  p += m->payload_len;
  *p = '\0';
  *len = n;
  return out;
}

/* The next line of *rest (before *end) into out (capacity cap, NUL-terminated). */
static bool take_line(const char **rest, const char *end, char *out, size_t cap) {
  const char *nl = memchr(*rest, '\n', (size_t)(end - *rest));
  if (!nl) return false;
  size_t n = (size_t)(nl - *rest);
  if (n >= cap || memchr(*rest, '\0', n)) return false;
  memcpy(out, *rest, n);
  out[n] = '\0';
  *rest = nl + 1;
  return true;
}

bool sky_bus_msg_decode(const char *data, size_t len, sky_bus_msg *m) {
  size_t magic = sizeof(SKY_BUS_MAGIC) - 1;
  if (len < magic + 2 || memcmp(data, SKY_BUS_MAGIC, magic) != 0 || data[magic + 1] != '\n') return false;
  memset(m, 0, sizeof(*m));
  m->kind = (sky_bus_kind)(unsigned char)data[magic];
  const char *rest = data + magic + 2, *end = data + len;
  if (!take_line(&rest, end, m->room, sizeof(m->room)) || !take_line(&rest, end, m->peer, sizeof(m->peer)) ||
      !take_line(&rest, end, m->target, sizeof(m->target)))
    return false;
  m->payload = rest;
  m->payload_len = (size_t)(end - rest);
  if (memchr(m->payload, '\0', m->payload_len)) return false;
  return fields_ok(m);
}
