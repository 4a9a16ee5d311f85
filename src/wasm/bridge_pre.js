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

// Data transfers' bytes (xfer_bridge.c): src[h] an upload's Uint8Array, or
// {blob, length} for a Blob read by slices (the API layer registers and, on
// _xferRelease, forgets it); sink[h] a download being received ({buf} in node,
// {parts} elsewhere).
var skyXfer = Module['skyXfer'] = {src: {}, sink: {}};

// A Blob source is read by blocks of SKY_XFER_BLOCK bytes (blob.slice(...)
// .arrayBuffer()), on demand and SKY_XFER_AHEAD blocks ahead of the chunk C
// asks for: a 1 GB file never needs 1 GB of heap. Returns the bytes [offset,
// offset + len) of source s, null when they are not read yet (the reads are
// started; when one lands, channel h is told "drained" so C asks again:
// SKY_XF_CHUNK_LATER), false when a read failed. Each channel reading s (one
// per peer of an upload) keeps the blocks from its chunk's to AHEAD past it,
// so a lagging peer's blocks stay while a faster one moves on: at most
// 2 + AHEAD blocks per peer. C never asks a channel for bytes before ones it
// sent there, so the blocks behind every channel's chunk are dropped.
var SKY_XFER_BLOCK = 1 << 20, SKY_XFER_AHEAD = 2;
function skyXferBytes(s, offset, len, h) {
  if (!s.blob) return s.subarray(offset, offset + len);
  if (s.failed) return false;
  var B = SKY_XFER_BLOCK, first = Math.floor(offset / B), last = Math.floor((offset + len - 1) / B);
  var blocks = s.blocks || (s.blocks = {}), at = s.at || (s.at = {}), ready = true, b, k;
  at[h] = first;
  for (b in blocks) {
    var kept = blocks[b].loading;
    for (k in at) kept = kept || (b >= at[k] && b <= at[k] + 1 + SKY_XFER_AHEAD);
    if (!kept) delete blocks[b];
  }
  for (b = first; b <= last + SKY_XFER_AHEAD && b * B < s.length; b++) {
    if (!blocks[b]) skyXferRead(s, b);
    if (b <= last && blocks[b].loading) ready = false;
  }
  if (!ready) {
    (s.waiting || (s.waiting = {}))[h] = true;
    return null;
  }
  if (first == last) return blocks[first].bytes.subarray(offset - first * B, offset - first * B + len);
  var out = new Uint8Array(len), to = 0; // a chunk across blocks: copied together
  for (b = first; b <= last; b++) {
    var lo = Math.max(offset, b * B) - b * B, hi = Math.min(offset + len, (b + 1) * B) - b * B;
    out.set(blocks[b].bytes.subarray(lo, hi), to);
    to += hi - lo;
  }
  return out;
}

function skyXferRead(s, b) {
  var block = s.blocks[b] = {loading: true}, B = SKY_XFER_BLOCK;
  s.blob.slice(b * B, Math.min(s.length, (b + 1) * B)).arrayBuffer().then(function(buf) {
    block.bytes = new Uint8Array(buf);
  }, function() {
    s.failed = true;
  }).then(function() {
    block.loading = false;
    var waiting = s.waiting || {};
    s.waiting = {};
    for (var h in waiting) if (skyPcs[h]) _sky_cb_channel_drain(+h);
  });
}

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

// Media: JS creates the MediaStream objects, so JS numbers them (> 0, never
// reused); C refers to them by number. A local one is forgotten when C stops
// it (sky_js_stream_stop), a remote one when it ends or its connection closes.
var skyStreams = {}, skyNextStream = 1;
Module['skyStream'] = function(s) { return skyStreams[s] || null; };
Module['skyAdoptStream'] = function(st) {
  var s = skyNextStream++;
  skyStreams[s] = st;
  return s;
};

// A remote track on handle h: the first of its stream numbers the stream and
// tells C; the stream losing its last track tells C it ended.
function skyTrack(h, e, ev) {
  var st = ev.streams && ev.streams[0];
  e.rs = e.rs || {}; // MediaStream id -> number
  if (!st || e.rs[st.id]) return; // skymesh always sends tracks with their stream
  var s = e.rs[st.id] = Module['skyAdoptStream'](st);
  if (st.addEventListener) st.addEventListener('removetrack', function() {
    if (skyPcs[h] !== e || e.rs[st.id] !== s || st.getTracks().length) return;
    delete e.rs[st.id];
    _sky_cb_remote_stream_ended(h, s);
    delete skyStreams[s];
  });
  skyStrings([st.id], function(p, n) { _sky_cb_remote_stream(h, s, p, n); });
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
