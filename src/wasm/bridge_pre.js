// Module-scope helpers of the EM_JS bridge (src/wasm/bridge.c). Runs inside the
// MODULARIZE factory, so every instance has its own.

// The signaling socket of emscripten/websocket.h uses the free name WebSocket:
// this binding makes an injected implementation (Module.WebSocket, e.g. `ws`
// in node) visible to it without touching the global.
var WebSocket = Module['WebSocket'] || globalThis.WebSocket;
// node's `ws` throws when an 'error' has no listener, e.g. when a socket that
// is still connecting is closed (a reconnection giving up on an attempt), and
// emscripten clears its handlers on delete: errors are reported through the
// close that always follows, so a silent listener is enough.
if (WebSocket && WebSocket.prototype && typeof WebSocket.prototype.on == 'function') {
  WebSocket = (function(Base) {
    return function(url, protocols) {
      var ws = protocols === undefined ? new Base(url) : new Base(url, protocols);
      ws.on('error', function() {});
      return ws;
    };
  })(WebSocket);
}

// handle -> {pc, dc, q}: the JS objects behind the integer handles C holds.
var skyPcs = {};

// Set by a feature's pre-js (media_pre.js): called with (h, entry, pc) when a
// connection is made, to add its own handlers.
var skyOnPc = null;

// Runs f(pc, entry) after the handle's previous operations; drops it when the
// handle was closed meanwhile. Errors end that operation only.
function skyOp(h, f) {
  var e = skyPcs[h];
  if (e) e.q = e.q.then(function() { if (skyPcs[h] === e) return f(e.pc, e); }).catch(function() {});
}

// Makes handle h's one data channel (negotiated, id 0, reliable, ordered) on
// first need, and reports its events to C.
function skyChannel(h) {
  var e = skyPcs[h];
  if (!e || e.dc) return;
  var dc = e.dc = e.pc.createDataChannel('skymesh', {negotiated: true, id: 0, ordered: true});
  dc.binaryType = 'arraybuffer';
  dc.bufferedAmountLowThreshold = 262144;
  dc.onopen = function() { e.state(3, 'open'); };
  dc.onclose = function() { e.state(3, 'closed'); };
  dc.onerror = function() { e.state(3, 'error'); };
  dc.onbufferedamountlow = function() { if (skyPcs[h] === e) _sky_cb_channel_drain(h); };
  dc.onmessage = function(ev) {
    if (skyPcs[h] !== e) return;
    if (typeof ev.data == 'string') {
      skyStrings([ev.data], function(p, n) { _sky_cb_channel_message(h, p, n, 1); });
    } else { // binary: JS allocates, copies in, frees after the call
      var u = new Uint8Array(ev.data), p = _malloc(u.length || 1);
      HEAPU8.set(u, p);
      _sky_cb_channel_message(h, p, u.length, 0);
      _free(p);
    }
  };
}

// Calls fn(ptr0, len0, ptr1, len1, ...) with each string as NUL-terminated
// UTF-8 in WASM memory. JS allocates and frees after the call: C copies.
var skyEnc = new TextEncoder();
function skyStrings(strs, fn) {
  var args = [];
  try {
    strs.forEach(function(s) {
      var n, p;
      if (s.length > 256) { // long (chat content, SDP): the native encoder, straight
        // into WASM memory (3 bytes per UTF-16 unit at most), no copy between
        var cap = 3 * s.length + 1;
        p = _malloc(cap);
        if (!p) throw new RangeError('skymesh: out of memory');
        n = skyEnc.encodeInto(s, HEAPU8.subarray(p, p + cap - 1)).written;
        HEAPU8[p + n] = 0;
      } else {
        n = lengthBytesUTF8(s);
        p = _malloc(n + 1);
        stringToUTF8(s, p, n + 1);
      }
      args.push(p, n);
    });
    return fn.apply(null, args);
  } finally {
    for (var i = 0; i < args.length; i += 2) _free(args[i]);
  }
}
Module['skyStrings'] = skyStrings;

// Binary chats. In: fn(ptr, len) with a copy of the bytes in WASM memory (JS
// allocates and frees after the call: C copies). Out: the ArrayBuffer of the
// binary chat {"$binary": id} that the incomingMessage being dispatched
// announced (C hands a copy to sky_js_binary and frees its own), or null.
Module['skyBytes'] = function(bytes, fn) {
  var p = _malloc(bytes.length || 1);
  try {
    HEAPU8.set(bytes, p);
    return fn(p, bytes.length);
  } finally {
    _free(p);
  }
};
var skyTaken = null;
Module['skyTakeBinary'] = function(id) {
  skyTaken = null;
  _sky_take_binary(id);
  var b = skyTaken;
  skyTaken = null;
  return b;
};

// Read-only: the state and the selected candidate pair of handle h's
// connection, from getStats (for getConnectionStatus). C keeps no copy: it is
// a snapshot the app asked for.
Module['skyStats'] = function(h) {
  var e = skyPcs[h];
  if (!e) return Promise.resolve(null);
  var pc = e.pc, out = {connectionState: pc.connectionState || null,
    iceConnectionState: pc.iceConnectionState || null, selectedCandidate: null};
  if (!pc.getStats) return Promise.resolve(out);
  return pc.getStats().then(function(report) {
    var byId = {}, pair = null;
    report.forEach(function(s) { byId[s.id] = s; });
    report.forEach(function(s) {
      if (s.type == 'transport' && s.selectedCandidatePairId) pair = byId[s.selectedCandidatePairId] || pair;
    });
    report.forEach(function(s) {
      if (!pair && s.type == 'candidate-pair' && (s.selected || s.nominated) && s.state == 'succeeded') pair = s;
    });
    function cand(id) {
      var c = byId[id];
      return c ? {candidateType: c.candidateType, protocol: c.protocol, address: c.address || c.ip || null,
        port: c.port == null ? null : c.port} : null;
    }
    if (pair) out.selectedCandidate = {local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId)};
    return out;
  }, function() { return out; });
};
