/* Media streams on the peer connections (media.h explains the model).
 *
 * Renegotiation stays perfect negotiation: a change of what is sent makes the
 * stack say negotiationneeded; C offers when the connection is stable and no
 * offer of ours is out (else it remembers, p->renegotiate, and offers at the
 * next stable point, so a stream added mid-handshake is never lost). A glare
 * is settled by peer.c's roles: the impolite side's offer wins, the polite
 * side rolls its own back, answers, and offers again afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"

static const char MEDIA_FRAME_PREFIX[] = SKY_MEDIA_FRAME_PREFIX;

static bool in_room(const sky_client *c) { return c->state == SKY_ROOM_IN_ROOM; }

static bool slot_screen(int i) { return i == 1; }

/* ---- peerInfo -------------------------------------------------------------- */

/* settings.audio / settings.video / mediaStatus of what a peer (or we) send;
 * v: what its video delivers, as SkylinkJS's settings.video.resolution and
 * frameRate (left out where not known). */
static void describe(cJSON *info, unsigned sent, const sky_video_settings *v, bool audio_muted, bool video_muted) {
  cJSON *settings = cJSON_GetObjectItemCaseSensitive(info, "settings");
  if (settings) {
    cJSON_ReplaceItemInObjectCaseSensitive(settings, "audio", cJSON_CreateBool(sent & SKY_MEDIA_AUDIO));
    cJSON *video;
    if (sent & SKY_MEDIA_VIDEO) {
      video = cJSON_CreateObject();
      cJSON_AddBoolToObject(video, "screenshare", (sent & SKY_MEDIA_SCREEN) != 0);
      if (v && v->width > 0 && v->height > 0) {
        cJSON *res = cJSON_AddObjectToObject(video, "resolution");
        cJSON_AddNumberToObject(res, "width", v->width);
        cJSON_AddNumberToObject(res, "height", v->height);
      }
      if (v && v->frame_rate > 0) cJSON_AddNumberToObject(video, "frameRate", v->frame_rate);
    } else {
      video = cJSON_CreateBool(false);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(settings, "video", video);
  }
  /* SkylinkJS: no track of a kind counts as muted. */
  cJSON *status = cJSON_CreateObject();
  cJSON_AddBoolToObject(status, "audioMuted", audio_muted || !(sent & SKY_MEDIA_AUDIO));
  cJSON_AddBoolToObject(status, "videoMuted", video_muted || !(sent & SKY_MEDIA_VIDEO));
  cJSON_ReplaceItemInObjectCaseSensitive(info, "mediaStatus", status);
}

/* What the local slots send, as flags (SCREEN when the screen sends video). */
static unsigned local_sent(const sky_client *c) {
  unsigned sent = 0;
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) {
    const sky_local_stream *s = &c->media.slot[i];
    if (!s->handle) continue;
    sent |= s->flags & (SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO);
    if (slot_screen(i) && (s->flags & SKY_MEDIA_VIDEO)) sent |= SKY_MEDIA_SCREEN;
  }
  return sent;
}

/* The video settings peerInfo shows: the camera's, else the screen's. */
static const sky_video_settings *local_video(const sky_client *c) {
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) {
    const sky_local_stream *s = &c->media.slot[i];
    if (s->handle && (s->flags & SKY_MEDIA_VIDEO)) return &s->video;
  }
  return NULL;
}

static const sky_video_settings *remote_video(const sky_peer *p) {
  const sky_video_settings *screen = NULL;
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    const sky_remote_stream *r = &p->media.streams[i];
    if (!r->id[0] || !r->listed || !(r->flags & SKY_MEDIA_VIDEO)) continue;
    if (!(r->flags & SKY_MEDIA_SCREEN)) return &r->video;
    if (!screen) screen = &r->video;
  }
  return screen;
}

static unsigned remote_sent(const sky_peer *p) {
  unsigned sent = 0;
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    const sky_remote_stream *r = &p->media.streams[i];
    if (!r->id[0] || !r->listed) continue;
    sent |= r->flags & (SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO);
    if ((r->flags & SKY_MEDIA_SCREEN) && (r->flags & SKY_MEDIA_VIDEO)) sent |= SKY_MEDIA_SCREEN;
  }
  return sent;
}

cJSON *sky__media_info(const sky_client *c, cJSON *info, const char *peer_id) {
  if (!info) return NULL;
  if (!peer_id || !*peer_id || strcmp(peer_id, c->self_id) == 0) {
    describe(info, local_sent(c), local_video(c), c->media.audio_muted, c->media.video_muted);
  } else {
    const sky_peer *p = sky__peer_find(c, peer_id);
    if (p) describe(info, remote_sent(p), remote_video(p), p->media.audio_muted, p->media.video_muted);
  }
  return info;
}

static cJSON *info_of(const sky_client *c, const char *peer_id) {
  cJSON *info = sky__peer_info_of(c, peer_id);
  return info ? info : cJSON_CreateNull();
}

/* ---- events ---------------------------------------------------------------- */

static cJSON *stream_ref(int handle) {
  cJSON *ref = cJSON_CreateObject();
  cJSON_AddNumberToObject(ref, "$stream", handle);
  return ref;
}

/* incomingStream(peerId, stream, isSelf, peerInfo, isScreensharing, streamId) */
static void emit_incoming(sky_client *c, const char *peer_id, int handle, bool self, bool screen, const char *id) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(peer_id));
  cJSON_AddItemToArray(args, stream_ref(handle));
  cJSON_AddItemToArray(args, cJSON_CreateBool(self));
  cJSON_AddItemToArray(args, info_of(c, peer_id));
  cJSON_AddItemToArray(args, cJSON_CreateBool(screen));
  cJSON_AddItemToArray(args, cJSON_CreateString(id));
  sky__emit(c, "incomingStream", args);
}

/* streamEnded(peerId, peerInfo, isSelf, isScreensharing, streamId) */
static void emit_ended(sky_client *c, const char *peer_id, bool self, bool screen, const char *id) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(peer_id));
  cJSON_AddItemToArray(args, info_of(c, peer_id));
  cJSON_AddItemToArray(args, cJSON_CreateBool(self));
  cJSON_AddItemToArray(args, cJSON_CreateBool(screen));
  cJSON_AddItemToArray(args, cJSON_CreateString(id));
  sky__emit(c, "streamEnded", args);
}

/* streamMuted(peerId, peerInfo, isSelf, isScreensharing) */
static void emit_muted(sky_client *c, const char *peer_id, bool self, bool screen) {
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(peer_id));
  cJSON_AddItemToArray(args, info_of(c, peer_id));
  cJSON_AddItemToArray(args, cJSON_CreateBool(self));
  cJSON_AddItemToArray(args, cJSON_CreateBool(screen));
  sky__emit(c, "streamMuted", args);
}

/* mediaAccessSuccess(stream, isScreensharing, isAudioFallback, streamId) and
 * mediaAccessStopped(isScreensharing, isAudioFallback, streamId) */
static void emit_access(sky_client *c, const sky_local_stream *s, bool screen, bool stopped) {
  cJSON *args = cJSON_CreateArray();
  if (!stopped) cJSON_AddItemToArray(args, stream_ref(s->handle));
  cJSON_AddItemToArray(args, cJSON_CreateBool(screen));
  cJSON_AddItemToArray(args, cJSON_CreateBool((s->flags & SKY_MEDIA_FALLBACK) != 0));
  cJSON_AddItemToArray(args, cJSON_CreateString(s->id));
  sky__emit(c, stopped ? "mediaAccessStopped" : "mediaAccessSuccess", args);
}

static void emit_self_updated(sky_client *c) {
  if (in_room(c)) sky__emit_peer_event(c, "peerUpdated", c->self_id, c->user_data, true);
}

/* ---- the media frame ------------------------------------------------------ */

static char *encode_state(const sky_client *c) {
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "t", "media");
  cJSON *list = cJSON_AddArrayToObject(f, "streams");
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) {
    const sky_local_stream *s = &c->media.slot[i];
    if (!s->handle) continue;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", s->id);
    cJSON_AddBoolToObject(e, "audio", (s->flags & SKY_MEDIA_AUDIO) != 0);
    cJSON_AddBoolToObject(e, "video", (s->flags & SKY_MEDIA_VIDEO) != 0);
    cJSON_AddBoolToObject(e, "screen", slot_screen(i));
    if (s->video.width > 0 && s->video.height > 0) {
      cJSON_AddNumberToObject(e, "width", s->video.width);
      cJSON_AddNumberToObject(e, "height", s->video.height);
    }
    if (s->video.frame_rate > 0) cJSON_AddNumberToObject(e, "frameRate", s->video.frame_rate);
    cJSON_AddItemToArray(list, e);
  }
  cJSON_AddBoolToObject(f, "audioMuted", c->media.audio_muted);
  cJSON_AddBoolToObject(f, "videoMuted", c->media.video_muted);
  char *text = cJSON_PrintUnformatted(f); /* owner: the caller */
  cJSON_Delete(f);
  return text;
}

/* Straight onto the channel, outside the chat's numbered queue: the latest
 * state is what counts, and a fresh channel gets it again when it opens. */
void sky__media_send_state(sky_client *c, sky_peer *p) {
  if (!p->channel_open) return;
  bool empty = !c->media.audio_muted && !c->media.video_muted;
  for (int i = 0; i < SKY_MEDIA_SLOTS && empty; i++) empty = !c->media.slot[i].handle;
  /* A peer's view of what we send starts empty and changes only by our
   * frames: until we have told it something else, the empty state tells it
   * nothing, and a chat-only peer sends no frame at all. (Under wrtc every
   * send waits for the stack's network thread: 56 such frames while an
   * 8-peer mesh forms held the JS thread for up to 0.6 s.) */
  if (empty && !p->media.told) return;
  char *text = encode_state(c); /* owner: here */
  if (text && c->ops.dc_send(c->user, p->pc, text, strlen(text)) == 0 && !empty) p->media.told = true;
  free(text);
}

static void send_state_all(sky_client *c) {
  for (sky_peer *p = c->peers; p; p = p->hh.next) sky__media_send_state(c, p);
}

/* ---- remote streams --------------------------------------------------------- */

static sky_remote_stream *remote_by_id(sky_peer *p, const char *id) {
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    if (p->media.streams[i].id[0] && strcmp(p->media.streams[i].id, id) == 0) return &p->media.streams[i];
  }
  return NULL;
}

static sky_remote_stream *remote_new(sky_peer *p, const char *id) {
  if (!id[0] || strlen(id) > SKY_MEDIA_STREAM_ID_MAX) return NULL;
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    sky_remote_stream *r = &p->media.streams[i];
    if (!r->id[0]) {
      memset(r, 0, sizeof *r);
      snprintf(r->id, sizeof r->id, "%s", id);
      return r;
    }
  }
  return NULL; /* more streams than a peer may send: ignored */
}

static void remote_try_announce(sky_client *c, sky_peer *p, sky_remote_stream *r) {
  if (r->announced || !r->handle || !r->listed || p->hidden) return;
  r->announced = true;
  emit_incoming(c, p->id, r->handle, false, (r->flags & SKY_MEDIA_SCREEN) != 0, r->id);
}

/* Ends r as the app sees it (streamEnded once, if announced); forget_entry
 * drops the entry, else it waits for its tracks again (a fresh connection). */
static void remote_end(sky_client *c, sky_peer *p, sky_remote_stream *r, bool announce, bool forget_entry) {
  if (r->announced && announce && !p->hidden) {
    emit_ended(c, p->id, false, (r->flags & SKY_MEDIA_SCREEN) != 0, r->id);
  }
  r->announced = false;
  r->handle = 0;
  if (forget_entry) r->id[0] = '\0';
}

void sky__media_pc_gone(sky_client *c, sky_peer *p, bool announce) {
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    sky_remote_stream *r = &p->media.streams[i];
    if (r->id[0]) remote_end(c, p, r, announce, !r->listed);
  }
  p->media.attached = 0;
}

/* A whole number in [0, max] from a peer's frame, else 0 (not known). */
static int frame_int(const cJSON *e, const char *key, int max) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, key);
  if (!cJSON_IsNumber(n) || !(n->valuedouble >= 0 && n->valuedouble <= max)) return 0;
  return (int)n->valuedouble;
}

static unsigned stream_flags(const cJSON *e) {
  unsigned f = 0;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "audio"))) f |= SKY_MEDIA_AUDIO;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "video"))) f |= SKY_MEDIA_VIDEO;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "screen"))) f |= SKY_MEDIA_SCREEN;
  return f;
}

/* Applies a peer's media frame: what it lists now, what it muted. */
static void apply_state(sky_client *c, sky_peer *p, const cJSON *f) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(f, "streams");
  if (!cJSON_IsArray(list)) return;
  unsigned before = remote_sent(p);
  const sky_video_settings *v = remote_video(p);
  sky_video_settings video_before = v ? *v : (sky_video_settings){0, 0, 0};
  bool seen[SKY_MEDIA_REMOTE_MAX] = {false};
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    if (!cJSON_IsString(id)) continue;
    sky_remote_stream *r = remote_by_id(p, id->valuestring);
    if (!r) r = remote_new(p, id->valuestring);
    if (!r) continue;
    r->listed = true;
    r->flags = stream_flags(e);
    r->video.width = frame_int(e, "width", 65535);
    r->video.height = frame_int(e, "height", 65535);
    r->video.frame_rate = frame_int(e, "frameRate", 1000);
    seen[r - p->media.streams] = true;
  }
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    sky_remote_stream *r = &p->media.streams[i];
    /* Listed before, not now: stopped. Tracks that came before their first
     * listing wait for it. */
    if (r->id[0] && !seen[i] && r->listed) remote_end(c, p, r, true, true);
  }
  bool audio_muted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "audioMuted"));
  bool video_muted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "videoMuted"));
  bool mute_changed = audio_muted != p->media.audio_muted || video_muted != p->media.video_muted;
  p->media.audio_muted = audio_muted;
  p->media.video_muted = video_muted;
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    if (p->media.streams[i].id[0]) remote_try_announce(c, p, &p->media.streams[i]);
  }
  if (p->hidden) return;
  if (mute_changed) emit_muted(c, p->id, false, false);
  v = remote_video(p);
  sky_video_settings video_now = v ? *v : (sky_video_settings){0, 0, 0};
  bool video_changed = memcmp(&video_before, &video_now, sizeof video_now) != 0;
  if (mute_changed || video_changed || before != remote_sent(p)) {
    sky__emit_peer_event(c, "peerUpdated", p->id, p->user_data, false);
  }
}

bool sky__media_on_frame(sky_client *c, sky_peer *p, const char *data, size_t len) {
  size_t n = sizeof MEDIA_FRAME_PREFIX - 1;
  if (len < n || memcmp(data, MEDIA_FRAME_PREFIX, n) != 0) return false;
  cJSON *f = cJSON_ParseWithLength(data, len); /* owner: here */
  if (f) apply_state(c, p, f);
  cJSON_Delete(f);
  return true;
}

void sky_client_on_remote_stream(sky_client *c, int pc, int handle, const char *stream_id) {
  if (!c || !stream_id || handle <= 0) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  sky_remote_stream *r = remote_by_id(p, stream_id);
  if (!r) r = remote_new(p, stream_id);
  if (r && !r->handle) {
    r->handle = handle;
    remote_try_announce(c, p, r);
  }
  sky__exit(c);
}

void sky_client_on_remote_stream_ended(sky_client *c, int pc, int handle) {
  if (!c || handle <= 0) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  if (!p) return;
  sky__enter(c);
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    sky_remote_stream *r = &p->media.streams[i];
    if (r->id[0] && r->handle == handle) remote_end(c, p, r, true, true);
  }
  sky__exit(c);
}

/* ---- local streams on the connections -------------------------------------- */

void sky__media_attach(sky_client *c, sky_peer *p) {
  if (!p->pc || !c->ops.pc_add_stream) return;
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) {
    const sky_local_stream *s = &c->media.slot[i];
    unsigned bit = 1u << i;
    if (s->handle && !(p->media.attached & bit)) {
      c->ops.pc_add_stream(c->user, p->pc, s->handle);
      p->media.attached |= bit;
    }
  }
}

/* Tracks changed on p's connection while a handshake is out: the offer or
 * answer already requested may not carry them (operations run in order), and
 * the stack may say negotiationneeded before C sees the connection stable:
 * another offer is due once it is. */
static void changed_mid_handshake(sky_peer *p) {
  if (p->making_offer || p->sig != SIG_STABLE || !p->remote_set) p->renegotiate = true;
}

static void detach_everywhere(sky_client *c, int slot) {
  unsigned bit = 1u << slot;
  for (sky_peer *p = c->peers; p; p = p->hh.next) {
    if (!p->pc || !(p->media.attached & bit)) continue;
    if (c->ops.pc_remove_stream) c->ops.pc_remove_stream(c->user, p->pc, c->media.slot[slot].handle);
    p->media.attached &= ~bit;
    changed_mid_handshake(p);
  }
}

static void attach_everywhere(sky_client *c) {
  for (sky_peer *p = c->peers; p; p = p->hh.next) {
    if (!p->pc) continue;
    sky__media_attach(c, p);
    changed_mid_handshake(p);
  }
}

void sky__media_stable(sky_client *c, sky_peer *p) {
  if (!p->renegotiate || !p->pc || !p->remote_set || p->making_offer || p->sig != SIG_STABLE || p->hidden) return;
  p->renegotiate = false;
  p->making_offer = true;
  p->offer_abandoned = false;
  c->ops.pc_create_offer(c->user, p->pc);
}

void sky_client_on_negotiation_needed(sky_client *c, int pc) {
  if (!c) return;
  sky_peer *p = sky__peer_by_pc(c, pc);
  /* Before the first handshake completes, or while our offer is being made,
   * the offer in flight carries the change (a change queued behind it was
   * flagged by changed_mid_handshake). */
  if (!p || !p->remote_set || p->making_offer) return;
  sky__enter(c);
  p->renegotiate = true;
  sky__media_stable(c, p);
  sky__exit(c);
}

/* Stops slot i's stream: detached everywhere, its tracks stopped. */
static void stop_slot(sky_client *c, int i, bool detach) {
  sky_local_stream s = c->media.slot[i];
  if (!s.handle) return;
  if (detach) detach_everywhere(c, i);
  memset(&c->media.slot[i], 0, sizeof c->media.slot[i]);
  if (c->ops.stream_stop) c->ops.stream_stop(c->user, s.handle);
  if (in_room(c)) emit_ended(c, c->self_id, true, slot_screen(i), s.id);
  emit_access(c, &s, slot_screen(i), true);
}

static void apply_mute(sky_client *c, int i) {
  const sky_local_stream *s = &c->media.slot[i];
  if (s->handle && c->ops.stream_enable) {
    c->ops.stream_enable(c->user, s->handle, !c->media.audio_muted, !c->media.video_muted);
  }
}

int sky_client_media_publish(sky_client *c, int handle, const char *stream_id, unsigned flags) {
  if (!c || handle <= 0 || !stream_id || !*stream_id || strlen(stream_id) > SKY_MEDIA_STREAM_ID_MAX) return SKY_E_ARG;
  int i = (flags & SKY_MEDIA_SCREEN) ? 1 : 0;
  if (c->media.slot[i].handle == handle) return SKY_OK;
  sky__enter(c);
  stop_slot(c, i, true);
  sky_local_stream *s = &c->media.slot[i];
  s->handle = handle;
  s->flags = flags & (SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO | SKY_MEDIA_FALLBACK);
  snprintf(s->id, sizeof s->id, "%s", stream_id);
  memset(&s->video, 0, sizeof s->video);
  if ((s->flags & SKY_MEDIA_VIDEO) && c->ops.stream_video) {
    c->ops.stream_video(c->user, handle, &s->video.width, &s->video.height, &s->video.frame_rate);
  }
  if (i == 0) c->media.audio_muted = c->media.video_muted = false; /* a new camera starts unmuted */
  apply_mute(c, i);
  emit_access(c, s, slot_screen(i), false);
  attach_everywhere(c); /* the stack asks to renegotiate each connection */
  send_state_all(c);
  if (in_room(c)) {
    emit_incoming(c, c->self_id, handle, true, slot_screen(i), s->id);
    emit_self_updated(c);
  }
  sky__exit(c);
  return SKY_OK;
}

int sky_client_media_stop(sky_client *c, bool screen) {
  if (!c) return SKY_E_ARG;
  int i = screen ? 1 : 0;
  if (!c->media.slot[i].handle) return SKY_E_STATE;
  sky__enter(c);
  stop_slot(c, i, true);
  send_state_all(c);
  emit_self_updated(c);
  sky__exit(c);
  return SKY_OK;
}

int sky_client_media_mute(sky_client *c, int audio_muted, int video_muted) {
  if (!c) return SKY_E_ARG;
  bool audio = audio_muted < 0 ? c->media.audio_muted : audio_muted != 0;
  bool video = video_muted < 0 ? c->media.video_muted : video_muted != 0;
  if (audio == c->media.audio_muted && video == c->media.video_muted) return SKY_OK;
  sky__enter(c);
  c->media.audio_muted = audio;
  c->media.video_muted = video;
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) apply_mute(c, i);
  send_state_all(c);
  if (in_room(c)) emit_muted(c, c->self_id, true, false);
  emit_self_updated(c);
  sky__exit(c);
  return SKY_OK;
}

/* The stream getPeersStream shows for a peer: user media before screen. */
static int shown_remote(const sky_peer *p) {
  int shown = 0;
  for (int i = 0; i < SKY_MEDIA_REMOTE_MAX; i++) {
    const sky_remote_stream *r = &p->media.streams[i];
    if (!r->announced) continue;
    if (!(r->flags & SKY_MEDIA_SCREEN)) return r->handle;
    if (!shown) shown = r->handle;
  }
  return shown;
}

char *sky_client_media_streams(sky_client *c) {
  cJSON *all = cJSON_CreateObject();
  if (c && in_room(c)) {
    int self = c->media.slot[0].handle ? c->media.slot[0].handle : c->media.slot[1].handle;
    if (self) cJSON_AddNumberToObject(all, c->self_id, self);
    for (sky_peer *p = c->peers; p; p = p->hh.next) {
      int h = p->hidden ? 0 : shown_remote(p);
      if (h) cJSON_AddNumberToObject(all, p->id, h);
    }
  }
  char *out = cJSON_PrintUnformatted(all); /* owner: the caller */
  cJSON_Delete(all);
  return out;
}

/* ---- the room ---------------------------------------------------------------- */

void sky__media_on_joined(sky_client *c) {
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) {
    const sky_local_stream *s = &c->media.slot[i];
    if (s->handle) emit_incoming(c, c->self_id, s->handle, true, slot_screen(i), s->id);
  }
}

void sky_client_media_stop_on_leave(sky_client *c, bool user_media, bool screen) {
  if (c) c->media.keep_on_leave = (user_media ? 0u : 1u) | (screen ? 0u : 2u);
}

/* Leaving stops what we send, as SkylinkJS's leaveRoom does by default (the
 * connections are going, so nothing is detached); what the app asked to keep
 * stays published, for the next room. */
void sky__media_on_leave(sky_client *c) {
  for (int i = 0; i < SKY_MEDIA_SLOTS; i++) {
    if (!(c->media.keep_on_leave & (1u << i))) stop_slot(c, i, false);
  }
  c->media.keep_on_leave = 0;
  if (!c->media.slot[0].handle) c->media.audio_muted = c->media.video_muted = false;
}

void sky__media_stop_all(sky_client *c) {
  c->media.keep_on_leave = 0;
  sky__media_on_leave(c);
}
