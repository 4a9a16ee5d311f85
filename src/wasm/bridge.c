/* The EM_JS bridge: the only place where C reaches RTCPeerConnection and
 * RTCDataChannel, and the only C functions that WebRTC callbacks call.
 *
 * Integer handles cross the boundary, never JS objects: the JS side keeps a
 * handle -> {pc, dc, op chain} map (skyPcs, bridge_pre.js) and no peer state.
 * Strings cross as UTF-8 pointer + byte length (always NUL-terminated too).
 * Ownership rule: the side that allocates frees; the receiver copies during the
 * call. Every function below states it.
 *
 * JS functions called from C (EM_JS), all asynchronous unless noted:
 *   sky_js_pc_create(h, cfg, len)      new RTCPeerConnection + negotiated data channel
 *   sky_js_pc_close(h)                 close channel and connection, forget h
 *   sky_js_describe(h, type)           create + set local offer (0) / answer (1)
 *                                      -> sky_cb_local_description(h, type, ...)
 *   sky_js_restart_ice(h)              synchronous: 0 an ICE-restart offer is being
 *                                      made (-> sky_cb_local_description(h, 0, ...)),
 *                                      -1 the stack cannot restart ICE
 *   sky_js_set_remote(h, type, sdp, len, rollback) -> sky_cb_remote_set
 *   sky_js_add_candidate(h, cand, len, mid, mid_len, mline)
 *   sky_js_dc_send(h, data, len)       synchronous: 0 sent, -1 not open / failed
 *   sky_js_dc_send_bin(h, data, len)   the same, as a binary frame
 *   sky_js_dc_buffered(h)              synchronous: the channel's bufferedAmount
 *   sky_js_emit(name, args, len)       synchronous: the one C -> JS event channel
 *   sky_js_binary(data, len)           synchronous: hands JS a copy of a binary
 *                                      chat's bytes (an ArrayBuffer); C frees
 *                                      its own right after
 *   sky_js_pc_stream(h, s, add)        after h's operations so far: addTrack every
 *                                      track of local stream s (add 1), or
 *                                      removeTrack the senders it added (add 0)
 *   sky_js_stream_enable(s, a, v)      synchronous: track.enabled of stream s
 *   sky_js_stream_stop(s)              synchronous: stops s's tracks, forgets s
 *   sky_js_stream_video(s, what)       synchronous: width (0) / height (1) / frame
 *                                      rate (2) of s's video track, 0 unknown
 * Stream handles (s) are JS's: JS creates the MediaStream objects, numbers
 * them in skyStreams (bridge_pre.js, > 0, never reused) and forgets a local
 * one when C stops it, a remote one when its connection closes or it ends.
 *
 * C functions called from JS (EMSCRIPTEN_KEEPALIVE):
 *   sky_cb_local_description(h, type, sdp, len)
 *   sky_cb_remote_set(h, ok)
 *   sky_cb_ice_candidate(h, cand, len, mid, mid_len, mline)
 *   sky_cb_state(h, kind, state, len)      kind: 0 connection 1 ice 3 channel (2 signaling:
 *                                          not reported, the core derives it)
 *   sky_cb_channel_message(h, data, len, is_text)
 *   sky_cb_channel_drain(h)
 *   sky_cb_negotiation_needed(h)           the stack's negotiationneeded
 *   sky_cb_remote_stream(h, s, id, len)    the first track of remote stream s
 *                                          (MediaStream id: JS-owned string)
 *   sky_cb_remote_stream_ended(h, s)       its last track was removed
 *   sky_take_binary(id)                    the bytes of the binary chat that the
 *                                          incomingMessage being dispatched
 *                                          announced as {"$binary": id}: C passes
 *                                          them to sky_js_binary and frees them
 *                                          at once; returns the length, or -1
 *                                          (unknown / already taken / expired)
 * (and the entry point sky_send_p2p_bin(data, len, targets, targets_len) in
 * skymesh.c: data is JS-owned, _malloc'd and _free'd by JS around the call;
 * C copies.)
 *
 * Data transfers (xfer_bridge.c; the bytes stay in JS, in skyXfer):
 *   sky_js_xfer_chunk(h, src, offset, len, hdr, hdr_len)  synchronous: sends hdr
 *                                      (C-owned, copied) + bytes [offset, len) of
 *                                      the JS-owned source src as one binary
 *                                      frame; 0 sent, -1 failed, 1 not read
 *                                      yet (a Blob source: JS reads it by
 *                                      slices, then calls sky_cb_channel_drain(h)
 *                                      and C asks again)
 *   sky_js_xfer_sink(sink, size, offset, data, len)  synchronous: copies data
 *                                      (C-owned) into JS sink `sink`, made on
 *                                      first write; JS owns the sink, and
 *                                      forgets it when an event hands it over
 *                                      (incomingData) or releases it
 *                                      (_xferRelease)
 *   sky_js_dc_max_message(h)           synchronous: sctp.maxMessageSize, 0 unknown
 * and the entry points sky_send_data / sky_respond_data / sky_cancel_data
 * (strings JS-owned, C copies) and sky_data_transfers (C-owned text, valid
 * until the next call).
 *
 * A peer's operations run in order on a promise chain, so C may ask for an
 * answer right after asking to apply an offer.
 */
#include <stdlib.h>
#include <string.h>

#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include "bridge.h"
#include "client.h"

/* ---- JS called from C --------------------------------------------------- */

/* cfg: C-owned JSON {"iceServers":[...]}; JS copies it. 0 on success.
 * The data channel (negotiated, id 0) is made by skyChannel (bridge_pre.js):
 * the offerer's before its offer, the answerer's once the offer is applied, so
 * that stacks which negotiate on their own (node-datachannel) never see an
 * answerer make an offer of its own. */
EM_JS(int, sky_js_pc_create, (int h, const char *cfg, int len), {
  var RTC = Module.RTCPeerConnection || (typeof RTCPeerConnection != "undefined" && RTCPeerConnection);
  var pc, config = JSON.parse(UTF8ToString(cfg, len));
  /* libdatachannel reads TURN credentials from a URL (turn:user:pass@host) and
   * splits the user at its first ':', which TURN REST usernames contain: such
   * stacks get them URI-encoded (libdatachannel decodes them). */
  if (Module.encodeIceCredentials) config.iceServers.forEach(function(s) {
    if (s.username != null) s.username = encodeURIComponent(s.username);
    if (s.credential != null) s.credential = encodeURIComponent(s.credential);
  });
  try {
    pc = new RTC(config);
  } catch (err) {
    return -1;
  }
  var e = skyPcs[h] = {pc: pc, dc: null, q: Promise.resolve()};
  function state(kind, s) {
    if (skyPcs[h] === e) skyStrings([s], function(p, n) { _sky_cb_state(h, kind, p, n); });
  }
  e.state = state;
  pc.onicecandidate = function(ev) {
    var c = ev.candidate;
    if (skyPcs[h] === e && c && c.candidate) skyStrings([c.candidate, c.sdpMid || ""], function(p, n, m, mn) {
      _sky_cb_ice_candidate(h, p, n, m, mn, c.sdpMLineIndex == null ? -1 : c.sdpMLineIndex);
    });
  };
  if (skyOnPc) skyOnPc(h, e, pc); /* media (media_pre.js): negotiationneeded, ontrack */
  pc.onconnectionstatechange = function() { state(0, pc.connectionState); };
  pc.oniceconnectionstatechange = function() { state(1, pc.iceConnectionState); };
  /* No onsignalingstatechange: the core knows the signaling state from the
   * descriptions it applies, and wrtc's signalingState getter waits for its
   * busy signaling thread (an 8-peer mesh took twice as long with it). */
  return 0;
});

EM_JS(void, sky_js_pc_close, (int h), {
  var e = skyPcs[h];
  delete skyPcs[h]; /* callbacks for h stop here */
  if (e) {
    for (var id in e.rs) delete skyStreams[e.rs[id]]; /* its remote streams (e.rs: media_pre.js) */
    try { e.dc && e.dc.close(); } catch (err) {}
    try { e.pc.close(); } catch (err) {}
  }
});

/* type: 0 offer, 1 answer. The description goes to C as a JS-owned string.
 * Some stacks (node-datachannel) answer on their own when an offer is set:
 * then the answer already in place is the one to send. */
EM_JS(void, sky_js_describe, (int h, int type), {
  /* wrtc's getters block until its signaling thread is free (it serves every
   * connection of the process): read as few as possible. */
  skyOp(h, function(pc, e) {
    if (!type) skyChannel(h);
    var make = !type ? pc.createOffer() : pc.signalingState == "have-remote-offer" ? pc.createAnswer() : null;
    var ld, sdp;
    if (!make && !((ld = pc.localDescription) && ld.type == "answer")) return;
    var done = make ? make.then(function(d) {
      sdp = d.sdp;
      /* node-datachannel's polyfill hands back the offer its stack already set */
      if (type || pc.signalingState != "have-local-offer") return pc.setLocalDescription(d);
    }) : Promise.resolve(sdp = ld.sdp);
    return done.then(function() {
      skyStrings([sdp], function(p, n) { _sky_cb_local_description(h, type, p, n); });
    });
  });
});

/* An offer with fresh ICE credentials on the same connection. A stack
 * whose restartIce() throws (node-datachannel's polyfill) cannot: -1, and C
 * falls back to a fresh connection. */
EM_JS(int, sky_js_restart_ice, (int h), {
  var e = skyPcs[h];
  if (!e) return -1;
  try {
    if (e.pc.restartIce) e.pc.restartIce();
  } catch (err) {
    return -1;
  }
  skyOp(h, function(pc) {
    var sdp;
    return pc.createOffer({iceRestart: true}).then(function(d) {
      sdp = d.sdp;
      return pc.setLocalDescription(d);
    }).then(function() {
      skyStrings([sdp], function(p, n) { _sky_cb_local_description(h, 0, p, n); });
    });
  });
  return 0;
});

/* sdp: C-owned, copied at once. rollback: C saw our offer pending (the polite
 * side of a glare); roll it back explicitly, as not every stack does it
 * implicitly. */
EM_JS(void, sky_js_set_remote, (int h, int type, const char *sdp, int len, int rollback), {
  var desc = {type: type ? "answer" : "offer", sdp: UTF8ToString(sdp, len)};
  skyOp(h, function(pc) {
    var undo = rollback ? pc.setLocalDescription({type: "rollback"}) : Promise.resolve();
    function ok() { skyChannel(h); _sky_cb_remote_set(h, 1); }
    return undo.then(function() { return pc.setRemoteDescription(desc); }).then(ok, function() {
      /* node-datachannel may throw over the candidates inside an answer it did
       * apply: stable with a remote description is success. */
      if (type && pc.signalingState == "stable" && pc.remoteDescription) ok();
      else _sky_cb_remote_set(h, 0);
    });
  });
});

/* cand, mid: C-owned, copied at once. mline < 0: absent. */
EM_JS(void, sky_js_add_candidate, (int h, const char *cand, int len, const char *mid, int mid_len, int mline), {
  var c = {candidate: UTF8ToString(cand, len), sdpMid: mid_len ? UTF8ToString(mid, mid_len) : "0",
           sdpMLineIndex: mline < 0 ? 0 : mline};
  skyOp(h, function(pc) { return pc.addIceCandidate(c).catch(function() {}); });
});

/* data: C-owned, copied at once (sent as a text frame). */
EM_JS(int, sky_js_dc_send, (int h, const char *data, int len), {
  var e = skyPcs[h];
  try {
    e.dc.send(UTF8ToString(data, len));
    return 0;
  } catch (err) {
    return -1;
  }
});

/* data: C-owned, copied at once (sent as a binary frame). */
EM_JS(int, sky_js_dc_send_bin, (int h, const char *data, int len), {
  var e = skyPcs[h];
  try {
    e.dc.send(HEAPU8.slice(data, data + len));
    return 0;
  } catch (err) {
    return -1;
  }
});

EM_JS(int, sky_js_dc_buffered, (int h), {
  var e = skyPcs[h];
  return e && e.dc ? e.dc.bufferedAmount | 0 : 0;
});

/* name, args: C-owned, copied at once; args is a JSON array of the listener's
 * arguments. */
EM_JS(void, sky_js_emit, (const char *name, const char *args, int len), {
  // args decoded by TextDecoder at once: UTF8ToString(args, len) first walks
  // every byte in JS looking for a NUL (a 200 KB chat: most of the decode).
  if (Module.onSkyEvent) {
    Module.onSkyEvent(UTF8ToString(name), (Module.skyDec || (Module.skyDec = new TextDecoder()))
      .decode(HEAPU8.subarray(args, args + len)));
  }
});

/* data: C-owned, copied at once into a new ArrayBuffer that JS keeps
 * (skyTaken, read by Module.skyTakeBinary in bridge_pre.js). */
EM_JS(void, sky_js_binary, (const char *data, int len), {
  skyTaken = HEAPU8.slice(data, data + len).buffer;
});

/* ---- C called from JS ----------------------------------------------------- */
/* Every pointer below is JS-owned, valid during the call only: C copies. */

EMSCRIPTEN_KEEPALIVE void sky_cb_local_description(int h, int type, const char *sdp, int len) {
  sky_client_on_local_description(sky_wasm_client(), h, type ? SKY_SDP_ANSWER : SKY_SDP_OFFER, sdp,
                                  (size_t)len);
}

EMSCRIPTEN_KEEPALIVE void sky_cb_remote_set(int h, int ok) {
  sky_client_on_remote_description_set(sky_wasm_client(), h, ok != 0);
}

EMSCRIPTEN_KEEPALIVE void sky_cb_ice_candidate(int h, const char *cand, int len, const char *mid, int mid_len,
                                               int mline) {
  (void)mid_len; /* mid is NUL-terminated */
  sky_client_on_ice_candidate(sky_wasm_client(), h, cand, (size_t)len, mid, mline);
}

EMSCRIPTEN_KEEPALIVE void sky_cb_state(int h, int kind, const char *state, int len) {
  (void)len; /* state is NUL-terminated */
  sky_client_on_pc_state(sky_wasm_client(), h, (sky_pc_state_kind)kind, state);
}

EMSCRIPTEN_KEEPALIVE void sky_cb_channel_message(int h, const char *data, int len, int is_text) {
  sky_client_on_channel_message(sky_wasm_client(), h, data, (size_t)len, is_text != 0);
}

EMSCRIPTEN_KEEPALIVE void sky_cb_channel_drain(int h) { sky_client_on_channel_drain(sky_wasm_client(), h); }

/* id: from {"$binary": id} in the incomingMessage being dispatched. The bytes
 * go to JS as a copy (sky_js_binary); C's are freed here. */
EMSCRIPTEN_KEEPALIVE int sky_take_binary(int id) {
  size_t len = 0;
  char *data = sky_client_take_binary(sky_wasm_client(), (uint32_t)id, &len);
  if (!data) return -1;
  sky_js_binary(data, (int)len);
  free(data);
  return (int)len;
}

/* ---- the ops the core uses ------------------------------------------------ */

int sky_bridge_pc_create(void *user, int pc, const char *config_json) {
  (void)user;
  return sky_js_pc_create(pc, config_json, (int)strlen(config_json));
}
void sky_bridge_pc_close(void *user, int pc) {
  (void)user;
  sky_js_pc_close(pc);
}
void sky_bridge_create_offer(void *user, int pc) {
  (void)user;
  sky_js_describe(pc, 0);
}
void sky_bridge_create_answer(void *user, int pc) {
  (void)user;
  sky_js_describe(pc, 1);
}
int sky_bridge_restart_ice(void *user, int pc) {
  (void)user;
  return sky_js_restart_ice(pc);
}
void sky_bridge_set_remote(void *user, int pc, sky_sdp_type type, const char *sdp, bool rollback_first) {
  (void)user;
  sky_js_set_remote(pc, type == SKY_SDP_ANSWER, sdp, (int)strlen(sdp), rollback_first);
}
void sky_bridge_add_candidate(void *user, int pc, const char *cand, const char *mid, int mline) {
  (void)user;
  sky_js_add_candidate(pc, cand, (int)strlen(cand), mid, mid ? (int)strlen(mid) : 0, mline);
}
int sky_bridge_dc_send(void *user, int pc, const char *data, size_t len) {
  (void)user;
  return sky_js_dc_send(pc, data, (int)len);
}
int sky_bridge_dc_send_binary(void *user, int pc, const char *data, size_t len) {
  (void)user;
  return sky_js_dc_send_bin(pc, data, (int)len);
}
size_t sky_bridge_dc_buffered(void *user, int pc) {
  (void)user;
  return (size_t)sky_js_dc_buffered(pc);
}
void sky_bridge_emit(void *user, const char *name, const char *args_json) {
  (void)user;
  sky_js_emit(name, args_json, (int)strlen(args_json));
}
