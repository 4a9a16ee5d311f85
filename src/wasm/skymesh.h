/* The module's exported entry points, called by the JS API (js-glue/skyway.js).
 * Strings in: UTF-8 pointer + byte length, JS-owned, copied by C during the call.
 * const char * out: C-owned, valid until the next call into the module.
 * int out: 0 or a negative sky_client error code (sky_strerror). */
#ifndef SKYMESH_WASM_H
#define SKYMESH_WASM_H

int sky_init(const char *url, int url_len, const char *key, int key_len, const char *ice, int ice_len,
             const char *room, int room_len);
int sky_set_user_data(const char *json, int len);
const char *sky_get_user_data(void);
int sky_join(const char *room, int len);
int sky_leave(void);
int sky_send_p2p(const char *content, int len, const char *targets, int targets_len, int echo);
int sky_send_p2p_bin(const char *data, int len, const char *targets, int targets_len);
int sky_send_server(const char *content, int len, const char *target, int target_len);
int sky_lock(int locked);
int sky_refresh(const char *targets, int targets_len, int ice_restart);
int sky_set_ice_options(const char *json, int len);
int sky_set_credentials(const char *room, int room_len, const char *start, int start_len, const char *duration,
                        int duration_len, const char *creds, int creds_len);
int sky_peer_pc(const char *peer_id, int len);
const char *sky_peer_info(const char *peer_id, int len);
const char *sky_peers(void);
const char *sky_self_id(void);
const char *sky_room_name(void);
int sky_state(void);
void sky_close(void);
const char *sky_strerror(int code);
/* media (media.h): stream handles are JS's (skyStreams in bridge_pre.js) */
int sky_media_publish(int handle, const char *id, int id_len, int flags);
int sky_media_stop(int screen);
int sky_media_mute(int audio, int video);
const char *sky_media_streams(void);
void sky_media_stop_on_leave(int user_media, int screen);

#endif
