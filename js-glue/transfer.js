// Data transfers: SkylinkJS 0.6's sendBlobData / sendURLData /
// acceptDataTransfer / cancelDataTransfer / getCurrentDataTransfers over the
// core's transfer state machine (src/core/transfer.c). C decides what is sent
// when; this file only registers the bytes to send under a handle (skyXfer.src:
// a Uint8Array, or a Blob the bridge reads by slices)
// and turns what C received (skyXfer.sink) into a Buffer (node) or a Blob.
(function(P) {
  P.DATA_TRANSFER_STATE = Skyway.DATA_TRANSFER_STATE = {
    UPLOAD_REQUEST: 'request', USER_UPLOAD_REQUEST: 'userRequest', UPLOAD_STARTED: 'uploadStarted',
    DOWNLOAD_STARTED: 'downloadStarted', UPLOADING: 'uploading', DOWNLOADING: 'downloading',
    UPLOAD_COMPLETED: 'uploadCompleted', DOWNLOAD_COMPLETED: 'downloadCompleted', REJECTED: 'rejected',
    USER_REJECTED: 'userRejected', CANCEL: 'cancel', ERROR: 'error', START_ERROR: 'startError'
  };
  // transferInfo.chunkType: what the chunks are on the wire (always binary
  // here: 'arrayBuffer'); DATA_URL is skymesh's earlier mistake for the
  // session type, kept so code that used it still runs.
  P.DATA_TRANSFER_DATA_TYPE = Skyway.DATA_TRANSFER_DATA_TYPE = {
    BINARY_STRING: 'binaryString', ARRAY_BUFFER: 'arrayBuffer', BLOB: 'blob', STRING: 'string', DATA_URL: 'dataURL'
  };
  // transferInfo.dataType: sendBlobData's or sendURLData's.
  P.DATA_TRANSFER_SESSION_TYPE = Skyway.DATA_TRANSFER_SESSION_TYPE = {BLOB: 'blob', DATA_URL: 'dataURL'};

  // SkylinkJS's optional arguments, told apart by type.
  function options(a) {
    var o = {timeout: 0, targets: null, callback: null};
    a.forEach(function(v) {
      if (typeof v == 'number') o.timeout = Math.max(0, Math.round(v));
      else if (typeof v == 'string' || Array.isArray(v)) o.targets = Array.isArray(v) ? v : [v];
      else if (typeof v == 'function') o.callback = v;
      // booleans (sendChunksAsBinary): chunks are always binary here, so
      // true and false alike give chunkType 'arrayBuffer'
    });
    return o;
  }

  function isBlob(d) { return typeof Blob != 'undefined' && d instanceof Blob; }

  function base64(u8) {
    if (typeof Buffer == 'function') return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('base64');
    var s = '';
    for (var i = 0; i < u8.length; i += 32768) s += String.fromCharCode.apply(null, u8.subarray(i, i + 32768));
    return btoa(s);
  }

  // Starts an upload of bytes (a Uint8Array, or {blob, length}); orig is what
  // the sender's own incomingData gives back.
  P._xferStart = function(bytes, orig, name, mime, o, dataUrl) {
    var self = this, src = self._xferSeq = (self._xferSeq || 0) + 1;
    if (!self._m) throw skyError('wrong_state', 'skymesh: not in a room');
    var x = self._m.skyXfer;
    x.src[src] = bytes;
    bytes.skyOrig = orig;
    self._xferCb = self._xferCb || {};
    self._xferCb[src] = o.callback; // before the call: its events may come during it
    var rc = self._call('sky_send_data', src, bytes.length, name, mime, o.timeout, dataUrl ? 1 : 0,
      o.targets && JSON.stringify(o.targets));
    if (rc > 0) return;
    delete x.src[src];
    delete self._xferCb[src];
    try { self._check(rc); } catch (e) {
      if (o.callback) self._safe(o.callback, [e, null]);
      else throw e;
    }
  };

  // sendBlobData(data, [timeout], [peerId | [ids]], [sendChunksAsBinary], [callback(error, success)]):
  // data is a Blob / File, or (node) a Buffer, typed array or ArrayBuffer.
  P.sendBlobData = function(data) {
    var o = options([].slice.call(arguments, 1)), self = this;
    var bytes = skyBytes(data);
    var name = data && typeof data.name == 'string' ? data.name : '';
    var mime = data && typeof data.type == 'string' ? data.type : '';
    if (bytes) return self._xferStart(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), data, name, mime, o, false);
    if (!isBlob(data)) throw new TypeError('sendBlobData(): data must be a Blob, File, Buffer, typed array or ArrayBuffer');
    // A Blob / File is never read whole: the bridge reads it by slices as C
    // asks for chunks, a few MiB ahead (skyXferBytes in bridge_pre.js).
    return self._xferStart({blob: data, length: data.size}, data, name, mime, o, false);
  };

  // sendURLData(dataURL, [timeout], [peerId | [ids]], [callback(error, success)]): the
  // receiver gets the same data URL back (base64).
  P.sendURLData = function(url) {
    var o = options([].slice.call(arguments, 1));
    var m = typeof url == 'string' && /^data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,(.*)$/s.exec(url);
    if (!m) throw new TypeError('sendURLData(): a data: URL string is required');
    var bytes;
    if (m[3]) {
      if (typeof Buffer == 'function') bytes = new Uint8Array(Buffer.from(m[4], 'base64'));
      else bytes = Uint8Array.from(atob(m[4]), function(ch) { return ch.charCodeAt(0); });
    } else {
      bytes = new TextEncoder().encode(decodeURIComponent(m[4]));
    }
    this._xferStart(bytes, url, '', m[1] || 'text/plain', o, true);
  };

  P.acceptDataTransfer = function(peerId, transferId, accept) {
    if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
    this._check(this._call('sky_respond_data', String(peerId), String(transferId), accept === false ? 0 : 1));
  };
  P.respondBlobRequest = P.acceptDataTransfer; // SkylinkJS's older name

  P.cancelDataTransfer = function(peerId, transferId) {
    if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
    this._check(this._call('sky_cancel_data', String(peerId), String(transferId)));
  };

  // {transferId: {transferInfo, isSelf, peerId (the sender)}} of the transfers under way.
  P.getCurrentDataTransfers = function() {
    return this._m ? JSON.parse(this._text('sky_data_transfers')) : {};
  };

  // The data a finished transfer hands over: sink h as a Buffer (node) or a
  // Blob, or a data URL string; made once, kept until incomingData.
  P._xferData = function(info) {
    var x = this._m.skyXfer;
    if (info.$src != null) {
      var s = x.src[info.$src];
      delete info.$src;
      return s ? s.skyOrig : null;
    }
    var k = x.sink[info.$sink] || (x.sink[info.$sink] = this._m.nodeBuffers ? {buf: Buffer.alloc(0)} : {parts: []});
    if (!('data' in k)) {
      if (info.dataType == 'dataURL') {
        var u8 = k.buf || new Uint8Array(k.parts.reduce(function(n, p) { return n + p.length; }, 0));
        if (!k.buf) k.parts.reduce(function(at, p) { u8.set(p, at); return at + p.length; }, 0);
        k.data = 'data:' + (info.mimeType || 'text/plain') + ';base64,' + base64(u8);
      } else {
        k.data = k.buf || new Blob(k.parts, {type: info.mimeType || ''});
      }
      k.parts = k.buf = null;
    }
    return k.data;
  };

  // Internal transfer events, and the data of finished ones; true: consumed.
  P._xferDispatch = function(name, args) {
    var x = this._m && this._m.skyXfer;
    if (!x) return false;
    if (name == '_xferRelease') {
      delete x[args[1] ? 'sink' : 'src'][args[0]];
      return true;
    }
    if (name == '_xferDone') {
      var cb = this._xferCb && this._xferCb[args[0]];
      if (this._xferCb) delete this._xferCb[args[0]];
      var result = {transferId: args[1], transferInfo: args[3], listOfPeers: args[4]};
      if (cb && args[2]) {
        var e = skyError('transfer_failed', 'skymesh: the transfer did not complete for every peer');
        e.transferId = args[1];
        e.transferInfo = args[3];
        e.listOfPeers = args[4];
        e.transferErrors = args[2];
        this._safe(cb, [e, null]);
      } else if (cb) this._safe(cb, [null, result]);
      return true;
    }
    var info = args[3];
    if ((name == 'incomingData' || name == 'dataTransferState') && info && (info.$sink != null || info.$src != null)) {
      var sink = info.$sink, data = this._xferData(info);
      delete info.$sink;
      info.data = data;
      if (name == 'incomingData') {
        args[0] = data;
        if (sink != null) delete x.sink[sink]; // the app's now
      }
    }
    return false;
  };
})(Skyway.prototype);
