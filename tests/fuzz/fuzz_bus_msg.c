/* Fuzzes the bus message decoder (src/server/bus_msg.c): what an instance
 * reads from its Redis channel before it delivers anything to its peers.
 * Redis is shared infrastructure, so the bytes are not a client's, but a
 * decoder must survive anything all the same.
 *
 * Properties beyond ASan/UBSan (the input is an exact-size heap copy):
 *   - what decodes has a valid room name, a peer id or nothing as peer, a
 *     target exactly for 'p', and a payload inside the input;
 *   - what decodes re-encodes to exactly the input (one spelling per message);
 *   - the encoder's output always decodes back to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/bus_msg.c"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1); /* exact size: reads past it are caught */
  if (!copy) return 0;
  memcpy(copy, data, size);
  sky_bus_msg m;
  if (sky_bus_msg_decode(copy, size, &m)) {
    CHECK(sky_room_name_valid(m.room, strlen(m.room)));
    CHECK(m.peer[0] == '\0' || sky_peer_id_valid(m.peer, strlen(m.peer)));
    CHECK((m.kind == SKY_BUS_PEER) == (m.target[0] != '\0'));
    CHECK(m.payload >= copy && m.payload + m.payload_len == copy + size);
    size_t len = 0;
    char *again = sky_bus_msg_encode(&m, &len);
    CHECK(again && len == size && memcmp(again, copy, size) == 0);
    sky_bus_msg back;
    CHECK(sky_bus_msg_decode(again, len, &back));
    CHECK(back.kind == m.kind && strcmp(back.room, m.room) == 0 && strcmp(back.peer, m.peer) == 0 &&
          strcmp(back.target, m.target) == 0 && back.payload_len == m.payload_len);
    free(again);
  }
  free(copy);
  return 0;
}
