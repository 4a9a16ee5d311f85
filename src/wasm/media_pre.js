// Media helpers of the bridge (media_bridge.c), after bridge_pre.js in the full
// build only (src/wasm/CMakeLists.txt).

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

skyOnPc = function(h, e, pc) {
  pc.onnegotiationneeded = function() { if (skyPcs[h] === e) _sky_cb_negotiation_needed(h); };
  pc.ontrack = function(ev) { if (skyPcs[h] === e) skyTrack(h, e, ev); };
};
