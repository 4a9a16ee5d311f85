/* Media: which local streams the client sends, which streams each remote peer
 * sends, and their mute state (SkylinkJS 0.6's media API on the same state
 * machine as the rooms and the chat).
 *
 * MediaStream and track objects never cross into C: the environment holds them
 * behind integer stream handles that it chooses (it creates the objects), > 0,
 * never reused. C decides what is sent where: "attach stream S to connection
 * P" / "detach" (ops pc_add_stream / pc_remove_stream), "enable or disable its
 * tracks" (stream_enable), "stop it" (stream_stop, after which the handle is
 * forgotten). The stack's negotiationneeded comes back as
 * sky_client_on_negotiation_needed and C makes the offer (perfect
 * negotiation, the same polite / impolite roles as the first handshake).
 *
 * Two local slots: user media (camera and microphone, getUserMedia /
 * sendStream) and the screen (shareScreen). Each is attached to every peer
 * connection, so a late joiner gets every stream already in the room.
 *
 * What a peer sends is announced peer to peer on the data channel, so the
 * signaling server never needs to know about media:
 *     {"t":"media","streams":[{"id":"..","audio":true,"video":true,"screen":false,
 *      "width":640,"height":480,"frameRate":30}],"audioMuted":false,"videoMuted":false}
 * (width / height / frameRate: what its video track delivers, when known;
 * peerInfo.settings.video.resolution and frameRate, as SkylinkJS has them)
 * sent when the channel opens and whenever a stream or mute state changes.
 * A remote stream is announced to the app (incomingStream, once) when both its
 * tracks arrived (sky_client_on_remote_stream) and the peer's latest media
 * frame lists it; it ends (streamEnded, once) when the stack removes it, the
 * peer's frame stops listing it, or its connection goes.
 */
#ifndef SKYMESH_MEDIA_H
#define SKYMESH_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

/* A text frame on the channel that starts so is a media frame (media.c). */
#define SKY_MEDIA_FRAME_PREFIX "{\"t\":\"media\""

#define SKY_MEDIA_STREAM_ID_MAX 64 /* bytes of a MediaStream id (Chrome's are 36) */
#define SKY_MEDIA_REMOTE_MAX 4     /* streams tracked per remote peer */
#define SKY_MEDIA_SLOTS 2          /* local: user media, screen */

/* sky_client_media_publish flags */
#define SKY_MEDIA_AUDIO 1u    /* the stream has an audio track */
#define SKY_MEDIA_VIDEO 2u    /* ... a video track */
#define SKY_MEDIA_SCREEN 4u   /* it is a screen share (the screen slot) */
#define SKY_MEDIA_FALLBACK 8u /* audio only because video was refused (audioFallback) */

/* What a video track delivers (the track's settings): 0 = not known. */
typedef struct sky_video_settings {
  int width, height, frame_rate;
} sky_video_settings;

typedef struct sky_local_stream {
  int handle; /* the environment's, 0 = slot empty */
  char id[SKY_MEDIA_STREAM_ID_MAX + 1];
  unsigned flags;
  sky_video_settings video;
} sky_local_stream;

/* Per client (embedded in sky_client). */
typedef struct sky_media {
  sky_local_stream slot[SKY_MEDIA_SLOTS];
  bool audio_muted, video_muted;
  unsigned keep_on_leave; /* bit i: the next leaveRoom keeps slot i (leaveRoom(stopMediaOptions)) */
} sky_media;

typedef struct sky_remote_stream {
  char id[SKY_MEDIA_STREAM_ID_MAX + 1]; /* "" = entry free */
  int handle;     /* the environment's, 0 = its tracks have not arrived */
  bool listed;    /* the peer's latest media frame lists it */
  bool announced; /* incomingStream was emitted (streamEnded is due when it goes) */
  unsigned flags; /* SKY_MEDIA_AUDIO | VIDEO | SCREEN, as the peer said */
  sky_video_settings video; /* as the peer said */
} sky_remote_stream;

/* Per remote peer (embedded in sky_peer). */
typedef struct sky_peer_media {
  sky_remote_stream streams[SKY_MEDIA_REMOTE_MAX];
  bool audio_muted, video_muted;
  unsigned attached; /* bit i: local slot i is attached to the current connection */
  bool told;         /* we sent it a media frame that was not the empty state */
} sky_peer_media;

struct sky_client;

/* ---- API (the JS layer calls these) -------------------------------------- */

/* Sends stream handle (stream_id: its MediaStream id) from now on to every
 * peer, in the user-media slot or, with SKY_MEDIA_SCREEN, the screen slot. A
 * stream already in that slot is stopped and replaced. Emits
 * mediaAccessSuccess, and in a room incomingStream (self) and peerUpdated. */
int sky_client_media_publish(struct sky_client *c, int handle, const char *stream_id, unsigned flags);
/* stopStream (screen false) / stopScreen (screen true): detaches the slot's
 * stream from every connection (a renegotiation follows), stops its tracks.
 * Emits streamEnded (self, in a room), mediaAccessStopped, peerUpdated.
 * SKY_E_STATE when the slot is empty. */
int sky_client_media_stop(struct sky_client *c, bool screen);
/* muteStream: 1 mute, 0 unmute, -1 leave as it is. Emits streamMuted and
 * peerUpdated (self) when something changed, and tells the peers. */
int sky_client_media_mute(struct sky_client *c, int audio_muted, int video_muted);
/* leaveRoom(stopMediaOptions): whether the next leave stops the user-media
 * and the screen stream (SkylinkJS's default: both). Applies to that one
 * leave; close() always stops everything. */
void sky_client_media_stop_on_leave(struct sky_client *c, bool user_media, bool screen);
/* getPeersStream: malloc'd JSON {"peerId": handle} of each peer's announced
 * stream (user media before screen), self included when sending. */
char *sky_client_media_streams(struct sky_client *c);

/* ---- events in (the WebRTC stack) ---------------------------------------- */
void sky_client_on_negotiation_needed(struct sky_client *c, int pc);
/* The first track of a remote stream arrived on pc; handle is the
 * environment's for its MediaStream. */
void sky_client_on_remote_stream(struct sky_client *c, int pc, int handle, const char *stream_id);
/* The stack removed the last track of remote stream handle. */
void sky_client_on_remote_stream_ended(struct sky_client *c, int pc, int handle);

#endif
