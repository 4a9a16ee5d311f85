/* The media part of the bridge (listed in bridge.c): the EM_JS functions that
 * attach, enable and stop local streams, the ops wrappers the core uses, the
 * callbacks of remote streams and renegotiation, and the entry points of
 * js-glue/media.js. Linked in the full build only (features_full.c); the chat
 * build has no media (src/core/features_none.c).
 *
 * Stream handles are JS's (skyStreams, media_pre.js). Strings in: UTF-8
 * pointer + byte length, JS-owned, copied by C during the call.
 */
#include <stdlib.h>
#include <string.h>

#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include "bridge.h"
#include "client.h"
#include "media.h"
#include "skymesh.h"

/* ---- JS called from C --------------------------------------------------- */

/* Local stream s (JS's) on h: its tracks added with the stream (so the remote
 * side sees its id), or the senders that added them removed. In h's chain,
 * so an answer being made is not disturbed. */
EM_JS(void, sky_js_pc_stream, (int h, int s, int add), {
  var st = skyStreams[s];
  skyOp(h, function(pc, e) {
    if (!pc.addTrack) return; /* a stack without media */
    e.senders = e.senders || {};
    if (add && st) {
      e.senders[s] = st.getTracks().map(function(t) { return pc.addTrack(t, st); });
    } else if (!add) {
      (e.senders[s] || []).forEach(function(x) { try { pc.removeTrack(x); } catch (err) {} });
      delete e.senders[s];
    }
  });
});

EM_JS(void, sky_js_stream_enable, (int s, int audio, int video), {
  var st = skyStreams[s];
  if (st) st.getTracks().forEach(function(t) { t.enabled = !!(t.kind == "audio" ? audio : video); });
});

/* What: 0 width, 1 height, 2 frame rate of stream s's video track, as its
 * getSettings() says; 0 when not known (no track, or a stack without it). */
EM_JS(int, sky_js_stream_video, (int s, int what), {
  var st = skyStreams[s], t = st && st.getVideoTracks()[0], v = {};
  try { v = t && t.getSettings && t.getSettings() || {}; } catch (err) {}
  var x = [v.width, v.height, v.frameRate][what];
  return x > 0 ? Math.round(x) : 0;
});

EM_JS(void, sky_js_stream_stop, (int s), {
  var st = skyStreams[s];
  delete skyStreams[s];
  if (st) st.getTracks().forEach(function(t) { t.stop(); });
});

/* ---- C called from JS ----------------------------------------------------- */

EMSCRIPTEN_KEEPALIVE void sky_cb_negotiation_needed(int h) { sky_client_on_negotiation_needed(sky_wasm_client(), h); }

/* id: JS-owned, NUL-terminated, copied by C. */
EMSCRIPTEN_KEEPALIVE void sky_cb_remote_stream(int h, int s, const char *id, int len) {
  (void)len;
  sky_client_on_remote_stream(sky_wasm_client(), h, s, id);
}

EMSCRIPTEN_KEEPALIVE void sky_cb_remote_stream_ended(int h, int s) {
  sky_client_on_remote_stream_ended(sky_wasm_client(), h, s);
}

/* ---- the ops the core uses ------------------------------------------------ */

void sky_bridge_pc_add_stream(void *user, int pc, int stream) {
  (void)user;
  sky_js_pc_stream(pc, stream, 1);
}
void sky_bridge_pc_remove_stream(void *user, int pc, int stream) {
  (void)user;
  sky_js_pc_stream(pc, stream, 0);
}
void sky_bridge_stream_enable(void *user, int stream, bool audio, bool video) {
  (void)user;
  sky_js_stream_enable(stream, audio, video);
}
void sky_bridge_stream_stop(void *user, int stream) {
  (void)user;
  sky_js_stream_stop(stream);
}
void sky_bridge_stream_video(void *user, int stream, int *width, int *height, int *frame_rate) {
  (void)user;
  *width = sky_js_stream_video(stream, 0);
  *height = sky_js_stream_video(stream, 1);
  *frame_rate = sky_js_stream_video(stream, 2);
}

void sky_wasm_media_ops(sky_client_ops *ops) {
  ops->pc_add_stream = sky_bridge_pc_add_stream;
  ops->pc_remove_stream = sky_bridge_pc_remove_stream;
  ops->stream_enable = sky_bridge_stream_enable;
  ops->stream_stop = sky_bridge_stream_stop;
  ops->stream_video = sky_bridge_stream_video;
}

/* ---- entry points (js-glue/media.js) --------------------------------------- */

/* handle: JS's number for the MediaStream (skyStreams); id: its MediaStream
 * id (JS-owned, copied here); flags: SKY_MEDIA_AUDIO | VIDEO | SCREEN | FALLBACK. */
EMSCRIPTEN_KEEPALIVE int sky_media_publish(int handle, const char *id, int id_len, int flags) {
  char *i = id && id_len >= 0 ? malloc((size_t)id_len + 1) : NULL;
  if (!i) return SKY_E_ARG;
  memcpy(i, id, (size_t)id_len);
  i[id_len] = '\0';
  int rc = sky_client_media_publish(sky_wasm_client(), handle, i, (unsigned)flags);
  free(i);
  return rc;
}

EMSCRIPTEN_KEEPALIVE int sky_media_stop(int screen) { return sky_client_media_stop(sky_wasm_client(), screen != 0); }

/* 1 mute, 0 unmute, -1 unchanged. */
EMSCRIPTEN_KEEPALIVE int sky_media_mute(int audio, int video) {
  return sky_client_media_mute(sky_wasm_client(), audio, video);
}

EMSCRIPTEN_KEEPALIVE void sky_media_stop_on_leave(int user_media, int screen) {
  sky_client_media_stop_on_leave(sky_wasm_client(), user_media != 0, screen != 0);
}

/* {peerId: stream handle} (getPeersStream), C-owned until the next call here. */
EMSCRIPTEN_KEEPALIVE const char *sky_media_streams(void) {
  static char *last; /* owner: here, freed on the next call */
  free(last);
  last = sky_client_media_streams(sky_wasm_client());
  return last ? last : "{}";
}
