/* Peer ids from getrandom(2). See peer_id.h. */
#define _GNU_SOURCE /* getrandom() in <sys/random.h> */
#include "peer_id.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>

bool sky_peer_id_generate(char out[SKY_PEER_ID_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[SKY_PEER_ID_LEN / 2];
  size_t got = 0;
  while (got < sizeof(raw)) {
    /* Blocking mode: at startup before the pool is seeded we wait rather than
     * hand out guessable ids. EINTR (a signal) just retries. */
    ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += (size_t)n;
  }
  for (size_t i = 0; i < sizeof(raw); i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 0x0f];
  }
  out[SKY_PEER_ID_LEN] = '\0';
  return true;
}
