/* Fuzzes the relay fast path (src/server/relay_splice.c) against the full
 * decoder and encoder it stands in for.
 *
 * Properties beyond ASan/UBSan (the input is an exact-size heap copy):
 *   - what the splicer accepts, sky_msg_decode accepts too, with the same
 *     type, `to` and ref;
 *   - the spliced bytes equal sky_msg_encode of that decoded message with
 *     `from` stamped and `to` and ref cleared: the fast path forwards exactly
 *     what the slow path would, never a byte the decoder did not vouch for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/relay_splice.c"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SENDER[] = "0123456789abcdef0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sky_limits limits;
  sky_limits_default(&limits);
  char *copy = malloc(size ? size : 1); /* owner: here; exact size, so reads past it are caught */
  if (!copy) return 0;
  memcpy(copy, data, size);
  sky_relay_splice s;
  if (sky_relay_splice_parse(copy, size, limits.max_frame_bytes, &s)) {
    sky_msg m;
    sky_decode_error err;
    CHECK(sky_msg_decode(copy, size, &limits, &m, &err));
    CHECK(m.type == s.type);
    CHECK(strcmp(m.ref, s.ref) == 0);
    char *to = m.type == SKY_MSG_CANDIDATE ? m.u.candidate.to : m.u.sdp.to;
    char *from = m.type == SKY_MSG_CANDIDATE ? m.u.candidate.from : m.u.sdp.from;
    CHECK(strcmp(to, s.to) == 0);
    memcpy(from, SENDER, sizeof(SENDER));
    to[0] = '\0';
    m.ref[0] = '\0';
    char *expected = sky_msg_encode(&m); /* owner: here */
    CHECK(expected != NULL);
    size_t len = sky_relay_splice_len(&s);
    char *spliced = malloc(len ? len : 1); /* owner: here */
    CHECK(spliced != NULL);
    sky_relay_splice_write(&s, SENDER, spliced);
    CHECK(len == strlen(expected) && memcmp(spliced, expected, len) == 0);
    free(spliced);
    free(expected);
    sky_msg_clear(&m);
  }
  free(copy);
  return 0;
}
