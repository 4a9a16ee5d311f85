/* Peer ids from getrandom(2). See peer_id.h. */
#define _GNU_SOURCE /* getrandom() in <sys/random.h> */
#include "peer_id.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

/* The kernel's bytes are fetched for 64 ids at a time: one getrandom(2) per
 * id was a syscall in every join. Each byte goes to one id only and is wiped
 * once used, so the pool holds nothing of ids already handed out. */
#define POOL_IDS 64
static unsigned char pool[POOL_IDS * (SKY_PEER_ID_LEN / 2)];
static size_t pool_used = sizeof(pool); /* empty until the first id */

static bool pool_refill(void) {
  size_t got = 0;
  while (got < sizeof(pool)) {
    /* Blocking mode: at startup before the pool is seeded we wait rather than
     * hand out guessable ids. EINTR (a signal) just retries. */
    ssize_t n = getrandom(pool + got, sizeof(pool) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += (size_t)n;
  }
  pool_used = 0;
  return true;
}

bool sky_peer_id_generate(char out[SKY_PEER_ID_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  if (pool_used == sizeof(pool) && !pool_refill()) return false;
  unsigned char *raw = pool + pool_used;
  pool_used += SKY_PEER_ID_LEN / 2;
  for (size_t i = 0; i < SKY_PEER_ID_LEN / 2; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 0x0f];
  }
  memset(raw, 0, SKY_PEER_ID_LEN / 2);
  out[SKY_PEER_ID_LEN] = '\0';
  return true;
}
