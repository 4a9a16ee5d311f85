/* Fuzzes the client core (src/core/client.h): the room state machine and the
 * per-peer state machines, driven by an arbitrary sequence of events from a
 * malicious server, a malicious peer and a confused WebRTC stack, in any order:
 * an answer before an offer, a candidate for an unknown peer, a leave before a
 * join, a joined that was never asked for, callbacks for handles that were
 * never created or are already closed, lying data-channel chunks ...
 *
 * The input is a program: one opcode byte, then that event's arguments taken
 * from the following bytes. Server messages are built as typed sky_msg values
 * and encoded with the real codec (so they pass the decoder and reach deep
 * states), or taken raw from the input.
 *
 * Beyond "no crash, no leak, no undefined behaviour", the fake environment
 * checks the core's side of the contract in client.h:
 *   - socket_send only while the socket is open, and every frame it sends is a
 *     valid client->server message (the real decoder accepts it);
 *   - every pc handle an op names was created by pc_create and not yet closed;
 *     pc_close once per handle;
 *   - every data-channel frame fits SKY_DC_FRAME_MAX and decodes at the other
 *     end (a per-handle reassembler never reports an error);
 *   - every event is a name and a JSON array;
 *   - media: streams are attached to and detached from live connections only,
 *     a local handle is stopped at most once per publish and never used after;
 *   - the query functions return valid JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client.h"
#include "dc_frame.h"
#include "protocol.h"
/* Internal, read-only: the limits the client really holds (see deliver()). */
#include "client_internal.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define MAX_PC 512
#define MAX_OPS 400

/* ---- the fake environment ------------------------------------------------ */

typedef struct env {
  bool socket_pending; /* socket_open called, not closed since */
  bool socket_open;    /* on_socket_open delivered while pending */
  int pc_created[MAX_PC + 1]; /* 0 none, 1 live, 2 closed */
  sky_dc_reasm far_end[MAX_PC + 1];
  size_t buffered;
  uint32_t timer_ms;
  uint64_t now_ms;     /* fake clock, advanced by the program */
  bool no_ice_restart; /* the stack cannot restart ICE */
  size_t sent_frames;
  size_t events;
  /* Re-entry: listeners call back into the client (client.h allows it). */
  sky_client *client;
  uint8_t reenter; /* the API call the next listeners make; 0 = none */
  int reentered;
  uint8_t stream_live[256]; /* local stream handles published and not yet stopped */
} env;

static env E;

static bool pc_live(int pc) { return pc > 0 && pc <= MAX_PC && E.pc_created[pc] == 1; }

static int op_socket_open(void *user, const char *url) {
  (void)user;
  CHECK(url && *url);
  E.socket_pending = true;
  E.socket_open = false;
  return 0;
}

static int op_socket_send(void *user, const char *text, size_t len) {
  (void)user;
  CHECK(E.socket_open);
  CHECK(text && strlen(text) == len);
  sky_limits big = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  sky_msg m;
  sky_decode_error err;
  if (!sky_msg_decode(text, len, &big, &m, &err)) {
    fprintf(stderr, "client sent an invalid frame (%s: %s): %.300s\n", sky_error_code_name(err.code), err.detail, text);
    abort();
  }
  CHECK(m.type >= SKY_MSG_HELLO && m.type <= SKY_MSG_MESSAGE);
  sky_msg_clear(&m);
  E.sent_frames++;
  return 0;
}

static void op_socket_close(void *user) {
  (void)user;
  E.socket_pending = false;
  E.socket_open = false;
}

static int op_pc_create(void *user, int pc, const char *config_json) {
  (void)user;
  CHECK(pc > 0);
  CHECK(config_json);
  cJSON *cfg = cJSON_Parse(config_json);
  CHECK(cJSON_IsObject(cfg));
  cJSON_Delete(cfg);
  if (pc > MAX_PC) return -1; /* the environment may refuse: the core must cope */
  CHECK(E.pc_created[pc] == 0); /* handles are never reused */
  E.pc_created[pc] = 1;
  return 0;
}

static void op_pc_close(void *user, int pc) {
  (void)user;
  CHECK(pc_live(pc));
  E.pc_created[pc] = 2;
  sky_dc_reasm_clear(&E.far_end[pc]);
}

static void op_pc_create_offer(void *user, int pc) { (void)user; CHECK(pc_live(pc)); }
static void op_pc_create_answer(void *user, int pc) { (void)user; CHECK(pc_live(pc)); }

static void op_pc_set_remote(void *user, int pc, sky_sdp_type type, const char *sdp, bool rollback_first) {
  (void)user;
  CHECK(pc_live(pc));
  CHECK(type == SKY_SDP_OFFER || type == SKY_SDP_ANSWER);
  CHECK(!rollback_first || type == SKY_SDP_OFFER);
  CHECK(sdp);
}

static void op_pc_add_candidate(void *user, int pc, const char *candidate, const char *sdp_mid, int mline) {
  (void)user;
  (void)mline;
  CHECK(pc_live(pc));
  CHECK(candidate && strlen(candidate) <= SKY_CANDIDATE_MAX);
  CHECK(!sdp_mid || strlen(sdp_mid) <= SKY_SDP_MID_MAX);
}

static int op_dc_send(void *user, int pc, const char *data, size_t len) {
  (void)user;
  CHECK(pc_live(pc));
  CHECK(data && len <= SKY_DC_FRAME_MAX);
  sky_dc_chat chat;
  sky_dc_result r = sky_dc_receive(&E.far_end[pc], data, len, &chat);
  if (r == SKY_DC_ERROR) {
    fprintf(stderr, "client sent a data-channel frame its peer cannot decode: %.300s\n", data);
    abort();
  }
  if (r == SKY_DC_CHAT) sky_dc_chat_clear(&chat);
  return 0;
}

static size_t op_dc_buffered(void *user, int pc) {
  (void)user;
  CHECK(pc_live(pc));
  return E.buffered;
}

static void op_set_timer(void *user, uint32_t ms) {
  (void)user;
  E.timer_ms = ms;
}

static uint64_t op_now_ms(void *user) {
  (void)user;
  return E.now_ms;
}

static int op_pc_restart_ice(void *user, int pc) {
  (void)user;
  CHECK(pc_live(pc));
  return E.no_ice_restart ? -1 : 0;
}

static void op_emit(void *user, const char *name, const char *args_json) {
  (void)user;
  CHECK(name && *name);
  CHECK(args_json);
  cJSON *args = cJSON_Parse(args_json);
  if (!cJSON_IsArray(args)) {
    fprintf(stderr, "event %s with invalid arguments: %.300s\n", name, args_json);
    abort();
  }
  /* A binary chat: its bytes are there to take (every other time: the rest
   * are freed when the call returns), exactly as many as announced, once. */
  const cJSON *msg = cJSON_GetArrayItem(args, 0);
  if (strcmp(name, "incomingMessage") == 0 && cJSON_IsTrue(cJSON_GetObjectItem(msg, "isBinary")) && E.client) {
    const cJSON *content = cJSON_GetObjectItem(msg, "content");
    const cJSON *id = cJSON_GetObjectItem(content, "$binary"), *size = cJSON_GetObjectItem(content, "size");
    CHECK(cJSON_IsNumber(id) && cJSON_IsNumber(size) && size->valuedouble <= SKY_DC_MESSAGE_MAX);
    if (E.events & 1) {
      size_t len = 0;
      char *bytes = sky_client_take_binary(E.client, (uint32_t)id->valuedouble, &len);
      CHECK(bytes && len == (size_t)size->valuedouble);
      CHECK(!sky_client_take_binary(E.client, (uint32_t)id->valuedouble, &len));
      free(bytes);
    }
  }
  cJSON_Delete(args);
  E.events++;
  if (getenv("FUZZ_CLIENT_TRACE")) fprintf(stderr, "event %s %.120s\n", name, args_json);
  /* A listener calling back in, as the API layer's users do (bounded). */
  if (E.reenter && E.client && E.reentered < 64) {
    E.reentered++;
    sky_client *c = E.client;
    switch (E.reenter % 9) {
    case 1: sky_client_leave(c); break;
    case 2: sky_client_join(c, "other"); break;
    case 3: sky_client_send_p2p(c, "\"re\"", NULL); break;
    case 4: sky_client_send_server(c, "{\"re\":1}", NULL); break;
    case 5: sky_client_set_user_data(c, "{\"name\":\"re\"}"); break;
    case 6: sky_client_lock(c, true); break;
    case 7: sky_client_close(c); break;
    case 8: free(sky_client_peers(c)); break;
    default: sky_client_init(c, "ws://127.0.0.1/signaling", "key", NULL); break;
    }
  }
}

/* Media: only live connections; only streams published and not stopped. */
static void op_pc_add_stream(void *user, int pc, int stream) {
  (void)user;
  CHECK(pc_live(pc));
  CHECK(stream > 0 && stream < 256 && E.stream_live[stream]);
}
static void op_pc_remove_stream(void *user, int pc, int stream) {
  (void)user;
  CHECK(pc_live(pc));
  CHECK(stream > 0 && stream < 256 && E.stream_live[stream]);
}
static void op_stream_enable(void *user, int stream, bool audio, bool video) {
  (void)user;
  (void)audio;
  (void)video;
  CHECK(stream > 0 && stream < 256 && E.stream_live[stream]);
}
static void op_stream_stop(void *user, int stream) {
  (void)user;
  CHECK(stream > 0 && stream < 256 && E.stream_live[stream]);
  E.stream_live[stream] = 0;
}

/* Binary frames are parts of long messages and binary chats: the far end must
 * reassemble them. */
static int op_dc_send_binary(void *user, int pc, const char *data, size_t len) {
  (void)user;
  CHECK(pc_live(pc));
  CHECK(data && len <= SKY_DC_FRAME_MAX);
  sky_dc_chat chat;
  sky_dc_result r = sky_dc_receive_binary(&E.far_end[pc], (const unsigned char *)data, len, &chat);
  CHECK(r != SKY_DC_ERROR);
  if (r == SKY_DC_BINARY) CHECK(chat.content && chat.len <= SKY_DC_MESSAGE_MAX);
  if (r == SKY_DC_CHAT || r == SKY_DC_BINARY) sky_dc_chat_clear(&chat);
  return 0;
}

static const sky_client_ops OPS = {
    .socket_open = op_socket_open,       .socket_send = op_socket_send,
    .socket_close = op_socket_close,     .pc_create = op_pc_create,
    .pc_close = op_pc_close,             .pc_create_offer = op_pc_create_offer,
    .pc_create_answer = op_pc_create_answer, .pc_set_remote = op_pc_set_remote,
    .pc_add_candidate = op_pc_add_candidate, .dc_send = op_dc_send,
    .dc_send_binary = op_dc_send_binary, .dc_buffered = op_dc_buffered,
    .set_timer = op_set_timer,           .emit = op_emit,
    .now_ms = op_now_ms,                 .pc_restart_ice = op_pc_restart_ice,
    .pc_add_stream = op_pc_add_stream,   .pc_remove_stream = op_pc_remove_stream,
    .stream_enable = op_stream_enable,   .stream_stop = op_stream_stop,
};

/* ---- reading the program ------------------------------------------------- */

static uint16_t u16(in *i) { return (uint16_t)(u8(i) | (u8(i) << 8)); }

/* A byte string: length byte (x4 when the high bit is set), then the bytes,
 * copied NUL-terminated (NULs inside are kept: callers pass len). */
static char *bytes(in *i, size_t *len) {
  size_t want = u8(i);
  if (want & 0x80) want = (want & 0x7f) * 64;
  if (want > i->n) want = i->n;
  char *s = malloc(want + 1);
  CHECK(s);
  memcpy(s, i->p, want);
  s[want] = '\0';
  i->p += want;
  i->n -= want;
  if (len) *len = want;
  return s;
}

static const char *const IDS[] = {
    "00000000000000000000000000000001", "ffffffffffffffffffffffffffffffff",
    "7777777777777777777777777777777a", "8888888888888888888888888888888b",
    "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210",
};
#define NIDS (sizeof IDS / sizeof IDS[0])

static const char *id(in *i) { return IDS[u8(i) % NIDS]; }

static const char *const ROOMS[] = {"room", "other", "a b", "x:y@z", "", " bad", "\xc3\xa9"};
static const char *const JSONS[] = {"{}", "{\"name\":\"x\"}", "\"text\"", "[1,2,3]", "null", "{",
                                    "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}", "1e999", "\"\\u0000\"", ""};
static const char *const STATES[] = {"new", "connecting", "connected", "disconnected", "failed", "closed",
                                     "open", "closing", "error", "stable", "completed", "checking", ""};

static const char *pick_json(in *i, char **owned) {
  uint8_t k = u8(i);
  if (k < 200) return JSONS[k % (sizeof JSONS / sizeof JSONS[0])];
  *owned = bytes(i, NULL);
  return *owned;
}

/* A pc handle: mostly ones the core created, sometimes 0, unknown or closed. */
static int pick_pc(in *i) {
  uint8_t k = u8(i);
  int highest = 0;
  for (int pc = MAX_PC; pc > 0; pc--) {
    if (E.pc_created[pc]) { highest = pc; break; }
  }
  if (k < 16) return (int)k - 2;    /* -2 .. 13: zero, negative, maybe unknown */
  return highest ? 1 + (k % highest) : 1;
}

/* ---- server messages ----------------------------------------------------- */

/* The limits the client holds (from the welcome it accepted, whichever way it
 * came), and whether a real skymesh-server could have announced them
 * (maxUserData and maxContent below maxFrame). */
static bool limits_sane(const sky_client *c) {
  const sky_limits *l = &c->limits;
  return l->max_user_data_bytes >= 16 && l->max_user_data_bytes < l->max_frame_bytes &&
         l->max_content_bytes < l->max_frame_bytes && l->max_peers_per_room >= 8;
}

/* userData of exactly the client's maxUserData (capped at 16000) bytes. */
static char BIG_UD[16001];
static const char *big_ud(const sky_client *c) {
  size_t n = c->limits.max_user_data_bytes < 16000 ? c->limits.max_user_data_bytes : 16000;
  if (n < 8) n = 8;
  memset(BIG_UD, 'u', n);
  memcpy(BIG_UD, "{\"s\":\"", 6);
  memcpy(BIG_UD + n - 2, "\"}", 2);
  BIG_UD[n] = '\0';
  return BIG_UD;
}

static void deliver(sky_client *c, const sky_msg *m) {
  char *text = sky_msg_encode(m);
  if (!text) return; /* not a valid message: the server could not send it */
  sky_room_state before = sky_client_room_state(c);
  bool sane = limits_sane(c);
  uint32_t max_peers = c->limits.max_peers_per_room;
  size_t text_len = strlen(text);
  sky_client_on_socket_text(c, text, text_len);
  sky_room_state after = sky_client_room_state(c);
  free(text);
  /* Liveness: a joined the server could send (for our own id, at most
   * maxPeers - 1 peers of at most maxUserData each) must take a joining
   * client into the room, whatever its size. maxFrame bounds only what
   * clients send (docs/protocol.md); regression test:
   * tests/unit/test_regress_client_large_joined.c. */
  if (m->type == SKY_MSG_JOINED && before == SKY_ROOM_JOINING && !E.reenter && sane &&
      strcmp(m->u.joined.peer_id, sky_client_peer_id(c)) == 0 && m->u.joined.peer_count < max_peers) {
    if (after != SKY_ROOM_IN_ROOM && after != SKY_ROOM_LEAVING) {
      fprintf(stderr, "a valid joined of %zu peers (%zu bytes) left the client %s\n", m->u.joined.peer_count,
              text_len, sky_client_room_state_name(after));
      abort();
    }
  }
}

static void server_message(sky_client *c, in *i) {
  sky_msg m;
  memset(&m, 0, sizeof m);
  sky_peer_entry peers[21];
  char ud[21][32];
  const char *self = sky_client_peer_id(c);
  uint8_t kind = u8(i) % 16;
  uint8_t ref = u8(i);
  if (ref & 1) snprintf(m.ref, sizeof m.ref, "j%u", u8(i) % 4);
  else if (ref & 2) snprintf(m.ref, sizeof m.ref, "resume");
  switch (kind) {
  case 0:
    m.type = SKY_MSG_WELCOME;
    m.u.welcome.version = SKY_PROTOCOL_VERSION;
    snprintf(m.u.welcome.peer_id, sizeof m.u.welcome.peer_id, "%s", id(i));
    sky_limits_default(&m.u.welcome.limits);
    uint8_t variant = u8(i);
    if ((variant & 3) == 2) m.u.welcome.limits.max_user_data_bytes = 16000; /* a generous server */
    if (variant & 1) { /* a hostile server's limits */
      m.u.welcome.limits.max_frame_bytes = 1u + u16(i);
      m.u.welcome.limits.max_user_data_bytes = u16(i);
      m.u.welcome.limits.max_content_bytes = u16(i);
      m.u.welcome.limits.ping_interval_ms = (uint32_t)u16(i) * (u8(i) + 1u);
    }
    m.u.welcome.resumed = variant & 4; /* a resume, of our id or of another */
    break;
  case 1: {
    m.type = SKY_MSG_JOINED;
    snprintf(m.u.joined.room, sizeof m.u.joined.room, "%s", ROOMS[u8(i) % 2]);
    snprintf(m.u.joined.peer_id, sizeof m.u.joined.peer_id, "%s", u8(i) & 1 ? id(i) : self);
    m.u.joined.locked = u8(i) & 1;
    size_t n = u8(i) % 21; /* ids repeat past 6: the client must cope */
    bool big = (u8(i) & 7) == 7; /* userData as large as the welcome allows (rare: slow) */
    for (size_t k = 0; k < n; k++) {
      /* A crowd (distinct ids beyond the pool) when big, else pool ids. */
      if (big) snprintf(peers[k].peer_id, sizeof peers[k].peer_id, "%032zx", (size_t)0x200 + k);
      else snprintf(peers[k].peer_id, sizeof peers[k].peer_id, "%s", id(i));
      snprintf(ud[k], sizeof ud[k], "{\"n\":%u}", (unsigned)k);
      peers[k].user_data = big ? (char *)big_ud(c) : ud[k];
    }
    m.u.joined.peers = n ? peers : NULL;
    m.u.joined.peer_count = n;
    break;
  }
  case 2:
    m.type = SKY_MSG_LEFT;
    snprintf(m.u.left.room, sizeof m.u.left.room, "%s", ROOMS[u8(i) % 2]);
    break;
  case 3:
  case 4:
    m.type = kind == 3 ? SKY_MSG_PEER_JOINED : SKY_MSG_PEER_UPDATED;
    snprintf(m.u.peer.peer_id, sizeof m.u.peer.peer_id, "%s", u8(i) & 7 ? id(i) : self);
    m.u.peer.user_data = (char *)(u8(i) & 1 ? "{\"name\":\"p\"}" : "{}");
    break;
  case 5:
    m.type = SKY_MSG_PEER_LEFT;
    snprintf(m.u.peer_left.peer_id, sizeof m.u.peer_left.peer_id, "%s", id(i));
    m.u.peer_left.reason = (sky_leave_reason)(u8(i) % SKY_LEAVE_REASON_COUNT);
    break;
  case 6:
  case 7:
    m.type = kind == 6 ? SKY_MSG_OFFER : SKY_MSG_ANSWER;
    snprintf(m.u.sdp.from, sizeof m.u.sdp.from, "%s", id(i));
    snprintf(m.u.sdp.to, sizeof m.u.sdp.to, "%s", self[0] ? self : IDS[0]);
    /* no fingerprint; one connection's and ICE session's (a renegotiation
     * when repeated); the same connection with a new ufrag (an ICE restart) */
    static const char *const SDPS[] = {"x", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n",
                                       "v=0\r\na=ice-ufrag:u1\r\na=fingerprint:sha-256 AA\r\n",
                                       "v=0\r\na=ice-ufrag:u2\r\na=fingerprint:sha-256 AA\r\n"};
    m.u.sdp.sdp = (char *)SDPS[u8(i) % 4];
    break;
  case 8:
    m.type = SKY_MSG_CANDIDATE;
    snprintf(m.u.candidate.from, sizeof m.u.candidate.from, "%s", id(i));
    snprintf(m.u.candidate.to, sizeof m.u.candidate.to, "%s", self[0] ? self : IDS[0]);
    m.u.candidate.candidate = (char *)(u8(i) & 1 ? "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host" : "");
    snprintf(m.u.candidate.sdp_mid, sizeof m.u.candidate.sdp_mid, "%u", u8(i) % 3);
    m.u.candidate.sdp_mline_index = (int32_t)(u8(i) % 4) - 1;
    break;
  case 9:
    m.type = SKY_MSG_MESSAGE;
    snprintf(m.u.message.from, sizeof m.u.message.from, "%s", u8(i) & 7 ? id(i) : self);
    if (u8(i) & 1) snprintf(m.u.message.to, sizeof m.u.message.to, "%s", self[0] ? self : IDS[0]);
    m.u.message.content = (char *)JSONS[u8(i) % 5];
    break;
  case 10:
    m.type = SKY_MSG_ROOM_LOCK;
    m.u.room_lock.locked = u8(i) & 1;
    snprintf(m.u.room_lock.peer_id, sizeof m.u.room_lock.peer_id, "%s", u8(i) & 1 ? id(i) : self);
    break;
  case 11:
    m.type = SKY_MSG_ERROR;
    m.u.error.code = (sky_error_code)(1 + u8(i) % (SKY_ERR_CODE_COUNT - 1));
    m.u.error.fatal = (u8(i) & 3) == 0;
    snprintf(m.u.error.text, sizeof m.u.error.text, "hostile %u", u8(i));
    break;
  case 12:
    m.type = SKY_MSG_BYE;
    m.u.bye.reason = (sky_leave_reason)(u8(i) % SKY_LEAVE_REASON_COUNT);
    break;
  case 13:
    m.type = SKY_MSG_PONG;
    break;
  case 14:
    m.type = SKY_MSG_TOKEN;
    snprintf(m.u.token.token, sizeof m.u.token.token, "t%u", u8(i));
    m.u.token.expires = u16(i);
    break;
  default: /* a client->server type echoed back by a confused server */
    m.type = (sky_msg_type)(SKY_MSG_HELLO + u8(i) % 6);
    if (m.type == SKY_MSG_HELLO) { m.u.hello.version = 1; snprintf(m.u.hello.app_key, sizeof m.u.hello.app_key, "k"); }
    if (m.type == SKY_MSG_JOIN) snprintf(m.u.join.room, sizeof m.u.join.room, "room");
    break;
  }
  deliver(c, &m);
}

static const char *const STREAM_IDS[] = {"s1", "s2", "s3", "s4", "s5", "",
                                         "0123456789012345678901234567890123456789012345678901234567890123456789"};
#define NSTREAM_IDS (sizeof STREAM_IDS / sizeof STREAM_IDS[0])

/* A peer's media frame: streams it may list twice, with odd ids, odd types. */
static void media_frame(sky_client *c, in *i) {
  int pc = pick_pc(i);
  char buf[1024];
  size_t n = (size_t)snprintf(buf, sizeof buf, "{\"t\":\"media\",\"streams\":[");
  uint8_t count = u8(i) % 7;
  for (uint8_t k = 0; k < count; k++) {
    uint8_t f = u8(i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"id\":%s%s%s,\"audio\":%s,\"video\":%s,\"screen\":%s}",
                          k ? "," : "", f & 0x80 ? "" : "\"", f & 0x80 ? "7" : STREAM_IDS[u8(i) % NSTREAM_IDS],
                          f & 0x80 ? "" : "\"", f & 1 ? "true" : "1", f & 2 ? "true" : "false", f & 4 ? "true" : "null");
  }
  uint8_t m = u8(i);
  snprintf(buf + n, sizeof buf - n, "]%s", m & 8 ? "" : (m & 1 ? ",\"audioMuted\":true,\"videoMuted\":true}" : "}"));
  sky_client_on_channel_message(c, pc, buf, strlen(buf), true);
}

/* A data-channel frame a malicious peer would send: a chat, or a part that
 * may lie about its id, index, count and total length. */
static void peer_frame(sky_client *c, in *i) {
  int pc = pick_pc(i);
  char buf[SKY_DC_FRAME_MAX + 256];
  uint8_t kind = u8(i) % 4;
  if (kind == 3) { /* a binary chat frame, perhaps lying about seq, total, offset */
    static const uint32_t lies[] = {0, 1, 2, 3, 16370, 16371, 262144, 262145, 4294967295u};
    unsigned char *frame = malloc(SKY_DC_FRAME_MAX + 16);
    CHECK(frame);
    size_t dlen = (size_t)u16(i) % (SKY_DC_BIN_SLICE_MAX + 16);
    frame[0] = SKY_DC_BIN_CHAT;
    for (int f = 0; f < 3; f++) {
      uint32_t v = lies[u8(i) % 9];
      for (int k = 0; k < 4; k++) frame[1 + 4 * f + k] = (unsigned char)(v >> (8 * k));
    }
    frame[13] = u8(i);
    memset(frame + SKY_DC_BIN_HEADER, u8(i), dlen);
    sky_client_on_channel_message(c, pc, (const char *)frame, SKY_DC_BIN_HEADER + dlen, false);
    free(frame);
    return;
  }
  if (kind == 0) {
    snprintf(buf, sizeof buf, "{\"t\":\"chat\",\"content\":%s,\"private\":%s}", JSONS[u8(i) % 5],
             u8(i) & 1 ? "true" : "false");
  } else if (kind == 1) {
    size_t dlen = (size_t)u16(i) % (SKY_DC_SLICE_MAX + 16);
    char *d = malloc(dlen + 1);
    CHECK(d);
    memset(d, 'a' + (u8(i) % 26), dlen);
    d[dlen] = '\0';
    static const double lies[] = {0, 1, 2, 3, 8000, 16000, 262144, 262145, 4294967295.0, -1, 0.5, 1e300};
    snprintf(buf, sizeof buf, "{\"t\":\"part\",\"id\":%.17g,\"i\":%.17g,\"n\":%.17g,\"len\":%.17g,\"d\":\"%s\"}",
             lies[u8(i) % 12], lies[u8(i) % 12], lies[u8(i) % 12], lies[u8(i) % 12], d);
    free(d);
  } else {
    snprintf(buf, sizeof buf, "{\"t\":\"%s\"}", u8(i) & 1 ? "bulk" : "part");
  }
  sky_client_on_channel_message(c, pc, buf, strlen(buf), true);
}

static void check_json(char *text, bool may_be_null) {
  if (!text) {
    CHECK(may_be_null);
    return;
  }
  cJSON *j = cJSON_Parse(text);
  CHECK(j != NULL);
  cJSON_Delete(j);
  free(text);
}

static void check_state(const sky_client *c) {
  sky_room_state s = sky_client_room_state(c);
  CHECK(s >= SKY_ROOM_IDLE && s <= SKY_ROOM_ERROR);
  CHECK(strcmp(sky_client_room_state_name(s), "?") != 0);
  const char *self = sky_client_peer_id(c);
  CHECK(self[0] == '\0' || sky_peer_id_valid(self, strlen(self)));
  const char *room = sky_client_room(c);
  CHECK(room[0] == '\0' || sky_room_name_valid(room, strlen(room)));
  for (size_t k = 0; k < NIDS; k++) {
    sky_peer_state ps = sky_client_peer_state(c, IDS[k]);
    CHECK(ps >= SKY_PEER_NEW && ps <= SKY_PEER_CLOSED);
    int pc = sky_client_peer_handle(c, IDS[k]);
    CHECK(pc == 0 || pc_live(pc) || pc > MAX_PC);
  }
  CHECK(sky_client_peer_count(c) <= NIDS + 21); /* the pool, plus a joined crowd */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  memset(&E, 0, sizeof E);
  in i = {data, size};
  sky_client *c = sky_client_new(&OPS, NULL);
  CHECK(c);
  E.client = c;
  for (int step = 0; step < MAX_OPS && i.n; step++) {
    uint8_t op = u8(&i) % 32;
    char *owned = NULL;
    size_t len = 0;
    switch (op) {
    case 0: {
      static const char *const keys[] = {"key", "", "k\"ey", "\xff"};
      const char *ice = u8(&i) & 1 ? "[{\"urls\":\"stun:127.0.0.1\"}]" : NULL;
      int rc = sky_client_init(c, "ws://127.0.0.1/signaling", keys[u8(&i) % 4], ice);
      CHECK(rc == SKY_OK || rc == SKY_E_STATE || rc == SKY_E_ARG);
      break;
    }
    case 1:
      if (E.socket_pending) E.socket_open = true;
      sky_client_on_socket_open(c);
      break;
    case 2:
      E.socket_open = false;
      E.socket_pending = false;
      sky_client_on_socket_close(c, 1000 + u8(&i), "gone");
      break;
    case 3: sky_client_on_socket_error(c); break;
    case 4: server_message(c, &i); break;
    case 5:
      owned = bytes(&i, &len);
      sky_client_on_socket_text(c, owned, len);
      break;
    case 6: {
      int pc = pick_pc(&i);
      sky_sdp_type t = u8(&i) & 1 ? SKY_SDP_ANSWER : SKY_SDP_OFFER;
      owned = bytes(&i, &len);
      sky_client_on_local_description(c, pc, t, owned, len);
      break;
    }
    case 7: {
      int pc = pick_pc(&i);
      sky_client_on_remote_description_set(c, pc, u8(&i) & 1);
      break;
    }
    case 8: {
      int pc = pick_pc(&i);
      owned = bytes(&i, &len);
      uint8_t k = u8(&i);
      sky_client_on_ice_candidate(c, pc, k & 1 ? NULL : owned, len, k & 2 ? NULL : "0", (int)(k >> 2) - 2);
      break;
    }
    case 9: {
      int pc = pick_pc(&i);
      sky_pc_state_kind kind = (sky_pc_state_kind)(u8(&i) % 4);
      sky_client_on_pc_state(c, pc, kind, STATES[u8(&i) % (sizeof STATES / sizeof STATES[0])]);
      break;
    }
    case 10: {
      int pc = pick_pc(&i);
      bool text = u8(&i) & 1;
      owned = bytes(&i, &len);
      sky_client_on_channel_message(c, pc, owned, len, text);
      break;
    }
    case 11: peer_frame(c, &i); break;
    case 12: sky_client_on_channel_drain(c, pick_pc(&i)); break;
    case 13: sky_client_on_timer(c); break;
    case 14: {
      uint8_t k = u8(&i);
      sky_client_join(c, k == 255 ? NULL : ROOMS[k % (sizeof ROOMS / sizeof ROOMS[0])]);
      break;
    }
    case 15: sky_client_leave(c); break;
    case 16: {
      const char *content = pick_json(&i, &owned);
      static const char *const targets[] = {NULL, "[]", "[\"00000000000000000000000000000001\"]",
                                            "[\"ffffffffffffffffffffffffffffffff\",\"7777777777777777777777777777777a\"]",
                                            "[1]", "{", "[\"nobody\"]"};
      sky_client_send_p2p(c, content, targets[u8(&i) % 7]);
      break;
    }
    case 17: {
      const char *content = pick_json(&i, &owned);
      uint8_t k = u8(&i);
      sky_client_send_server(c, content, k & 1 ? NULL : IDS[k % NIDS]);
      break;
    }
    case 18: {
      const char *json = pick_json(&i, &owned);
      sky_client_set_user_data(c, json);
      break;
    }
    case 19: sky_client_lock(c, u8(&i) & 1); break;
    case 20: {
      uint8_t k = u8(&i);
      check_json(sky_client_peer_info(c, k & 1 ? NULL : IDS[k % NIDS]), true);
      check_json(sky_client_peers(c), false);
      break;
    }
    case 21: sky_client_close(c); break;
    case 24: E.reenter = u8(&i); break;
    case 25: /* time passes, and the timer fires if it is due */
      E.now_ms += (uint64_t)u16(&i) * (u8(&i) % 8 + 1);
      if (E.timer_ms) sky_client_on_timer(c);
      break;
    case 26: {
      static const char *const targets[] = {NULL, "[]", "[\"00000000000000000000000000000001\"]", "[1]", "x"};
      int rc = sky_client_refresh(c, targets[u8(&i) % 5], u8(&i) & 1);
      CHECK(rc <= SKY_OK && rc >= SKY_E_OFFLINE);
      break;
    }
    case 27: E.no_ice_restart = u8(&i) & 1; break;
    case 28: { /* publish a local stream (a handle JS would have chosen) */
      uint8_t h = u8(&i);
      const char *sid = STREAM_IDS[u8(&i) % NSTREAM_IDS];
      unsigned flags = u8(&i) & 15;
      if (E.stream_live[h]) break; /* JS numbers every stream it hands over anew */
      if (h) E.stream_live[h] = 1;
      int rc = sky_client_media_publish(c, h, sid, flags);
      CHECK(rc == SKY_OK || rc == SKY_E_ARG);
      if (rc != SKY_OK) E.stream_live[h] = 0;
      break;
    }
    case 29: {
      uint8_t k = u8(&i);
      if ((k & 5) == 5) {
        sky_client_media_stop_on_leave(c, k & 8, k & 16); /* leaveRoom(stopMediaOptions) */
      } else if (k & 1) {
        int rc = sky_client_media_stop(c, k & 2);
        CHECK(rc == SKY_OK || rc == SKY_E_STATE);
      } else {
        CHECK(sky_client_media_mute(c, (int)(k >> 1) % 3 - 1, (int)(k >> 3) % 3 - 1) == SKY_OK);
      }
      check_json(sky_client_media_streams(c), false);
      break;
    }
    case 30: {
      int pc = pick_pc(&i);
      uint8_t k = u8(&i);
      if (k % 3 == 0) sky_client_on_negotiation_needed(c, pc);
      else if (k % 3 == 1) sky_client_on_remote_stream(c, pc, (int)u8(&i) - 2, STREAM_IDS[u8(&i) % NSTREAM_IDS]);
      else sky_client_on_remote_stream_ended(c, pc, (int)u8(&i) - 2);
      break;
    }
    case 31: media_frame(c, &i); break;
    case 22: E.buffered = u8(&i) & 1 ? SKY_DC_HIGH_WATER + 1 : 0; break;
    case 23: {
      /* A big message, chunked on the way out (up to past SKY_DC_MESSAGE_MAX). */
      size_t n = (size_t)u8(&i) * 1200 + 2;
      char *big = malloc(n + 1);
      CHECK(big);
      memset(big, 'b', n);
      big[0] = '"';
      big[n - 1] = '"';
      big[n] = '\0';
      /* or as binary, to everyone or one peer */
      uint8_t how = u8(&i);
      int rc = how % 3 == 0 ? sky_client_send_p2p(c, big, NULL)
               : sky_client_send_p2p_binary(c, big, how & 0x80 ? 0 : n, how % 3 == 1 ? NULL : "[\"00000000000000000000000000000001\"]");
      CHECK(rc == SKY_OK || rc == SKY_E_STATE || rc == SKY_E_TOO_LARGE || rc == SKY_E_QUEUE_FULL ||
            rc == SKY_E_UNKNOWN_PEER);
      free(big);
      break;
    }
    }
    free(owned);
    check_state(c);
  }
  E.client = NULL; /* no re-entry while freeing */
  sky_client_free(c);
  for (int pc = 1; pc <= MAX_PC; pc++) sky_dc_reasm_clear(&E.far_end[pc]);
  return 0;
}
