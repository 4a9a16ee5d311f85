// The public API: a thin SkywayJS-compatible class over the WASM module.
// State lives in C; this file forwards calls and turns the module's one event
// channel (Module.onSkyEvent(name, jsonArgs)) into on/off/once listeners.
// Assembled into dist/ after the emscripten factory `SkymeshModule`;
// `skyScriptUrl` is the URL of the script that holds this code ('' if unknown).
/* global SkymeshModule, skyScriptUrl */

var skyIsNode = typeof process == 'object' && !!(process.versions && process.versions.node) &&
  typeof window == 'undefined';

function skyError(code, message) {
  var e = new Error(message);
  e.code = code;
  return e;
}

// signaling URL from a roomServer (http(s)://, ws(s)://, with or without a path)
function skySignalingUrl(server) {
  var u = new URL(server);
  var scheme = {'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:'}[u.protocol];
  if (!scheme) throw new TypeError('roomServer must be an http(s):// or ws(s):// URL');
  var path = u.pathname.replace(/\/+$/, '');
  if (!/\/signaling$/.test(path)) path += '/signaling';
  return scheme + '//' + u.host + path;
}

function Skyway(options) {
  if (!(this instanceof Skyway)) return new Skyway(options);
  var self = this, o = options || {};
  self._l = {};           // event name -> listeners
  self._cb = {_join: [], _leave: []}; // callbacks waiting for C completions
  self._pending = [];     // calls made before the module loaded
  self._initCb = null;
  self._inited = false;
  self._m = null;
  var mod = {
    WebSocket: o.WebSocket || globalThis.WebSocket,
    RTCPeerConnection: o.RTCPeerConnection || globalThis.RTCPeerConnection,
    onSkyEvent: function(name, json) { self._dispatch(name, JSON.parse(json)); },
    nodeBuffers: skyIsNode, // a download arrives as a Buffer in node, a Blob elsewhere
    locateFile: o.locateFile || function(path, prefix) {
      return skyScriptUrl ? new URL(path, skyScriptUrl).href : prefix + path;
    }
  };
  // node-datachannel's polyfill passes TURN credentials inside a URL that its
  // native side splits at the first ':' (TURN REST usernames have one): it
  // needs them URI-encoded. Other stacks built the same way can ask for it.
  mod.encodeIceCredentials = o.encodeIceCredentials != null ? !!o.encodeIceCredentials : skyIsNode &&
    typeof require == 'function' && (function() {
      try { return require('node-datachannel/polyfill').RTCPeerConnection === mod.RTCPeerConnection; } catch (e) { return false; }
    })();
  if (o.wasmBinary) mod.wasmBinary = o.wasmBinary;
  else if (skyIsNode && typeof __dirname == 'string') {
    // Node's fetch cannot load the .wasm by path under emscripten 3.1.6.
    mod.wasmBinary = require('fs').readFileSync(require('path').join(__dirname, 'skymesh.wasm'));
  }
  self.ready = SkymeshModule(mod).then(function(m) {
    self._m = m;
    var calls = self._pending;
    self._pending = null;
    calls.forEach(function(f) { // a queued call that fails is reported, not fatal
      try { f(); } catch (e) { if (typeof console != 'undefined') console.error(e); }
    });
    return self;
  });
}

var P = Skyway.prototype;

P.READY_STATE_CHANGE = {INIT: 0, LOADING: 1, COMPLETED: 2, ERROR: -1};
P.DATA_CHANNEL_STATE = {CONNECTING: 'connecting', OPEN: 'open', CLOSING: 'closing', CLOSED: 'closed', ERROR: 'error'};
P.HANDSHAKE_PROGRESS = {ENTER: 'enter', WELCOME: 'welcome', OFFER: 'offer', ANSWER: 'answer', ERROR: 'error'};
P.SYSTEM_ACTION = {WARNING: 'warning', REJECT: 'reject'};
// channelRetry(fallbackType, attempt): skymesh retries the same server.
P.SOCKET_FALLBACK = {NON_FALLBACK: 'nonfallback'};
// signalingState(state): the signaling session through outages (docs/resilience.md).
P.SIGNALING_STATE = {CONNECTED: 'connected', RECONNECTING: 'reconnecting', RESUMED: 'resumed',
  RESTARTED: 'restarted', FAILED: 'failed'};

// Runs f now if the module is loaded, else once it is.
P._later = function(f) {
  if (this._pending) this._pending.push(f);
  else f();
};

// Calls an exported C function; strings go in as UTF-8 pointer + length (JS
// allocates and frees, C copies), null as (0, 0).
P._call = function(name) {
  var m = this._m, args = [].slice.call(arguments, 1), strs = [], at = [];
  args.forEach(function(a, i) { if (typeof a == 'string') { at.push(i); strs.push(a); } });
  return m.skyStrings(strs, function() {
    var ptrs = arguments, out = [];
    args.forEach(function(a, i) {
      var k = at.indexOf(i);
      if (k >= 0) out.push(ptrs[2 * k], ptrs[2 * k + 1]);
      else if (a === null) out.push(0, 0);
      else out.push(a);
    });
    return m['_' + name].apply(null, out);
  });
};

P._text = function(name) { // C-owned text result, copied at once
  var p = this._call.apply(this, arguments);
  return p ? this._m.UTF8ToString(p) : null;
};

P._check = function(rc) {
  if (rc >= 0) return;
  var codes = {'-1': 'invalid_argument', '-2': 'wrong_state', '-3': 'out_of_memory', '-4': 'too_large',
    '-5': 'queue_full', '-6': 'unknown_peer', '-7': 'signaling_offline'};
  throw skyError(codes[rc] || 'error', 'skymesh: ' + this._m.UTF8ToString(this._m._sky_strerror(rc)));
};

P._dispatch = function(name, args) {
  if (this._xferDispatch && this._xferDispatch(name, args)) return; // js-glue/transfer.js
  if (this._mediaArgs) this._mediaArgs(args); // js-glue/media.js
  // A binary chat's bytes stay in C until taken here, at once, whoever listens.
  var msg = name == 'incomingMessage' && args[0];
  if (msg && msg.isBinary && msg.content && msg.content.$binary != null) {
    msg.content = this._m.skyTakeBinary(msg.content.$binary) || new ArrayBuffer(0);
  }
  var echo = msg && args[3] && msg.isDataChannel && !msg.isBinary && msg.content && this._echoes && this._echoes[msg.content.$echo];
  if (echo) { // our own message (sendP2PMessage above)
    delete this._echoes[msg.content.$echo];
    msg.content = 'v' in echo ? echo.v : JSON.parse(echo.json);
  }
  if (name == 'readyStateChange' && (args[0] == 2 || args[0] == -1) && this._initCb) {
    var cb = this._initCb;
    this._initCb = null;
    this._safe(cb, args[0] == 2 ? [null, {serverUrl: this._url}] : [args[1], null]);
  }
  if (name == '_join' || name == '_leave') {
    var f = this._cb[name].shift();
    if (f) this._safe(f, args);
    return;
  }
  (this._l[name] || []).slice().forEach(function(fn) { this._safe(fn, args); }, this);
};

// A listener that throws is reported and does not stop the others.
P._safe = function(fn, args) {
  try {
    fn.apply(this, args);
  } catch (e) {
    if (typeof console != 'undefined') console.error('skymesh: listener threw', e);
  }
};

P.on = function(event, fn) {
  if (typeof fn != 'function') throw new TypeError('on(event, fn): fn must be a function');
  (this._l[event] = this._l[event] || []).push(fn);
  return this;
};

P.off = function(event, fn) {
  if (!fn) delete this._l[event];
  else this._l[event] = (this._l[event] || []).filter(function(g) { return g !== fn && g._fn !== fn; });
  return this;
};

P.once = function(event, fn) {
  var self = this;
  function g() { self.off(event, g); fn.apply(this, arguments); }
  g._fn = fn;
  return this.on(event, g);
};

// init(appKey | {appKey|apiKey, defaultRoom, roomServer (a URL or a list), iceServers}, [callback(error, success)])
P.init = function(options, callback) {
  var o = typeof options == 'string' ? {appKey: options} : options || {};
  var key = o.appKey || o.apiKey;
  if (typeof key != 'string' || !key) throw new TypeError('init(): an appKey (apiKey) string is required');
  var server = o.roomServer;
  if (!server) {
    if (typeof location == 'undefined' || !/^https?:/.test(location.protocol)) {
      throw new TypeError('init(): roomServer is required outside a web page');
    }
    server = location.origin + '/';
  }
  // Several servers sharing rooms (skymesh-server --redis): C tries the next
  // one after each lost socket. They travel as one space-separated string.
  var urls = (Array.isArray(server) ? server : [server]).map(skySignalingUrl);
  if (!urls.length) throw new TypeError('init(): roomServer is an empty list');
  this._url = urls[0];
  var url = urls.join(' ');
  var ice = JSON.stringify(o.iceServers || []);
  // SkylinkJS's ICE options: C applies them (ice_config.c).
  var iceOptions = {};
  ['enableTURNServer', 'enableSTUNServer', 'forceTURN', 'TURNServerTransport', 'filterCandidatesType', 'iceServer']
    .forEach(function(k) { if (o[k] !== undefined) iceOptions[k] = o[k]; });
  iceOptions = JSON.stringify(iceOptions);
  var cred = o.credentials;
  if (cred != null && (typeof cred != 'object' || typeof cred.credentials != 'string' ||
      typeof cred.startDateTime != 'string' || typeof cred.duration != 'number' && typeof cred.duration != 'string')) {
    throw new TypeError('init(): credentials must be {startDateTime, duration, credentials}');
  }
  if (cred && !o.defaultRoom) throw new TypeError('init(): credentials need the defaultRoom they were made for');
  var room = o.defaultRoom ? String(o.defaultRoom) : key;
  var self = this;
  self._audioFallback = !!o.audioFallback;
  self._inited = true;
  self._initCb = typeof callback == 'function' ? callback : null;
  self._later(function() {
    var rc = self._call('sky_set_ice_options', iceOptions);
    if (rc >= 0) {
      rc = cred ? self._call('sky_set_credentials', room, cred.startDateTime, String(cred.duration), cred.credentials)
        : self._call('sky_set_credentials', null, null, null, null);
    }
    if (rc >= 0) rc = self._call('sky_init', url, key, ice, room);
    if (rc < 0 && self._initCb) {
      self._initCb = null;
      self._safe(callback, [skyError('init_failed', 'skymesh: init failed'), null]);
    }
  });
};

P.setUserData = function(data) {
  var json = JSON.stringify(data === undefined ? {} : data);
  if (json === undefined) throw new TypeError('setUserData(): data must be JSON-serialisable');
  var self = this;
  if (!self._m) self._pendingUserData = data;
  self._later(function() { self._check(self._call('sky_set_user_data', json)); });
};

P.getUserData = function() {
  if (!this._m) return this._pendingUserData === undefined ? {} : this._pendingUserData;
  return JSON.parse(this._text('sky_get_user_data'));
};

// joinRoom([room], [options {userData}], [callback(error, {room, peerId, peerInfo})])
P.joinRoom = function(room, options, callback) {
  var a = [].slice.call(arguments);
  callback = typeof a[a.length - 1] == 'function' ? a.pop() : null;
  room = typeof a[0] == 'string' ? a.shift() : null;
  if (room === null && a[0] == null && a.length > 1) a.shift(); // joinRoom(null | undefined, options): the default room
  options = a[0] || {};
  if (a.length > 1 || typeof options != 'object') throw new TypeError('joinRoom([room], [options], [callback])');
  if (!this._inited) {
    var err = skyError('not_initialised', 'skymesh: call init() before joinRoom()');
    if (callback) return callback(err, null);
    throw err;
  }
  var self = this;
  if (options.userData !== undefined) self.setUserData(options.userData);
  if ((options.audio || options.video) && !self.getUserMedia) { // the chat build (dist/skymesh-chat.js)
    var noMedia = skyError('no_media', 'skymesh: joinRoom: this build has no media (load dist/skymesh.js)');
    if (callback) return self._safe(callback, [noMedia, null]);
    throw noMedia;
  }
  if (options.audio || options.video) { // SkylinkJS: the media first, then the room
    return self.getUserMedia({audio: options.audio, video: options.video}, function(e) {
      if (!e) self.joinRoom.apply(self, callback ? [room, {}, callback] : [room, {}]);
      else if (callback) self._safe(callback, [e, null]);
    });
  }
  self._later(function() {
    var rc = self._call('sky_join', room || null);
    if (rc < 0) {
      var e = skyError(rc == -1 ? 'invalid_room' : 'wrong_state', 'skymesh: joinRoom: ' +
        self._m.UTF8ToString(self._m._sky_strerror(rc)));
      if (callback) self._safe(callback, [e, null]);
      else if (typeof console != 'undefined') console.error(e);
      return;
    }
    self._cb._join.push(callback);
  });
};

// leaveRoom([callback(error, {peerId, previousRoom})])
// leaveRoom([stopMediaOptions], [callback(error, {peerId, previousRoom})]):
// stopMediaOptions true / false, or {userMedia, screenshare} (each default
// true): which of your streams leaving stops (SkylinkJS's default: both).
P.leaveRoom = function(stopMediaOptions, callback) {
  var self = this, o = stopMediaOptions;
  if (typeof o == 'function') { callback = o; o = true; }
  callback = typeof callback == 'function' ? callback : null;
  if (o == null) o = true;
  var stopUser = typeof o == 'object' ? o.userMedia !== false : !!o;
  var stopScreen = typeof o == 'object' ? o.screenshare !== false : !!o;
  self._later(function() {
    var keep = self._m._sky_media_stop_on_leave || function() {}; // none in the chat build
    keep(stopUser ? 1 : 0, stopScreen ? 1 : 0);
    var rc = self._m._sky_leave();
    keep(1, 1); // for this leave only
    if (rc < 0) {
      if (callback) self._safe(callback, [skyError('not_in_room', 'skymesh: not in a room'), null]);
      return;
    }
    self._cb._leave.push(callback);
  });
};

function skyContent(message) {
  var json = JSON.stringify(message);
  if (json === undefined) throw new TypeError('message must be JSON-serialisable');
  return json;
}

// The bytes of binary content (ArrayBuffer, typed array, DataView, Buffer) as
// a Uint8Array view, or null when message is not binary.
function skyBytes(message) {
  if (message instanceof ArrayBuffer || Object.prototype.toString.call(message) == '[object ArrayBuffer]') {
    return new Uint8Array(message);
  }
  if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  return null;
}

// sendP2PMessage(message, [targetPeerId | [ids]]): over the data channels.
// Binary content arrives as an ArrayBuffer with message.isBinary true.
P.sendP2PMessage = function(message, target) {
  var bytes = skyBytes(message);
  var json = bytes ? null : skyContent(message);
  var targets = target == null ? null : JSON.stringify(Array.isArray(target) ? target : [target]);
  if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
  if (!bytes) {
    // The echo (isSelf) carries {"$echo": id} in place of the content: the
    // message is still here, so C does not print 200 KB into the event for it
    // to be decoded and parsed back (_dispatch puts it in). A string is its own
    // JSON round trip; anything else is parsed from its JSON, as a copy.
    var echoes = this._echoes || (this._echoes = {n: 0});
    var id = echoes.n = echoes.n % 0x7fffffff + 1;
    echoes[id] = typeof message == 'string' ? {v: message} : {json: json};
    var rc = this._call('sky_send_p2p', json, targets, id);
    if (rc == -1 || rc == -2 || rc == -6) delete echoes[id]; // nothing sent, no echo comes
    return this._check(rc);
  }
  var self = this;
  this._check(self._m.skyBytes(bytes, function(p, n) { return self._call('sky_send_p2p_bin', p, n, targets); }));
};

// sendMessage(message, [targetPeerId]): through the signaling server.
P.sendMessage = function(message, target) {
  var json = skyContent(message);
  if (target != null && typeof target != 'string') throw new TypeError('sendMessage(): targetPeerId must be a string');
  if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
  this._check(this._call('sky_send_server', json, target == null ? null : target));
};

P.getPeerInfo = function(peerId) {
  if (!this._m) return null;
  var t = this._text('sky_peer_info', peerId == null ? null : String(peerId));
  return t && JSON.parse(t);
};

// {peerId: peerInfo} of everyone in the room, self included.
P.getPeersInRoom = function() {
  return this._m ? JSON.parse(this._text('sky_peers')) : {};
};

// refreshConnection([peerId | [ids]], [iceRestart], [callback(error, {listOfPeers})]):
// an ICE restart on the same connection (the data channel and its queue
// survive) when iceRestart is true, else a fresh connection. peerRestart
// reports each one.
P.refreshConnection = function(target, iceRestart, callback) {
  var a = [].slice.call(arguments);
  callback = typeof a[a.length - 1] == 'function' ? a.pop() : null;
  target = a[0] == null ? null : a[0];
  iceRestart = a.length > 1 ? !!a[1] : typeof a[0] == 'boolean' ? (target = null, a[0]) : true;
  if (target != null && typeof target != 'string' && !Array.isArray(target)) {
    throw new TypeError('refreshConnection([peerId | [ids]], [iceRestart], [callback])');
  }
  var ids = target == null ? null : Array.isArray(target) ? target : [target];
  var self = this;
  var rc = self._m ? self._call('sky_refresh', ids && JSON.stringify(ids), iceRestart ? 1 : 0) : -2;
  var err = null;
  try { self._check(rc); } catch (e) { err = e; }
  if (callback) {
    self._safe(callback, err ? [err, null] : [null, {listOfPeers: ids || self._otherPeers()}]);
  } else if (err) throw err;
};

// getConnectionStatus([peerId | [ids]], [callback(error, {listOfPeers, connectionStats})]):
// each connection's state and the selected candidate pair ({local, remote} with
// candidateType host / srflx / prflx / relay): which path is in use. Also
// returns a Promise of the same result.
P.getConnectionStatus = function(target, callback) {
  if (typeof target == 'function') { callback = target; target = null; }
  var self = this;
  var ids = target == null ? self._otherPeers() : Array.isArray(target) ? target : [target];
  var stats = {};
  var done = Promise.all(ids.map(function(id) {
    var h = self._m ? self._call('sky_peer_pc', String(id)) : 0;
    return (h ? self._m.skyStats(h) : Promise.resolve(null)).then(function(s) { stats[id] = s; });
  })).then(function() { return {listOfPeers: ids, connectionStats: stats}; });
  if (typeof callback == 'function') {
    done.then(function(r) { self._safe(callback, [null, r]); }, function(e) { self._safe(callback, [e, null]); });
  }
  return done;
};

// Ids of everyone in the room but us.
P._otherPeers = function() {
  var self = this._m ? this._text('sky_self_id') : null;
  return Object.keys(this.getPeersInRoom()).filter(function(id) { return id != self; });
};

P.lockRoom = function() { this._lock(1); };
P.unlockRoom = function() { this._lock(0); };
P._lock = function(on) {
  if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
  this._check(this._m._sky_lock(on));
};

// Leaves the room, closes every connection and the signaling socket.
P.close = function() {
  var self = this;
  self._inited = false;
  self._later(function() { self._m._sky_close(); });
};
