/* The full build (dist/skymesh.js): chat, data transfers and media. */
#include "bridge.h"

void sky_wasm_features(sky_client_ops *ops) {
  sky_wasm_xfer_ops(ops);
  sky_wasm_media_ops(ops);
}
