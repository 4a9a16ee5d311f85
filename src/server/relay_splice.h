/* The relay fast path: offer / answer / candidate frames forwarded without a
 * JSON round trip.
 *
 * Why: relaying a candidate through sky_msg_decode + sky_msg_encode (cJSON
 * parse, a heap node per field, print) was most of the server's user-space
 * time per relayed message under load (bench/, perf). A client's frame in the
 * one spelling our encoder produces can be checked in one pass and forwarded
 * with `"to":"<id>",` (and `"ref"`) cut out and `"from":"<sender>",` put in.
 *
 * The contract, which tests/fuzz/fuzz_relay_splice.c checks on every input:
 * when sky_relay_splice_parse() accepts a frame, sky_msg_decode() accepts it
 * too, with the same type, `to` and ref, and sky_relay_splice_write() gives
 * byte for byte what sky_msg_encode() gives for that decoded message with
 * `from` stamped and `to` and ref cleared. Anything else (other spellings,
 * whitespace, escapes beyond the short ones, unknown or repeated fields, a
 * client's `from`) is refused here and takes the full decoder, which answers
 * errors as before. So the fast path forwards nothing the slow path would not. */
#ifndef SKY_SERVER_RELAY_SPLICE_H
#define SKY_SERVER_RELAY_SPLICE_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"

typedef struct sky_relay_splice {
  sky_msg_type type;        /* SKY_MSG_OFFER, SKY_MSG_ANSWER or SKY_MSG_CANDIDATE */
  char to[SKY_PEER_ID_LEN + 1];
  char ref[SKY_REF_MAX + 1]; /* "" when absent */
  const char *head;          /* `{"type":"<type>",` inside the frame */
  size_t head_len;
  const char *rest;          /* the fields after "to", through the closing brace */
  size_t rest_len;
} sky_relay_splice;

/* Whether data (len bytes, no terminator needed) is a relayable frame in the
 * canonical spelling, no longer than max_frame. Fills out (pointing into data)
 * when it is. */
bool sky_relay_splice_parse(const char *data, size_t len, size_t max_frame, sky_relay_splice *out);

/* Bytes of the stamped message. */
size_t sky_relay_splice_len(const sky_relay_splice *s);

/* Writes the stamped message (sky_relay_splice_len bytes, no terminator) to
 * out; from is a valid peer id. */
void sky_relay_splice_write(const sky_relay_splice *s, const char *from, char *out);

#endif
