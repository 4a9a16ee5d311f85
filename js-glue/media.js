// Media: SkylinkJS 0.6's getUserMedia / sendStream / shareScreen /
// stopStream / stopScreen / muteStream / getPeersStream (docs/api.md, Media).
// The MediaStream objects live here, behind numbers (bridge_pre.js); what is
// sent to whom, mute state and the events live in C (src/core/media.c).
(function(P) {
  // MediaStreams stay in JS: C names them {"$stream": n} in event arguments.
  P._mediaArgs = function(args) {
    var m = this._m;
    args.forEach(function(a, i) { if (a && a.$stream != null) args[i] = m.skyStream(a.$stream); });
  };


  // SkylinkJS's {audio, video} options as getUserMedia constraints.
  function skyConstraints(o) {
    function kind(x) {
      if (!x || typeof x != 'object') return !!x;
      var c = {};
      if (x.resolution) { c.width = x.resolution.width; c.height = x.resolution.height; }
      ['frameRate', 'deviceId', 'facingMode'].forEach(function(k) { if (x[k] != null) c[k] = x[k]; });
      return c;
    }
    return {audio: kind(o.audio), video: kind(o.video)};
  }

  function skyMediaDevices() {
    return typeof navigator != 'undefined' && navigator.mediaDevices || null;
  }

  // Hands a stream to C (slot: user media, or the screen); a track that the
  // browser ends (its "stop sharing" button, a camera unplugged) stops it.
  P._publish = function(stream, screen, fallback) {
    var self = this, m = self._m, h = m.skyAdoptStream(stream);
    var flags = (stream.getAudioTracks().length ? 1 : 0) | (stream.getVideoTracks().length ? 2 : 0) |
      (screen ? 4 : 0) | (fallback ? 8 : 0);
    self._check(self._call('sky_media_publish', h, stream.id, flags));
    stream.getTracks().forEach(function(t) {
      if (t.addEventListener) t.addEventListener('ended', function() {
        if (m.skyStream(h) === stream) m._sky_media_stop(screen ? 1 : 0);
      });
    });
  };

  // Gets a stream (getUserMedia / getDisplayMedia), hands it to C, calls back.
  P._media = function(get, screen, callback) {
    var self = this, fellBack = false;
    var md = skyMediaDevices();
    var got = self.ready.then(function() {
      if (!md) throw skyError('no_media_devices', 'skymesh: navigator.mediaDevices is missing (not a secure context?)');
      return get(md, false).catch(function(err) { // audioFallback: video refused, audio alone
        var again = get(md, true);
        if (!again) throw err;
        fellBack = true;
        return again;
      });
    });
    return got.then(function(stream) {
      self._publish(stream, screen, fellBack);
      if (callback) self._safe(callback, [null, stream]);
      return stream;
    }, function(err) {
      self._dispatch('mediaAccessError', [err, screen, fellBack]);
      if (callback) self._safe(callback, [err, null]);
    });
  };

  // getUserMedia([{audio, video}], [callback(error, stream)]): also sends the
  // stream to the room (and to whoever joins later).
  P.getUserMedia = function(options, callback) {
    if (typeof options == 'function') { callback = options; options = null; }
    var c = skyConstraints(options || {audio: true, video: true});
    var fallback = this._audioFallback && c.audio && c.video;
    return this._media(function(md, audioOnly) {
      if (!audioOnly) return md.getUserMedia(c);
      return fallback ? md.getUserMedia({audio: c.audio, video: false}) : null;
    }, false, callback);
  };

  // sendStream(MediaStream | {audio, video}, [callback(error, stream)])
  P.sendStream = function(stream, callback) {
    if (!stream || typeof stream.getTracks != 'function') return this.getUserMedia(stream || undefined, callback);
    var self = this;
    self._later(function() {
      try { self._publish(stream, false, false); } catch (e) { if (callback) self._safe(callback, [e, null]); return; }
      if (callback) self._safe(callback, [null, stream]);
    });
  };

  // shareScreen([enableAudio], [callback(error, stream)])
  P.shareScreen = function(enableAudio, callback) {
    if (typeof enableAudio == 'function') { callback = enableAudio; enableAudio = false; }
    return this._media(function(md, retry) {
      if (retry) return null;
      if (!md.getDisplayMedia) throw skyError('no_screen_capture', 'skymesh: getDisplayMedia is missing');
      return md.getDisplayMedia({video: true, audio: !!enableAudio});
    }, true, callback);
  };

  P._stopSlot = function(screen) {
    var self = this;
    self._later(function() { self._m._sky_media_stop(screen); });
  };
  P.stopStream = function() { this._stopSlot(0); };
  P.stopScreen = function() { this._stopSlot(1); };

  // muteStream({audioMuted, videoMuted}): an absent field stays as it is.
  P.muteStream = function(o) {
    o = o || {};
    function v(x) { return x === undefined ? -1 : x ? 1 : 0; }
    var self = this;
    self._later(function() { self._m._sky_media_mute(v(o.audioMuted), v(o.videoMuted)); });
  };
  P.enableAudio = function() { this.muteStream({audioMuted: false}); };
  P.disableAudio = function() { this.muteStream({audioMuted: true}); };
  P.enableVideo = function() { this.muteStream({videoMuted: false}); };
  P.disableVideo = function() { this.muteStream({videoMuted: true}); };

  // {peerId: MediaStream} of every peer sending, self included.
  P.getPeersStream = function() {
    if (!this._m) return {};
    var ids = JSON.parse(this._text('sky_media_streams')), out = {}, m = this._m;
    Object.keys(ids).forEach(function(id) { out[id] = m.skyStream(ids[id]); });
    return out;
  };

  // AdapterJS's attachMediaStream(element, stream), which SkylinkJS apps call.
  function attachMediaStream(element, stream) {
    element.srcObject = stream || null;
    element.autoplay = true;
    if (stream && element.play) element.play().catch(function() {});
    return element;
  }
  Skyway.attachMediaStream = attachMediaStream;
  if (typeof window != 'undefined' && !window.attachMediaStream) window.attachMediaStream = attachMediaStream;
})(Skyway.prototype);
