/* Fuzzes the signaling server's connection, room and dispatch state machines
 * (src/server/ws.c, connection.c, dispatch.c, room.c, relay_splice.c,
 * read_ahead.c) with up to eight hostile
 * clients at once, without sockets: libwebsockets is replaced by a fake that
 * delivers the events lws would (ESTABLISHED, RECEIVE with fragment flags,
 * SERVER_WRITEABLE, TIMER, RECEIVE_PONG, CLOSED, a pending timeout firing, the
 * server's tick running the hello and keepalive deadlines) in
 * any order the input chooses, on a fake clock.
 *
 * The server sources are compiled into this target (one translation unit), so
 * it needs no change to the build; src/server/server.c (the lws context and
 * the service loop) and main.c are left out and replaced below.
 *
 * Properties checked beyond ASan/UBSan/LSan:
 *   - every text frame the server writes (alone or batched) decodes with the
 *     protocol decoder and is a server-to-client or relayed message type;
 *   - every resume token it sends verifies for one of the app keys and names
 *     a peer id it handed out; a welcome repeats an earlier peer id only when
 *     it says resumed (clients resume with tokens the server wrote, as they
 *     are, spoiled, or swapped between sockets);
 *   - a relayed offer/answer/candidate/message carries as "from" the peer id of
 *     a live or recently live authenticated connection, never a client's text;
 *   - bookkeeping: conn_count equals the live connections, room_count the
 *     rooms, every room has 1..maxPeers members, every member points back at
 *     its room, no queue exceeds its bound;
 *   - every iceServers list (welcome, ice_servers) carries TURN credentials for
 *     a peer id it handed out that recompute from the TURN secret;
 *   - a connection bound by SkylinkJS credentials is never in another room
 *     (hellos for the key "cred" carry genuine, spoiled or no credentials);
 *   - after every socket is closed, no room and no connection is left. */
#define _GNU_SOURCE /* for the server sources that want POSIX / GNU extras */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/server/app_keys.c"
#include "../../src/server/config.c"
#include "../../src/server/connection.c"
#include "../../src/server/credentials.c"
#include "../../src/server/deadline_fifo.c"
#include "../../src/server/dispatch.c"
#include "../../src/server/hmac.c"
#include "../../src/server/peer_id.c"
#include "../../src/server/read_ahead.c"
#include "../../src/server/redis_config.c"
#include "../../src/server/relay_splice.c"
#include "../../src/server/resume.c"
#include "../../src/server/resume_dispatch.c"
#include "../../src/server/room.c"
#include "../../src/server/rooms_backend.c"
#include "../../src/server/rooms_memory.c"
#include "../../src/server/turn.c"
#include "../../src/server/turn_dispatch.c"
#include "../../src/server/ws.c"
#include "fuzz_check.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define SLOTS 8
#define MAX_OPS 300

/* ---- the fake libwebsockets ---------------------------------------------- */

struct lws {
  int slot;
  bool live;             /* ESTABLISHED delivered, CLOSED not yet */
  void *user;            /* per-session data, as lws allocates it */
  bool first, final, binary;
  size_t remaining;      /* lws_remaining_packet_payload() */
  const char *origin;    /* Origin header, or NULL */
  bool want_write;
  int timeout_s;         /* last lws_set_timeout(); 0 = none */
  lws_usec_t timer_us;   /* last lws_set_timer_usecs(); 0 = none */
  bool close_reason_set;
};

static struct lws W[SLOTS];
static sky_server S;
static sky_config CFG;
static bool CFG_READY;
static uint64_t NOW_MS;
static char KNOWN_IDS[64][SKY_PEER_ID_LEN + 1]; /* every peer id handed out */
static size_t KNOWN_COUNT;

uint64_t sky_now_ms(void) { return NOW_MS; }
volatile sig_atomic_t sky_stop_requested = 0;

struct lws_context *lws_get_context(const struct lws *wsi) {
  (void)wsi;
  return (struct lws_context *)&S;
}
void *lws_context_user(struct lws_context *context) { return context; }

int lws_callback_on_writable(struct lws *wsi) {
  CHECK(wsi && wsi->live);
  wsi->want_write = true;
  return 1;
}

/* The read-ahead (read_ahead.c) reads a noted socket again: it must still be
 * open. The fake has nothing more to deliver, like a drained socket. */
lws_sockfd_type lws_get_socket_fd(struct lws *wsi) {
  CHECK(wsi && wsi->live);
  return wsi->slot;
}

int lws_service_fd(struct lws_context *context, struct lws_pollfd *pollfd) {
  (void)context; /* S.ctx: no context in the fake */
  CHECK(pollfd && pollfd->fd >= 0 && pollfd->fd < SLOTS && W[pollfd->fd].live);
  return 0;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs) {
  (void)reason;
  CHECK(wsi && wsi->live);
  wsi->timeout_s = secs;
}

void lws_set_timer_usecs(struct lws *wsi, lws_usec_t usecs) {
  CHECK(wsi && wsi->live);
  wsi->timer_us = usecs;
}

void lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf, size_t len) {
  (void)status;
  CHECK(wsi && wsi->live);
  CHECK(len <= 123 && (len == 0 || buf));
  wsi->close_reason_set = true;
}

int lws_frame_is_binary(struct lws *wsi) { return wsi->binary; }
int lws_is_final_fragment(struct lws *wsi) { return wsi->final; }
int lws_is_first_fragment(struct lws *wsi) { return wsi->first; }
size_t lws_remaining_packet_payload(struct lws *wsi) { return wsi->remaining; }

int lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h) {
  if (h == WSI_TOKEN_ORIGIN) return wsi->origin ? (int)strlen(wsi->origin) : 0;
  if (h == WSI_TOKEN_GET_URI) return (int)strlen(SKY_SIGNALING_PATH);
  return 0;
}

int lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h) {
  const char *v = h == WSI_TOKEN_ORIGIN ? wsi->origin : h == WSI_TOKEN_GET_URI ? SKY_SIGNALING_PATH : NULL;
  if (!v) return -1;
  int n = (int)strlen(v);
  if (n + 1 > len) return -1;
  memcpy(dest, v, (size_t)n + 1);
  return n;
}

int lws_callback_http_dummy(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)wsi; (void)reason; (void)user; (void)in; (void)len;
  return 0;
}

void _lws_log(int filter, const char *format, ...) {
  (void)filter;
  (void)format;
}

/* ---- checking what the server writes -------------------------------------- */

static bool known_id(const char *id) {
  for (size_t k = 0; k < KNOWN_COUNT; k++)
    if (strcmp(KNOWN_IDS[k], id) == 0) return true;
  return false;
}

/* Remembers the peer id of every authenticated connection (live or gone). */
static void learn_ids(void) {
  for (sky_conn *c = S.conns; c; c = c->next) {
    if (!c->authenticated || known_id(c->peer_id)) continue;
    CHECK(sky_peer_id_valid(c->peer_id, strlen(c->peer_id)));
    if (KNOWN_COUNT < 64) memcpy(KNOWN_IDS[KNOWN_COUNT++], c->peer_id, SKY_PEER_ID_LEN + 1);
  }
}

static char WELCOMED[64][SKY_PEER_ID_LEN + 1]; /* ids sent in welcome, once each unless resumed */
static size_t WELCOMED_COUNT;
static char TOKENS[8][SKY_TOKEN_MAX + 1]; /* the latest resume tokens written, for clients to resume with */
static size_t TOKEN_COUNT;

static void check_token(const sky_msg *m) {
  sky_resume_claim claim;
  const char *t = m->u.token.token;
  sky_resume_verdict v = sky_resume_verify(&CFG.secret, "key", t, strlen(t), 0, &claim);
  if (v != SKY_RESUME_OK) v = sky_resume_verify(&CFG.secret, "bound", t, strlen(t), 0, &claim);
  if (v != SKY_RESUME_OK) v = sky_resume_verify(&CFG.secret, "cred", t, strlen(t), 0, &claim);
  CHECK(v == SKY_RESUME_OK);
  CHECK(claim.expires == m->u.token.expires);
  CHECK(known_id(claim.peer_id));
  memcpy(TOKENS[TOKEN_COUNT++ % 8], t, strlen(t) + 1);
}

#define FUZZ_TURN_SECRET "fuzz-turn-secret-0123456789"
#define FUZZ_APP_SECRET "fuzz-app-secret-0123456789"

/* An iceServers list: STUN without, TURN with a credential that recomputes,
 * for a peer id the server handed out (peer_id, when given). */
static void check_ice_servers(const char *json, const char *peer_id) {
  cJSON *list = cJSON_Parse(json);
  CHECK(cJSON_IsArray(list) && cJSON_GetArraySize(list) == 2);
  cJSON *turn = cJSON_GetArrayItem(list, 1);
  const char *user = cJSON_GetStringValue(cJSON_GetObjectItem(turn, "username"));
  const char *cred = cJSON_GetStringValue(cJSON_GetObjectItem(turn, "credential"));
  CHECK(user && cred && !cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "username"));
  const char *colon = strchr(user, ':');
  CHECK(colon && known_id(colon + 1));
  if (peer_id) CHECK(strcmp(colon + 1, peer_id) == 0);
  char want[SKY_SHA1_B64_LEN + 1];
  CHECK(sky_turn_credential((const unsigned char *)FUZZ_TURN_SECRET, strlen(FUZZ_TURN_SECRET), user, want));
  CHECK(strcmp(want, cred) == 0);
  CHECK(!strstr(json, FUZZ_TURN_SECRET));
  cJSON_Delete(list);
}

static void check_text(const char *text, size_t len) {
  sky_limits big = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  sky_msg m;
  sky_decode_error err;
  learn_ids();
  if (getenv("FUZZ_SERVER_TRACE")) fprintf(stderr, "wrote %.*s\n", (int)(len > 160 ? 160 : len), text);
  if (!sky_msg_decode(text, len, &big, &m, &err)) {
    fprintf(stderr, "server wrote an invalid frame (%s: %s): %.*s\n", sky_error_code_name(err.code), err.detail,
            (int)(len > 300 ? 300 : len), text);
    abort();
  }
  switch (m.type) {
  case SKY_MSG_OFFER:
  case SKY_MSG_ANSWER: CHECK(known_id(m.u.sdp.from)); break;
  case SKY_MSG_CANDIDATE: CHECK(known_id(m.u.candidate.from)); break;
  case SKY_MSG_MESSAGE: CHECK(known_id(m.u.message.from)); break;
  case SKY_MSG_WELCOME: {
    CHECK(sky_peer_id_valid(m.u.welcome.peer_id, strlen(m.u.welcome.peer_id)));
    CHECK(known_id(m.u.welcome.peer_id));
    bool seen = false;
    for (size_t k = 0; k < WELCOMED_COUNT; k++) seen |= strcmp(WELCOMED[k], m.u.welcome.peer_id) == 0;
    CHECK(!seen || m.u.welcome.resumed);
    if (!seen && WELCOMED_COUNT < 64) memcpy(WELCOMED[WELCOMED_COUNT++], m.u.welcome.peer_id, SKY_PEER_ID_LEN + 1);
    CHECK(m.u.welcome.ice_servers);
    check_ice_servers(m.u.welcome.ice_servers, m.u.welcome.peer_id);
    break;
  }
  case SKY_MSG_ICE_SERVERS: check_ice_servers(m.u.ice_servers.ice_servers, NULL); break;
  case SKY_MSG_TOKEN: check_token(&m); break;
  default:
    CHECK(m.type >= SKY_MSG_OFFER);
    break;
  }
  sky_msg_clear(&m);
}

int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol mode) {
  CHECK(wsi && wsi->live);
  int base = (int)mode & 0x1f;
  if (base == LWS_WRITE_TEXT) {
    check_text((const char *)buf, len);
  } else if (base == LWS_WRITE_RAW) {
    /* A batch: whole unmasked text frames, back to back. */
    size_t i = 0;
    while (i < len) {
      CHECK(len - i >= 2);
      CHECK(buf[i] == 0x81);
      size_t n = buf[i + 1] & 0x7f, off = i + 2;
      CHECK((buf[i + 1] & 0x80) == 0);
      if (n == 126) {
        CHECK(len - off >= 2);
        n = ((size_t)buf[off] << 8) | buf[off + 1];
        off += 2;
      } else if (n == 127) {
        CHECK(len - off >= 8);
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v = (v << 8) | buf[off + k];
        n = (size_t)v;
        off += 8;
      }
      CHECK(n <= len - off);
      check_text((const char *)buf + off, n);
      i = off + n;
    }
  } else {
    CHECK(base == LWS_WRITE_PING);
    CHECK(len <= 125);
  }
  return (int)len;
}

/* ---- driving it ------------------------------------------------------------ */

static int call(struct lws *w, enum lws_callback_reasons reason, void *data, size_t len) {
  return sky_ws_protocols(&CFG)[0].callback(w, reason, w->user, data, len);
}

static void close_slot(struct lws *w) {
  if (!w->live) return;
  call(w, LWS_CALLBACK_CLOSED, NULL, 0);
  free(w->user);
  memset(w, 0, sizeof *w);
}

static void open_slot(int k, in *i) {
  struct lws *w = &W[k];
  if (w->live) return;
  memset(w, 0, sizeof *w);
  w->slot = k;
  w->live = true;
  w->user = calloc(1, sky_ws_protocols(&CFG)[0].per_session_data_size);
  CHECK(w->user);
  static const char *const origins[] = {NULL, "http://a.example", "http://b.example", "null",
                                        "http://a.example.evil", ""};
  uint8_t o = u8(i);
  w->origin = o == 255 ? "http://ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
                         "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
                         "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.example"
                       : origins[o % 6];
  if (call(w, LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION, NULL, 0) != 0 || call(w, LWS_CALLBACK_ESTABLISHED, NULL, 0) != 0)
    close_slot(w);
}

static const char *const PEER_REFS[] = {"a", "b", "j1"};

/* A token the server wrote, sometimes spoiled by one character. */
static const char *resume_token(in *i, char out[SKY_TOKEN_MAX + 1]) {
  if (!TOKEN_COUNT) return "1.00000000000000000000000000000000.1.." "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  size_t n = TOKEN_COUNT < 8 ? TOKEN_COUNT : 8;
  memcpy(out, TOKENS[u8(i) % n], SKY_TOKEN_MAX + 1);
  uint8_t spoil = u8(i);
  size_t len = strlen(out);
  if (spoil & 1 && len) out[(spoil >> 1) % len] ^= 1;
  return out;
}

/* A message a client could send: typed, mostly valid, naming real peer ids. */
static size_t synth(in *i, char *out, size_t cap) {
  const char *ref = PEER_REFS[u8(i) % 3];
  const char *target = KNOWN_COUNT ? KNOWN_IDS[u8(i) % KNOWN_COUNT] : "00000000000000000000000000000000";
  static const char *const rooms[] = {"r1", "r2", "r3", "r4", "r5", "bad room ", "r1"};
  const char *room = rooms[u8(i) % 7];
  char token[SKY_TOKEN_MAX + 1];
  switch (u8(i) % 14) {
  case 13: { /* a hello for the key with a secret: genuine, spoiled, for another room, or none */
    char start[32], cred[SKY_SHA1_B64_LEN + 1];
    CHECK(iso_of(sky_cred_now_ms() - 1000, start));
    const char *for_room = u8(i) & 1 ? "r1" : "r2";
    CHECK(sky_cred_compute((const unsigned char *)FUZZ_APP_SECRET, strlen(FUZZ_APP_SECRET), for_room, "1", start, cred));
    uint8_t how = u8(i) % 5;
    if (how == 1) cred[u8(i) % (SKY_SHA1_B64_LEN - 1)] ^= 1;
    if (how == 4)
      return (size_t)snprintf(out, cap, "{\"type\":\"hello\",\"v\":1,\"appKey\":\"cred\",\"ref\":\"%s\"}", ref);
    const char *t = how == 3 ? resume_token(i, token) : "";
    if (strchr(t, '"') || strchr(t, '\\')) t = "x";
    return (size_t)snprintf(out, cap,
                            "{\"type\":\"hello\",\"v\":1,\"appKey\":\"cred\",\"room\":\"%s\",\"credStart\":\"%s\","
                            "\"credDuration\":\"1\",\"credentials\":\"%s\"%s%s%s,\"ref\":\"%s\"}",
                            how == 2 ? (for_room[1] == '1' ? "r2" : "r1") : for_room, start, cred,
                            t[0] ? ",\"resume\":\"" : "", t, t[0] ? "\"" : "", ref);
  }
  case 0: return (size_t)snprintf(out, cap, "{\"type\":\"hello\",\"v\":1,\"appKey\":\"%s\",\"ref\":\"%s\"}",
                                  u8(i) & 1 ? "key" : "bound", ref);
  case 12: { /* a resume; the token's characters need no JSON escaping except these */
    const char *t = resume_token(i, token);
    if (strchr(t, '"') || strchr(t, '\\')) t = "x";
    return (size_t)snprintf(out, cap, "{\"type\":\"hello\",\"v\":1,\"appKey\":\"%s\",\"resume\":\"%s\"%s,\"ref\":\"%s\"}",
                            u8(i) & 1 ? "key" : "bound", t, u8(i) & 1 ? ",\"userData\":{\"r\":1}" : "", ref);
  }
  case 1: return (size_t)snprintf(out, cap, "{\"type\":\"join\",\"room\":\"%s\",\"userData\":{\"n\":%u},\"ref\":\"%s\"}",
                                  room, u8(i), ref);
  case 2: return (size_t)snprintf(out, cap, "{\"type\":\"leave\",\"ref\":\"%s\"}", ref);
  case 3: return (size_t)snprintf(out, cap, "{\"type\":\"update\",\"userData\":[%u],\"ref\":\"%s\"}", u8(i), ref);
  case 4: return (size_t)snprintf(out, cap, "{\"type\":\"lock\",\"locked\":%s,\"ref\":\"%s\"}", u8(i) & 1 ? "true" : "false", ref);
  case 5: return (size_t)snprintf(out, cap, "{\"type\":\"ping\",\"ref\":\"%s\"}", ref);
  case 6: return (size_t)snprintf(out, cap, "{\"type\":\"offer\",\"to\":\"%s\",\"from\":\"%s\",\"sdp\":\"v=0\"}", target,
                                  "ffffffffffffffffffffffffffffffff");
  case 7: return (size_t)snprintf(out, cap, "{\"type\":\"answer\",\"to\":\"%s\",\"sdp\":\"v=0\"}", target);
  case 8: return (size_t)snprintf(out, cap,
                                  "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"c\",\"sdpMid\":\"0\",\"sdpMLineIndex\":%d}",
                                  target, (int)u8(i) - 1);
  case 9: return (size_t)snprintf(out, cap, "{\"type\":\"message\",\"to\":\"%s\",\"content\":{\"x\":%u}}", target, u8(i));
  case 10: return (size_t)snprintf(out, cap, "{\"type\":\"message\",\"content\":\"%.*s\"}", (int)(u8(i) * 8),
                                   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  default: return (size_t)snprintf(out, cap, "{\"type\":\"peer_joined\",\"peerId\":\"%s\",\"userData\":{}}", target);
  }
}

static void receive(struct lws *w, const char *data, size_t len, bool first, bool final, bool binary,
                    size_t remaining) {
  if (!w->live) return;
  w->first = first;
  w->final = final;
  w->binary = binary;
  w->remaining = remaining;
  /* lws hands the callback a buffer it owns: an exact-size copy lets ASan see
   * any read past it. */
  char *copy = malloc(len ? len : 1);
  CHECK(copy);
  memcpy(copy, data, len);
  int rc = call(w, LWS_CALLBACK_RECEIVE, copy, len);
  free(copy);
  if (rc != 0) close_slot(w);
}

static void writable(struct lws *w) {
  if (!w->live || !w->want_write) return;
  w->want_write = false;
  if (call(w, LWS_CALLBACK_SERVER_WRITEABLE, NULL, 0) != 0) close_slot(w);
}

static void check_books(void) {
  uint32_t live = 0;
  for (int k = 0; k < SLOTS; k++) live += W[k].live;
  CHECK(S.conn_count == live);
  uint32_t rooms = 0;
  for (sky_room *r = S.rooms; r; r = r->hh.next) {
    rooms++;
    CHECK(r->member_count >= 1);
    CHECK(r->member_count <= CFG.limits.max_peers_per_room);
    CHECK(r->member_count == HASH_CNT(room_hh, r->members));
    for (sky_conn *m = r->members; m; m = m->room_hh.next) CHECK(m->room == r);
  }
  CHECK(rooms == S.room_count);
  CHECK(rooms <= CFG.max_rooms);
  for (sky_conn *c = S.conns; c; c = c->next) {
    CHECK(c->q_bytes <= CFG.max_queue_bytes);
    CHECK(c->q_frames <= CFG.max_queue_frames);
    if (c->room) CHECK(sky_room_member(c->room, c->peer_id) == c);
    if (c->room && c->bound_room) CHECK(strcmp(c->room->name, c->bound_room) == 0);
  }
}

/* The config's secret files, in a folder of their own: written before the
 * config is parsed (which reads them) and removed right after. */
static char FILE_DIR[] = "/tmp/skymesh-fuzz-dispatch-XXXXXX";
static char FILE_PATHS[2][sizeof(FILE_DIR) + 32];

static const char *fuzz_file(int k, const char *name, const char *text) {
  if (k == 0) CHECK(mkdtemp(FILE_DIR));
  snprintf(FILE_PATHS[k], sizeof(FILE_PATHS[k]), "%s/%s", FILE_DIR, name);
  FILE *f = fopen(FILE_PATHS[k], "w");
  CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
  return FILE_PATHS[k];
}

static void remove_files(void) {
  for (int k = 0; k < 2; k++) unlink(FILE_PATHS[k]);
  rmdir(FILE_DIR);
}

static void setup_config(void) {
  if (CFG_READY) return;
  char app_secret[512];
  snprintf(app_secret, sizeof(app_secret), "cred=%s", fuzz_file(0, "app.secret", FUZZ_APP_SECRET "\n"));
  char *argv[] = {"fuzz", "--max-peers", "3", "--max-rooms", "4", "--max-connections", "6", "--rate", "20",
                  "--burst", "10", "--ping-interval", "1000", "--hello-timeout", "2", "--app-key", "key",
                  "--app-key", "bound=http://a.example", "--max-frame", "4096", "--max-user-data", "512",
                  "--max-content", "1024", "--app-key", "cred", "--app-secret-file", app_secret,
                  "--turn-uri", "stun:127.0.0.1", "--turn-uri", "turn:127.0.0.1:3478?transport=udp",
                  "--turn-secret-file", (char *)fuzz_file(1, "turn.secret", FUZZ_TURN_SECRET), "--turn-ttl", "60", NULL};
  sky_config_init(&CFG);
  CHECK(sky_config_parse(&CFG, (int)(sizeof argv / sizeof argv[0]) - 1, argv) == SKY_CONFIG_OK);
  remove_files();
  CFG.max_queue_bytes = 6000; /* small, so slow readers get dropped */
  CFG.max_queue_frames = 24;
  CFG_READY = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup_config();
  memset(&S, 0, sizeof S);
  memset(W, 0, sizeof W);
  S.cfg = &CFG;
  NOW_MS = 1000000;
  KNOWN_COUNT = 0;
  WELCOMED_COUNT = 0;
  TOKEN_COUNT = 0;
  in i = {data, size};
  char buf[4096 + 64];
  for (int step = 0; step < MAX_OPS && i.n; step++) {
    uint8_t op = u8(&i);
    struct lws *w = &W[u8(&i) % SLOTS];
    switch (op % 13) {
    case 0: open_slot(w - W, &i); break;
    case 1:
    case 2: { /* a whole synthesized message */
      size_t n = synth(&i, buf, sizeof buf);
      if (n >= sizeof buf) n = sizeof buf - 1;
      receive(w, buf, n, true, true, false, 0);
      break;
    }
    case 3: { /* raw bytes as one fragment, flags and "remaining" from the input */
      uint8_t flags = u8(&i);
      size_t n = u8(&i);
      if (flags & 0x80) n *= 32;
      if (n > i.n) n = i.n;
      static const size_t rems[] = {0, 1, 100, 4000, 4096, 5000, 1u << 20, SIZE_MAX / 2};
      receive(w, (const char *)i.p, n, flags & 1, flags & 2, flags & 4, rems[(flags >> 3) % 8]);
      i.p += n;
      i.n -= n;
      break;
    }
    case 4:
    case 5: writable(w); break;
    case 6:
      if (w->live && w->timer_us) {
        NOW_MS += (uint64_t)(w->timer_us / 1000);
        w->timer_us = 0;
        call(w, LWS_CALLBACK_TIMER, NULL, 0);
      }
      break;
    case 7: NOW_MS += (uint64_t)u8(&i) * (u8(&i) & 1 ? 100 : 1); break;
    case 8:
      if (w->live) call(w, LWS_CALLBACK_RECEIVE_PONG, (void *)"skymesh", 7);
      break;
    case 9: close_slot(w); break; /* the client vanished */
    case 10: /* a pending lws timeout fires */
      if (w->live && w->timeout_s) {
        NOW_MS += (uint64_t)w->timeout_s * 1000;
        close_slot(w);
      }
      break;
    case 11: /* the loop turn ends: read-ahead, then every socket that asked to write does */
      sky_read_ahead_run(&S);
      for (int k = 0; k < SLOTS; k++) writable(&W[k]);
      break;
    case 12: /* the server's tick: hello deadlines and keepalives now due */
      sky_conn_run_deadlines(&S);
      break;
    }
    learn_ids();
    check_books();
  }
  for (int k = 0; k < SLOTS; k++) close_slot(&W[k]);
  check_books();
  CHECK(S.rooms == NULL && S.room_count == 0);
  CHECK(S.conns == NULL && S.peers == NULL);
  return 0;
}
