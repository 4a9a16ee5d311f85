// Data transfers' helpers of the bridge (xfer_bridge.c), after bridge_pre.js in
// the full build only (src/wasm/CMakeLists.txt).

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
