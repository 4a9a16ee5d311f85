/* Fuzzes the signaling decoder with arbitrary frames. Beyond "no crash, no leak",
 * it checks the codec's round-trip property: whatever decodes must encode, and the
 * encoding must decode to a message that encodes to the very same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const sky_msg *decoded, const sky_limits *limits) {
  char *first = sky_msg_encode(decoded); /* owned here */
  if (!first) abort(); /* a decoded message is valid by definition */
  sky_msg again;
  sky_decode_error err;
  if (!sky_msg_decode(first, strlen(first), limits, &again, &err)) abort();
  char *second = sky_msg_encode(&again); /* owned here */
  if (!second || strcmp(first, second) != 0) abort();
  free(second);
  free(first);
  sky_msg_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sky_limits limits;
  sky_limits_default(&limits);
  sky_msg msg;
  sky_decode_error err;
  if (sky_msg_decode((const char *)data, size, &limits, &msg, &err)) {
    check_round_trip(&msg, &limits);
    sky_msg_clear(&msg);
  } else if (err.code == SKY_ERR_NONE || err.code >= SKY_ERR_CODE_COUNT) {
    abort(); /* every failure must say why */
  }
  return 0;
}
