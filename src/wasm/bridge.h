/* The WebRTC bridge (bridge.c) as sky_client_ops entries, and the one client
 * the callbacks from JS are delivered to. */
#ifndef SKYMESH_WASM_BRIDGE_H
#define SKYMESH_WASM_BRIDGE_H

#include <stddef.h>

#include "client.h"

/* The module's client (one per WASM instance: each `new Skyway()` gets its own). */
sky_client *sky_wasm_client(void);

/* The build's optional features add their ops before the client is made:
 * features_full.c (transfers: xfer_bridge.c, media: media_bridge.c) or
 * features_chat.c (none; the core links src/core/features_none.c instead). */
void sky_wasm_features(sky_client_ops *ops);
void sky_wasm_xfer_ops(sky_client_ops *ops);
void sky_wasm_media_ops(sky_client_ops *ops);

int sky_bridge_pc_create(void *user, int pc, const char *config_json);
void sky_bridge_pc_close(void *user, int pc);
void sky_bridge_create_offer(void *user, int pc);
void sky_bridge_create_answer(void *user, int pc);
void sky_bridge_set_remote(void *user, int pc, sky_sdp_type type, const char *sdp, bool rollback_first);
void sky_bridge_add_candidate(void *user, int pc, const char *cand, const char *mid, int mline);
int sky_bridge_dc_send(void *user, int pc, const char *data, size_t len);
int sky_bridge_dc_send_binary(void *user, int pc, const char *data, size_t len);
size_t sky_bridge_dc_buffered(void *user, int pc);
void sky_bridge_emit(void *user, const char *name, const char *args_json);
int sky_bridge_restart_ice(void *user, int pc);
/* xfer_bridge.c */
int sky_bridge_xfer_send_chunk(void *user, int pc, int src, uint64_t offset, size_t len, const char *header,
                               size_t header_len);
int sky_bridge_xfer_sink_write(void *user, int sink, uint64_t size, uint64_t offset, const char *data, size_t len);
size_t sky_bridge_dc_max_message(void *user, int pc);
/* Entry points of the data-transfer API (xfer_bridge.c). */
int sky_send_data(int src, double size, const char *name, int name_len, const char *mime, int mime_len,
                  int timeout_s, int data_url, const char *targets, int targets_len);
int sky_respond_data(const char *peer, int peer_len, const char *tid, int tid_len, int accept);
int sky_cancel_data(const char *peer, int peer_len, const char *tid, int tid_len);
const char *sky_data_transfers(void);
/* media_bridge.c */
void sky_bridge_pc_add_stream(void *user, int pc, int stream);
void sky_bridge_pc_remove_stream(void *user, int pc, int stream);
void sky_bridge_stream_enable(void *user, int stream, bool audio, bool video);
void sky_bridge_stream_stop(void *user, int stream);
void sky_bridge_stream_video(void *user, int stream, int *width, int *height, int *frame_rate);

/* Callbacks JS calls (bridge.c); pointers are JS-owned, valid during the call. */
void sky_cb_local_description(int h, int type, const char *sdp, int len);
void sky_cb_remote_set(int h, int ok);
void sky_cb_ice_candidate(int h, const char *cand, int len, const char *mid, int mid_len, int mline);
void sky_cb_state(int h, int kind, const char *state, int len);
void sky_cb_channel_message(int h, const char *data, int len, int is_text);
void sky_cb_channel_drain(int h);
int sky_take_binary(int id); /* -1: unknown; else the length handed to JS */
/* media_bridge.c */
void sky_cb_negotiation_needed(int h);
void sky_cb_remote_stream(int h, int s, const char *id, int len);
void sky_cb_remote_stream_ended(int h, int s);

#endif
