/* Fuzzes resume-token verification (src/server/resume.c), the part of the
 * server that reads hello.resume: any bytes a client may send.
 *
 * The first input byte picks a mode:
 *   0  the rest of the input is the token, verified as is;
 *   1  a genuine token is minted from input-chosen fields (peer id, room,
 *      expiry, clock), then edited by the input (replace / insert / delete
 *      characters) and verified;
 *   2  a genuine token is minted, then verified with another app key and with
 *      another secret.
 * Properties beyond ASan/UBSan (the token is an exact-size heap copy, so any
 * read past its length is caught):
 *   - a genuine token verifies, to exactly the claim it was minted for, unless
 *     the clock has reached its expiry (then EXPIRED);
 *   - whatever verifies OK is the canonical spelling of its claim: minting the
 *     claim again gives the same bytes (no second spelling, so no edit of a
 *     token survives unless it undoes itself);
 *   - another app key or another secret never verifies;
 *   - a token that verifies is printable ASCII of at most SKY_TOKEN_MAX bytes. */
#define _GNU_SOURCE /* what resume.c asks for (getrandom), before any header */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/resume.c"
#include "fuzz_check.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "fuzz-key"
static const char ROOM_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.:@-";

static sky_resume_secret SECRET, OTHER;

static void setup(void) {
  if (SECRET.len) return;
  memset(SECRET.bytes, 0x42, 32);
  SECRET.len = 32;
  memset(OTHER.bytes, 0x43, 33);
  OTHER.len = 33;
}

static uint32_t u32(in *i) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) v = v << 8 | u8(i);
  return v;
}

/* Verifies len bytes of t from an exact-size copy. */
static sky_resume_verdict verify(const sky_resume_secret *s, const char *key, const char *t, size_t len,
                                 uint64_t now, sky_resume_claim *claim) {
  char *copy = malloc(len ? len : 1); /* owner: here */
  CHECK(copy);
  memcpy(copy, t, len);
  sky_resume_verdict v = sky_resume_verify(s, key, copy, len, now, claim);
  free(copy);
  return v;
}

/* An OK verdict: the token is the one mint() makes for its claim. */
static void check_canonical(const char *t, size_t len, const sky_resume_claim *c) {
  CHECK(len <= SKY_TOKEN_MAX);
  for (size_t k = 0; k < len; k++) CHECK(t[k] > 0x20 && t[k] < 0x7f);
  CHECK(sky_peer_id_valid(c->peer_id, strlen(c->peer_id)));
  CHECK(c->room[0] == '\0' || sky_room_name_valid(c->room, strlen(c->room)));
  char again[SKY_TOKEN_MAX + 1];
  CHECK(sky_resume_mint(&SECRET, KEY, c->peer_id, c->room, c->expires, again));
  CHECK(strlen(again) == len && memcmp(again, t, len) == 0);
}

/* Fields from the input: always valid ones. */
static void genuine(in *i, sky_resume_claim *c) {
  static const char hex[] = "0123456789abcdef";
  memset(c, 0, sizeof(*c));
  for (int k = 0; k < SKY_PEER_ID_LEN; k++) c->peer_id[k] = hex[u8(i) & 15];
  size_t room_len = u8(i) % (SKY_ROOM_MAX + 1);
  for (size_t k = 0; k < room_len; k++) c->room[k] = ROOM_CHARS[u8(i) % (sizeof(ROOM_CHARS) - 1)];
  if (room_len && c->room[0] == ' ') c->room[0] = '_';
  if (room_len && c->room[room_len - 1] == ' ') c->room[room_len - 1] = '-';
  c->expires = u32(i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  in i = {data, size};
  uint8_t mode = u8(&i) % 3;
  uint64_t now = (uint64_t)u32(&i) << (u8(&i) & 1 ? 1 : 0); /* sometimes past 2^32 */
  sky_resume_claim claim;

  if (mode == 0) {
    sky_resume_verdict v = verify(&SECRET, KEY, (const char *)i.p, i.n, now, &claim);
    CHECK(v == SKY_RESUME_OK || v == SKY_RESUME_MALFORMED || v == SKY_RESUME_BAD_MAC || v == SKY_RESUME_EXPIRED);
    if (v == SKY_RESUME_OK) check_canonical((const char *)i.p, i.n, &claim);
    return 0;
  }

  sky_resume_claim want;
  genuine(&i, &want);
  char t[SKY_TOKEN_MAX + 1];
  CHECK(sky_resume_mint(&SECRET, KEY, want.peer_id, want.room, want.expires, t));
  size_t len = strlen(t);
  sky_resume_verdict v = verify(&SECRET, KEY, t, len, now, &claim);
  if (now >= want.expires) {
    CHECK(v == SKY_RESUME_EXPIRED);
  } else {
    CHECK(v == SKY_RESUME_OK);
    CHECK(memcmp(&claim, &want, sizeof(claim)) == 0);
    check_canonical(t, len, &claim);
  }

  if (mode == 2) {
    CHECK(verify(&SECRET, "fuzz-kez", t, len, 0, &claim) == SKY_RESUME_BAD_MAC);
    CHECK(verify(&OTHER, KEY, t, len, 0, &claim) == SKY_RESUME_BAD_MAC);
    return 0;
  }

  /* mode 1: edits */
  char buf[SKY_TOKEN_MAX + 64];
  memcpy(buf, t, len);
  size_t n = len;
  int edits = 1 + u8(&i) % 4;
  for (int e = 0; e < edits; e++) {
    uint8_t op = u8(&i);
    size_t at = n ? u8(&i) % (n + 1) : 0;
    char ch = (char)u8(&i);
    if ((op & 3) == 0 && at < n) buf[at] = ch;                                /* replace */
    else if ((op & 3) == 1 && n < sizeof(buf)) {                              /* insert */
      memmove(buf + at + 1, buf + at, n - at);
      buf[at] = ch;
      n++;
    } else if ((op & 3) == 2 && at < n) {                                     /* delete */
      memmove(buf + at, buf + at + 1, n - at - 1);
      n--;
    } else if (at < n) buf[at] = (char)(0x20 + (unsigned char)ch % 95);       /* printable replace */
  }
  v = verify(&SECRET, KEY, buf, n, 0, &claim);
  if (v == SKY_RESUME_OK) {
    check_canonical(buf, n, &claim);
    CHECK(n == len && memcmp(buf, t, n) == 0); /* only an undone edit survives */
  }
  return 0;
}
