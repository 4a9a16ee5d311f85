/* The chat build (dist/skymesh-chat.js): rooms and chat only. The core's
 * transfer and media hooks are src/core/features_none.c's no-ops, and no
 * transfer or media bridge is linked. */
#include "bridge.h"

void sky_wasm_features(sky_client_ops *ops) { (void)ops; }
