/* The chat build's side of the feature hooks (client_internal.h: the
 * sky__xfer_* and sky__media_* functions client.c and peer.c call): a client
 * without data transfers and media. Linked instead of transfer.c, xfer_frame.c
 * and media.c (src/wasm/CMakeLists.txt, target skymesh_chat): the core's call
 * sites stay as they are, and the static library never pulls the features'
 * objects in, since nothing else refers to them. Not part of skymesh_core.
 *
 * A peer of the full build may still send us its media state or a transfer:
 * those frames are recognised and dropped (never taken for chat), its offers
 * time out on its side, and its tracks are not attached here. */
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"
#include "xfer_frame.h"

bool sky__xfer_on_frame(sky_client *c, sky_peer *p, const unsigned char *data, size_t len) {
  (void)c;
  (void)p;
  return len && data[0] == SKY_XF_KIND;
}
void sky__xfer_pump(sky_client *c, sky_peer *p) {
  (void)c;
  (void)p;
}
void sky__xfer_peer_gone(sky_client *c, sky_peer *p, bool left) {
  (void)c;
  (void)p;
  (void)left;
}
uint64_t sky__xfer_tick(sky_client *c, uint64_t now) {
  (void)c;
  (void)now;
  return 0;
}

/* As media.c describes a peer that sends nothing: settings.audio / video stay
 * false (sky__peer_info), and no track of a kind counts as muted. */
struct cJSON *sky__media_info(const sky_client *c, struct cJSON *info, const char *peer_id) {
  (void)c;
  (void)peer_id;
  cJSON *status = cJSON_GetObjectItemCaseSensitive(info, "mediaStatus");
  if (status) {
    cJSON_AddBoolToObject(status, "audioMuted", true);
    cJSON_AddBoolToObject(status, "videoMuted", true);
  }
  return info;
}
bool sky__media_on_frame(sky_client *c, sky_peer *p, const char *data, size_t len) {
  (void)c;
  (void)p;
  size_t n = sizeof SKY_MEDIA_FRAME_PREFIX - 1;
  return len >= n && memcmp(data, SKY_MEDIA_FRAME_PREFIX, n) == 0;
}
void sky__media_attach(sky_client *c, sky_peer *p) {
  (void)c;
  (void)p;
}
void sky__media_stable(sky_client *c, sky_peer *p) {
  (void)c;
  (void)p;
}
void sky__media_pc_gone(sky_client *c, sky_peer *p, bool announce) {
  (void)c;
  (void)p;
  (void)announce;
}
void sky__media_send_state(sky_client *c, sky_peer *p) {
  (void)c;
  (void)p;
}
void sky__media_on_joined(sky_client *c) { (void)c; }
void sky__media_on_leave(sky_client *c) { (void)c; }
void sky__media_stop_all(sky_client *c) { (void)c; }
