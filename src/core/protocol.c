/* skymesh signaling protocol: schema tables, one validating decoder, one encoder.
 *
 * Every message type is described once, as a table of fields (wire name, kind,
 * presence, offset into sky_msg). Decode, encode, copy and clear all walk the same
 * tables, so a field is validated, printed, copied and freed from one description
 * and the encoder can never emit what the decoder would refuse.
 *
 * Heap strings are allocated with malloc (cJSON's default hooks print with malloc
 * too) and released with free() by sky_msg_clear(). Nothing here touches cJSON's
 * hooks.
 */
#include "protocol.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

/* joined nests an opaque userData inside document -> peers array -> peer entry, so
 * the frame as a whole may nest this deep; anything deeper is refused before cJSON
 * (which recurses up to 1000 levels) ever sees it. */
#define DOC_DEPTH_MAX (SKY_JSON_DEPTH_MAX + 3)

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

/* ---- names ------------------------------------------------------------------ */

/* Wire names are part of the protocol: never rename one. Index 0 ("none") is
 * never accepted from the wire. */
static const char *const error_names[SKY_ERR_CODE_COUNT] = {
    [SKY_ERR_NONE] = "none",
    [SKY_ERR_BAD_JSON] = "bad_json",
    [SKY_ERR_BAD_MESSAGE] = "bad_message",
    [SKY_ERR_UNKNOWN_TYPE] = "unknown_type",
    [SKY_ERR_UNSUPPORTED_VERSION] = "unsupported_version",
    [SKY_ERR_NOT_AUTHENTICATED] = "not_authenticated",
    [SKY_ERR_ALREADY_AUTHENTICATED] = "already_authenticated",
    [SKY_ERR_BAD_APP_KEY] = "bad_app_key",
    [SKY_ERR_ORIGIN_NOT_ALLOWED] = "origin_not_allowed",
    [SKY_ERR_NOT_IN_ROOM] = "not_in_room",
    [SKY_ERR_ALREADY_IN_ROOM] = "already_in_room",
    [SKY_ERR_BAD_ROOM_NAME] = "bad_room_name",
    [SKY_ERR_ROOM_LOCKED] = "room_locked",
    [SKY_ERR_ROOM_FULL] = "room_full",
    [SKY_ERR_TOO_MANY_ROOMS] = "too_many_rooms",
    [SKY_ERR_USER_DATA_TOO_LARGE] = "user_data_too_large",
    [SKY_ERR_CONTENT_TOO_LARGE] = "content_too_large",
    [SKY_ERR_FRAME_TOO_LARGE] = "frame_too_large",
    [SKY_ERR_RATE_LIMITED] = "rate_limited",
    [SKY_ERR_UNKNOWN_PEER] = "unknown_peer",
    [SKY_ERR_SERVER_FULL] = "server_full",
    [SKY_ERR_INTERNAL] = "internal",
    [SKY_ERR_INVALID_CREDENTIALS] = "invalid_credentials",
    [SKY_ERR_CREDENTIALS_EXPIRED] = "credentials_expired",
    [SKY_ERR_ROOM_NOT_ALLOWED] = "room_not_allowed",
};

static const char *const reason_names[SKY_LEAVE_REASON_COUNT] = {
    [SKY_LEAVE_LEFT] = "left",
    [SKY_LEAVE_DISCONNECTED] = "disconnected",
    [SKY_LEAVE_TIMEOUT] = "timeout",
    [SKY_LEAVE_KICKED] = "kicked",
    [SKY_LEAVE_SHUTDOWN] = "shutdown",
};

/* Index of s in names[first..count), or -1. */
static int name_index(const char *const *names, int first, int count, const char *s) {
  for (int i = first; i < count; i++) {
    if (strcmp(names[i], s) == 0) return i;
  }
  return -1;
}

/* ---- schema tables ---------------------------------------------------------- */

typedef enum field_kind {
  F_UINT,       /* uint32_t in min..max */
  F_MLINE,      /* int32_t in min..max, -1 when absent */
  F_BOOL,       /* bool */
  F_PEER_ID,    /* char[SKY_PEER_ID_LEN + 1] */
  F_ROOM,       /* char[SKY_ROOM_MAX + 1] */
  F_ASCII,      /* char[max + 1], printable ASCII, min..max bytes */
  F_TEXT,       /* char[max + 1], UTF-8, min..max bytes */
  F_HEAP_TEXT,  /* char *, UTF-8, min..max bytes */
  F_SDP,        /* char *, UTF-8, 1..limits->max_frame_bytes */
  F_USER_DATA,  /* char *, compact JSON, null -> "{}", absent -> NULL, <= limits->max_user_data_bytes */
  F_CONTENT,    /* char *, compact JSON, <= limits->max_content_bytes */
  F_ERROR_CODE, /* sky_error_code by wire name */
  F_REASON,     /* sky_leave_reason by wire name */
  F_LIMITS,     /* sky_limits as a nested object */
  F_PEERS,      /* joined.peers + peer_count as an array of {peerId, userData} */
  F_KIND_COUNT
} field_kind;

typedef enum presence {
  REQUIRED,
  OPTIONAL, /* absent or null -> the kind's empty value */
  ADDRESS,  /* optional, but the message needs at least one ADDRESS field */
} presence;

typedef struct field {
  const char *name;
  field_kind kind;
  presence presence;
  size_t offset; /* into sky_msg, sky_limits or sky_peer_entry */
  uint32_t min, max;
} field;

#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
#define FLD(name, kind, pres, member) {name, kind, pres, offsetof(sky_msg, u.member), 0, 0}
#define NUM(name, kind, pres, member, lo, hi) {name, kind, pres, offsetof(sky_msg, u.member), lo, hi}
/* Fixed char arrays take their max from the buffer, so the table cannot overflow it. */
#define STR(name, kind, pres, member, lo) \
  {name, kind, pres, offsetof(sky_msg, u.member), lo, (uint32_t)(MEMBER_SIZE(sky_msg, u.member) - 1)}

static const field hello_fields[] = {
    NUM("v", F_UINT, REQUIRED, hello.version, 0, UINT32_MAX),
    STR("appKey", F_ASCII, REQUIRED, hello.app_key, 1),
    STR("resume", F_ASCII, OPTIONAL, hello.resume, 1),
    FLD("userData", F_USER_DATA, OPTIONAL, hello.user_data),
    STR("room", F_ROOM, OPTIONAL, hello.room, 1),
    STR("credStart", F_ASCII, OPTIONAL, hello.cred_start, 1),
    STR("credDuration", F_ASCII, OPTIONAL, hello.cred_duration, 1),
    STR("credentials", F_ASCII, OPTIONAL, hello.credentials, 1),
};
static const field welcome_fields[] = {
    NUM("v", F_UINT, REQUIRED, welcome.version, 0, UINT32_MAX),
    STR("peerId", F_PEER_ID, REQUIRED, welcome.peer_id, 0),
    FLD("limits", F_LIMITS, REQUIRED, welcome.limits),
    FLD("resumed", F_BOOL, OPTIONAL, welcome.resumed),
    FLD("iceServers", F_CONTENT, OPTIONAL, welcome.ice_servers),
};
static const field join_fields[] = {
    STR("room", F_ROOM, REQUIRED, join.room, 1),
    FLD("userData", F_USER_DATA, OPTIONAL, join.user_data),
};
static const field update_fields[] = {FLD("userData", F_USER_DATA, REQUIRED, update.user_data)};
static const field lock_fields[] = {FLD("locked", F_BOOL, REQUIRED, lock.locked)};
static const field sdp_fields[] = {
    STR("to", F_PEER_ID, ADDRESS, sdp.to, 0),
    STR("from", F_PEER_ID, ADDRESS, sdp.from, 0),
    FLD("sdp", F_SDP, REQUIRED, sdp.sdp),
};
static const field candidate_fields[] = {
    STR("to", F_PEER_ID, ADDRESS, candidate.to, 0),
    STR("from", F_PEER_ID, ADDRESS, candidate.from, 0),
    NUM("candidate", F_HEAP_TEXT, REQUIRED, candidate.candidate, 0, SKY_CANDIDATE_MAX),
    STR("sdpMid", F_TEXT, OPTIONAL, candidate.sdp_mid, 0),
    NUM("sdpMLineIndex", F_MLINE, OPTIONAL, candidate.sdp_mline_index, 0, 65535),
};
static const field message_fields[] = {
    STR("to", F_PEER_ID, OPTIONAL, message.to, 0),
    STR("from", F_PEER_ID, OPTIONAL, message.from, 0),
    FLD("content", F_CONTENT, REQUIRED, message.content),
};
/* peerId precedes peers: the peers check compares entries with it. */
static const field joined_fields[] = {
    STR("room", F_ROOM, REQUIRED, joined.room, 1),
    STR("peerId", F_PEER_ID, REQUIRED, joined.peer_id, 0),
    FLD("locked", F_BOOL, REQUIRED, joined.locked),
    FLD("peers", F_PEERS, REQUIRED, joined.peers),
};
static const field left_fields[] = {STR("room", F_ROOM, REQUIRED, left.room, 1)};
static const field peer_fields[] = {
    STR("peerId", F_PEER_ID, REQUIRED, peer.peer_id, 0),
    FLD("userData", F_USER_DATA, REQUIRED, peer.user_data),
};
static const field peer_left_fields[] = {
    STR("peerId", F_PEER_ID, REQUIRED, peer_left.peer_id, 0),
    FLD("reason", F_REASON, REQUIRED, peer_left.reason),
};
static const field room_lock_fields[] = {
    FLD("locked", F_BOOL, REQUIRED, room_lock.locked),
    STR("peerId", F_PEER_ID, REQUIRED, room_lock.peer_id, 0),
};
static const field error_fields[] = {
    FLD("code", F_ERROR_CODE, REQUIRED, error.code),
    STR("message", F_TEXT, REQUIRED, error.text, 0),
    FLD("fatal", F_BOOL, REQUIRED, error.fatal),
};
static const field bye_fields[] = {FLD("reason", F_REASON, REQUIRED, bye.reason)};
static const field ice_servers_fields[] = {FLD("iceServers", F_CONTENT, REQUIRED, ice_servers.ice_servers)};
static const field token_fields[] = {
    STR("token", F_ASCII, REQUIRED, token.token, 1),
    NUM("expires", F_UINT, REQUIRED, token.expires, 0, UINT32_MAX),
};

#define LIMIT(name, member) {name, F_UINT, REQUIRED, offsetof(sky_limits, member), 1, UINT32_MAX}
static const field limits_fields[] = {
    LIMIT("maxFrame", max_frame_bytes),     LIMIT("maxUserData", max_user_data_bytes),
    LIMIT("maxContent", max_content_bytes), LIMIT("maxPeers", max_peers_per_room),
    LIMIT("rate", msgs_per_second),         LIMIT("burst", msgs_burst),
    LIMIT("pingInterval", ping_interval_ms),
};
static const field entry_fields[] = {
    {"peerId", F_PEER_ID, REQUIRED, offsetof(sky_peer_entry, peer_id), 0, SKY_PEER_ID_LEN},
    {"userData", F_USER_DATA, REQUIRED, offsetof(sky_peer_entry, user_data), 0, 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct schema {
  const char *name; /* wire "type" */
  const field *fields;
  size_t count;
} schema;

#define SCHEMA(name, fields) {name, fields, COUNT(fields)}
#define NO_FIELDS(name) {name, NULL, 0}

/* The one table mapping message types to wire names and fields. */
static const schema schemas[SKY_MSG_TYPE_COUNT] = {
    [SKY_MSG_INVALID] = NO_FIELDS("invalid"), /* never accepted from the wire */
    [SKY_MSG_HELLO] = SCHEMA("hello", hello_fields),
    [SKY_MSG_JOIN] = SCHEMA("join", join_fields),
    [SKY_MSG_LEAVE] = NO_FIELDS("leave"),
    [SKY_MSG_UPDATE] = SCHEMA("update", update_fields),
    [SKY_MSG_LOCK] = SCHEMA("lock", lock_fields),
    [SKY_MSG_PING] = NO_FIELDS("ping"),
    [SKY_MSG_OFFER] = SCHEMA("offer", sdp_fields),
    [SKY_MSG_ANSWER] = SCHEMA("answer", sdp_fields),
    [SKY_MSG_CANDIDATE] = SCHEMA("candidate", candidate_fields),
    [SKY_MSG_MESSAGE] = SCHEMA("message", message_fields),
    [SKY_MSG_WELCOME] = SCHEMA("welcome", welcome_fields),
    [SKY_MSG_JOINED] = SCHEMA("joined", joined_fields),
    [SKY_MSG_LEFT] = SCHEMA("left", left_fields),
    [SKY_MSG_PEER_JOINED] = SCHEMA("peer_joined", peer_fields),
    [SKY_MSG_PEER_UPDATED] = SCHEMA("peer_updated", peer_fields),
    [SKY_MSG_PEER_LEFT] = SCHEMA("peer_left", peer_left_fields),
    [SKY_MSG_ROOM_LOCK] = SCHEMA("room_lock", room_lock_fields),
    [SKY_MSG_PONG] = NO_FIELDS("pong"),
    [SKY_MSG_ERROR] = SCHEMA("error", error_fields),
    [SKY_MSG_BYE] = SCHEMA("bye", bye_fields),
    [SKY_MSG_TOKEN] = SCHEMA("token", token_fields),
    [SKY_MSG_ICE_SERVERS] = SCHEMA("ice_servers", ice_servers_fields),
};

static const schema *schema_of(sky_msg_type type) {
  if ((int)type <= SKY_MSG_INVALID || (int)type >= SKY_MSG_TYPE_COUNT) return NULL;
  return &schemas[type];
}

/* ---- small validators ------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when invalid.
 * Strict per Unicode table 3-7: no overlongs, no surrogates, nothing past U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
  if (len == 0 || len > n) return 0;
  unsigned lo = 0x80, hi = 0xBF; /* allowed second byte */
  if (c == 0xE0) lo = 0xA0;      /* overlong 3-byte form */
  if (c == 0xED) hi = 0x9F;      /* U+D800..U+DFFF */
  if (c == 0xF0) lo = 0x90;      /* overlong 4-byte form */
  if (c == 0xF4) hi = 0x8F;      /* above U+10FFFF */
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
  }
  return len;
}

static bool utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    size_t n = utf8_sequence(p + i, len - i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

static bool ascii_printable(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (s[i] < 0x20 || s[i] > 0x7E) return false;
  }
  return true;
}

bool sky_room_name_valid(const char *room, size_t len) {
  if (room == NULL || len < 1 || len > SKY_ROOM_MAX) return false;
  if (room[0] == ' ' || room[len - 1] == ' ') return false;
  for (size_t i = 0; i < len; i++) {
    char c = room[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    /* c == '\0' first: strchr would match the terminator */
    if (c == '\0' || (!alnum && strchr(" _.:@-", c) == NULL)) return false;
  }
  return true;
}

bool sky_peer_id_valid(const char *id, size_t len) {
  if (id == NULL || len != SKY_PEER_ID_LEN) return false;
  for (size_t i = 0; i < len; i++) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool sky_peer_is_polite(const char *self_id, const char *other_id) {
  return strcmp(self_id, other_id) < 0;
}

/* Length of a fixed buffer's string, or max + 1 when it is not terminated in time. */
static size_t bounded_len(const char *s, size_t max) {
  const char *nul = memchr(s, '\0', max + 1);
  return nul ? (size_t)(nul - s) : max + 1;
}

/* Owner: the caller. strdup is POSIX, not C11. */
static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (copy) memcpy(copy, s, n);
  return copy;
}

/* ---- raw frame scan ------------------------------------------------------- */

typedef enum scan_result { SCAN_OK, SCAN_BAD_UTF8, SCAN_NUL, SCAN_TOO_DEEP } scan_result;

/* One pass over raw JSON text before cJSON sees it: cJSON accepts any bytes in
 * strings, truncates strings at NUL (raw or "\u0000"), and recurses on nesting.
 * Backslashes only ever appear inside strings in valid JSON, so escapes are
 * skipped without tracking more state than "inside a string". */
static scan_result scan_json(const char *data, size_t len, int max_depth) {
  const unsigned char *p = (const unsigned char *)data;
  bool in_string = false;
  int depth = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned c = p[i];
    if (c == 0) return SCAN_NUL;
    if (c >= 0x80) {
      size_t n = utf8_sequence(p + i, len - i);
      if (n == 0) return SCAN_BAD_UTF8;
      i += n - 1;
    } else if (in_string) {
      if (c == '"') in_string = false;
      if (c != '\\' || i + 1 >= len) continue;
      if (len - i >= 6 && memcmp(p + i + 1, "u0000", 5) == 0) return SCAN_NUL;
      if (p[i + 1] > 0 && p[i + 1] < 0x80) i++; /* skip the escaped character */
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return SCAN_TOO_DEEP;
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    }
  }
  return SCAN_OK;
}

typedef enum opaque_result { OPAQUE_OK, OPAQUE_TOO_DEEP, OPAQUE_NOT_FINITE } opaque_result;

/* Recursion is bounded: callers scan the text to DOC_DEPTH_MAX first, and this
 * stops at SKY_JSON_DEPTH_MAX. cJSON turns 1e400 into inf and would print it as
 * null, silently changing the value, so non-finite numbers are refused. */
static opaque_result opaque_check(const cJSON *item, int depth) {
  if (cJSON_IsNumber(item)) return isfinite(item->valuedouble) ? OPAQUE_OK : OPAQUE_NOT_FINITE;
  if (!cJSON_IsArray(item) && !cJSON_IsObject(item)) return OPAQUE_OK;
  if (depth >= SKY_JSON_DEPTH_MAX) return OPAQUE_TOO_DEEP;
  for (const cJSON *child = item->child; child != NULL; child = child->next) {
    opaque_result r = opaque_check(child, depth + 1);
    if (r != OPAQUE_OK) return r;
  }
  return OPAQUE_OK;
}

/* ---- decoding --------------------------------------------------------------- */

typedef struct dec {
  const sky_limits *limits;
  sky_decode_error *err;
} dec;

PRINTF_LIKE(4, 5)
static bool fail(dec *d, sky_error_code code, const char *name, const char *fmt, ...) {
  d->err->code = code;
  size_t size = sizeof d->err->detail;
  int n = snprintf(d->err->detail, size, "%s: ", name);
  if (n < 0 || (size_t)n >= size) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->err->detail + n, size - (size_t)n, fmt, ap);
  va_end(ap);
  return false;
}

static bool oom(dec *d, const char *name) {
  return fail(d, SKY_ERR_INTERNAL, name, "out of memory");
}

static void *at(char *base, const field *f) {
  return base + f->offset;
}

static const void *at_const(const char *base, const field *f) {
  return base + f->offset;
}

typedef bool (*decode_fn)(dec *d, const field *f, const cJSON *item, char *base);

static bool decode_fields(dec *d, const field *fields, size_t count, const cJSON *obj,
                          char *base);

/* An integer in f->min..f->max: 1.5, -1, 1e400 (inf in cJSON) and true all fail. */
static bool read_integer(dec *d, const field *f, const cJSON *item, double *out) {
  double v = cJSON_IsNumber(item) ? item->valuedouble : -1.0;
  if (!(v >= f->min && v <= f->max) || v != (double)(uint32_t)v) {
    return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "must be an integer %lu..%lu",
                (unsigned long)f->min, (unsigned long)f->max);
  }
  *out = v;
  return true;
}

static bool dec_uint(dec *d, const field *f, const cJSON *item, char *base) {
  double v = 0; /* gcc -O2 cannot see read_integer sets it on success */
  if (!read_integer(d, f, item, &v)) return false;
  *(uint32_t *)at(base, f) = (uint32_t)v;
  return true;
}

static bool dec_mline(dec *d, const field *f, const cJSON *item, char *base) {
  double v = 0; /* gcc -O2 cannot see read_integer sets it on success */
  if (!read_integer(d, f, item, &v)) return false;
  *(int32_t *)at(base, f) = (int32_t)v;
  return true;
}

static bool dec_bool(dec *d, const field *f, const cJSON *item, char *base) {
  if (!cJSON_IsBool(item)) return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "must be true or false");
  *(bool *)at(base, f) = cJSON_IsTrue(item);
  return true;
}

/* Whether a string of len bytes fits the field's rule. Frame bytes are already
 * known to be UTF-8 when decoding; the encoder relies on this check for it. */
static bool string_fits(const field *f, const char *s, size_t len) {
  switch (f->kind) {
    case F_PEER_ID: return sky_peer_id_valid(s, len);
    case F_ROOM: return sky_room_name_valid(s, len);
    case F_ASCII: return len >= f->min && len <= f->max && ascii_printable(s, len);
    case F_SDP: return len >= 1 && utf8_valid(s, len);
    default: return len >= f->min && len <= f->max && utf8_valid(s, len);
  }
}

static bool string_rejected(dec *d, const field *f, bool is_string) {
  sky_error_code code = SKY_ERR_BAD_MESSAGE;
  unsigned long lo = f->min, hi = f->max;
  switch (f->kind) {
    case F_PEER_ID: return fail(d, code, f->name, "must be a peer id (32 lowercase hex digits)");
    case F_ROOM:
      if (is_string) code = SKY_ERR_BAD_ROOM_NAME;
      return fail(d, code, f->name,
                  "must be 1..64 characters of A-Z a-z 0-9 space _ . : @ -, "
                  "not starting or ending with a space");
    case F_ASCII:
      return fail(d, code, f->name, "must be %lu..%lu printable ASCII characters", lo, hi);
    case F_SDP: lo = 1, hi = d->limits->max_frame_bytes; break;
    default: break;
  }
  return fail(d, code, f->name, "must be a string of %lu..%lu bytes", lo, hi);
}

static bool dec_fixed_string(dec *d, const field *f, const cJSON *item, char *base) {
  size_t len = cJSON_IsString(item) ? strlen(item->valuestring) : 0;
  if (!cJSON_IsString(item) || !string_fits(f, item->valuestring, len)) {
    return string_rejected(d, f, cJSON_IsString(item));
  }
  memcpy(at(base, f), item->valuestring, len + 1); /* len <= f->max: fits the buffer */
  return true;
}

/* Stores a heap string even on a later failure, so sky_msg_clear() frees it. */
static bool store_heap(dec *d, const field *f, char *base, char *text) {
  *(char **)at(base, f) = text; /* owner: the message */
  return text != NULL || oom(d, f->name);
}

static bool dec_heap_text(dec *d, const field *f, const cJSON *item, char *base) {
  size_t len = cJSON_IsString(item) ? strlen(item->valuestring) : 0;
  bool fits = cJSON_IsString(item) && string_fits(f, item->valuestring, len) &&
              (f->kind != F_SDP || len <= d->limits->max_frame_bytes);
  if (!fits) return string_rejected(d, f, cJSON_IsString(item));
  return store_heap(d, f, base, dup_string(item->valuestring));
}

static bool dec_opaque(dec *d, const field *f, const cJSON *item, char *base) {
  bool user = f->kind == F_USER_DATA;
  switch (opaque_check(item, 0)) {
    case OPAQUE_TOO_DEEP:
      return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "must not nest deeper than %d levels",
                  SKY_JSON_DEPTH_MAX);
    case OPAQUE_NOT_FINITE:
      return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "numbers must be finite");
    case OPAQUE_OK: break;
  }
  char *text = user && cJSON_IsNull(item) ? dup_string("{}") : cJSON_PrintUnformatted(item);
  if (!store_heap(d, f, base, text)) return false;
  uint32_t max = user ? d->limits->max_user_data_bytes : d->limits->max_content_bytes;
  if (strlen(text) <= max) return true;
  return fail(d, user ? SKY_ERR_USER_DATA_TOO_LARGE : SKY_ERR_CONTENT_TOO_LARGE, f->name,
              "compact JSON must be at most %lu bytes", (unsigned long)max);
}

static bool dec_enum(dec *d, const field *f, const cJSON *item, char *base) {
  const char *s = cJSON_IsString(item) ? item->valuestring : "";
  if (f->kind == F_ERROR_CODE) {
    int i = name_index(error_names, SKY_ERR_NONE + 1, SKY_ERR_CODE_COUNT, s);
    if (i < 0) return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "must be an error code name");
    *(sky_error_code *)at(base, f) = (sky_error_code)i;
    return true;
  }
  int i = name_index(reason_names, 0, SKY_LEAVE_REASON_COUNT, s);
  if (i < 0) {
    return fail(d, SKY_ERR_BAD_MESSAGE, f->name,
                "must be one of left, disconnected, timeout, kicked, shutdown");
  }
  *(sky_leave_reason *)at(base, f) = (sky_leave_reason)i;
  return true;
}

static bool dec_limits(dec *d, const field *f, const cJSON *item, char *base) {
  if (!cJSON_IsObject(item)) return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "must be an object");
  return decode_fields(d, limits_fields, COUNT(limits_fields), item, at(base, f));
}

/* Detail for a peers list whose ids repeat or include the receiver, or NULL. */
static const char *peers_problem(const sky_msg *m) {
  const sky_peer_entry *p = m->u.joined.peers;
  size_t n = m->u.joined.peer_count;
  if (n > 0 && p == NULL) return "array missing";
  for (size_t i = 0; i < n; i++) {
    if (strcmp(p[i].peer_id, m->u.joined.peer_id) == 0) return "must not list peerId itself";
    for (size_t j = 0; j < i; j++) {
      if (strcmp(p[i].peer_id, p[j].peer_id) == 0) return "peer ids must be distinct";
    }
  }
  return NULL;
}

static bool dec_peers(dec *d, const field *f, const cJSON *item, char *base) {
  sky_msg *m = (sky_msg *)(void *)base; /* F_PEERS only appears in joined */
  int n = cJSON_IsArray(item) ? cJSON_GetArraySize(item) : -1;
  if (n < 0 || (uint32_t)n > d->limits->max_peers_per_room) {
    return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "must be an array of at most %lu peers",
                (unsigned long)d->limits->max_peers_per_room);
  }
  if (n == 0) return true;
  m->u.joined.peers = calloc((size_t)n, sizeof(sky_peer_entry)); /* owner: the message */
  if (m->u.joined.peers == NULL) return oom(d, f->name);
  m->u.joined.peer_count = (size_t)n;
  size_t i = 0;
  for (const cJSON *e = item->child; e != NULL; e = e->next, i++) {
    if (!cJSON_IsObject(e)) return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "entries must be objects");
    if (!decode_fields(d, entry_fields, COUNT(entry_fields), e, (char *)&m->u.joined.peers[i])) {
      return false;
    }
  }
  const char *problem = peers_problem(m);
  return problem == NULL || fail(d, SKY_ERR_BAD_MESSAGE, f->name, "%s", problem);
}

static const decode_fn decoders[F_KIND_COUNT] = {
    [F_UINT] = dec_uint,          [F_MLINE] = dec_mline,         [F_BOOL] = dec_bool,
    [F_PEER_ID] = dec_fixed_string, [F_ROOM] = dec_fixed_string, [F_ASCII] = dec_fixed_string,
    [F_TEXT] = dec_fixed_string,  [F_HEAP_TEXT] = dec_heap_text, [F_SDP] = dec_heap_text,
    [F_USER_DATA] = dec_opaque,   [F_CONTENT] = dec_opaque,      [F_ERROR_CODE] = dec_enum,
    [F_REASON] = dec_enum,        [F_LIMITS] = dec_limits,       [F_PEERS] = dec_peers,
};

/* The kind's "nothing here" value, which encode omits for optional fields. */
static bool field_empty(const field *f, const char *base) {
  switch (f->kind) {
    case F_PEER_ID:
    case F_ROOM:
    case F_ASCII:
    case F_TEXT: return *(const char *)at_const(base, f) == '\0';
    case F_MLINE: return *(const int32_t *)at_const(base, f) == -1;
    case F_BOOL: return !*(const bool *)at_const(base, f); /* an optional flag is sent when set */
    case F_HEAP_TEXT:
    case F_SDP:
    case F_USER_DATA:
    case F_CONTENT: return *(char *const *)at_const(base, f) == NULL;
    default: return false;
  }
}

static bool decode_field(dec *d, const field *f, const cJSON *obj, char *base) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, f->name);
  bool opaque = f->kind == F_USER_DATA || f->kind == F_CONTENT; /* null is a value */
  bool absent = item == NULL || (cJSON_IsNull(item) && f->presence != REQUIRED && !opaque);
  if (!absent) return decoders[f->kind](d, f, item, base);
  if (f->presence == REQUIRED) return fail(d, SKY_ERR_BAD_MESSAGE, f->name, "is required");
  if (f->kind == F_MLINE) *(int32_t *)at(base, f) = -1;
  return true; /* an absent join.userData stays NULL: the server keeps what update stored */
}

static bool decode_fields(dec *d, const field *fields, size_t count, const cJSON *obj,
                          char *base) {
  bool wants_address = false, addressed = false;
  for (size_t i = 0; i < count; i++) {
    if (!decode_field(d, &fields[i], obj, base)) return false;
    if (fields[i].presence != ADDRESS) continue;
    wants_address = true;
    addressed |= !field_empty(&fields[i], base);
  }
  if (!wants_address || addressed) return true;
  return fail(d, SKY_ERR_BAD_MESSAGE, "to", "a \"to\" or a \"from\" peer id is required");
}

/* Fills out->ref and err->ref first, so even a later failure can be answered. */
static bool decode_ref(dec *d, const cJSON *doc, sky_msg *out) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(doc, "ref");
  if (ref == NULL || cJSON_IsNull(ref)) return true;
  size_t len = cJSON_IsString(ref) ? strlen(ref->valuestring) : 0;
  bool valid = len >= 1 && len <= SKY_REF_MAX && ascii_printable(ref->valuestring, len);
  if (!valid) {
    return fail(d, SKY_ERR_BAD_MESSAGE, "ref", "must be 1..%d printable ASCII characters",
                SKY_REF_MAX);
  }
  memcpy(out->ref, ref->valuestring, len + 1);
  memcpy(d->err->ref, ref->valuestring, len + 1);
  return true;
}

static bool decode_doc(dec *d, const cJSON *doc, sky_msg *out) {
  if (!decode_ref(d, doc, out)) return false;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");
  if (!cJSON_IsString(type)) return fail(d, SKY_ERR_BAD_MESSAGE, "type", "must be a string");
  int t = -1;
  for (int i = SKY_MSG_INVALID + 1; i < SKY_MSG_TYPE_COUNT && t < 0; i++) {
    if (strcmp(schemas[i].name, type->valuestring) == 0) t = i;
  }
  /* The type string is not echoed: detail goes back to the client verbatim. */
  if (t < 0) return fail(d, SKY_ERR_UNKNOWN_TYPE, "type", "unknown message type");
  out->type = (sky_msg_type)t;
  return decode_fields(d, schemas[t].fields, schemas[t].count, doc, (char *)out);
}

static bool check_frame(dec *d, const char *data, size_t len) {
  if (len > d->limits->max_frame_bytes) {
    return fail(d, SKY_ERR_FRAME_TOO_LARGE, "frame", "must be at most %lu bytes",
                (unsigned long)d->limits->max_frame_bytes);
  }
  if (data == NULL || len == 0) return fail(d, SKY_ERR_BAD_JSON, "frame", "is empty");
  switch (scan_json(data, len, DOC_DEPTH_MAX)) {
    case SCAN_BAD_UTF8: return fail(d, SKY_ERR_BAD_JSON, "frame", "is not valid UTF-8");
    case SCAN_NUL: return fail(d, SKY_ERR_BAD_JSON, "frame", "contains a NUL character");
    case SCAN_TOO_DEEP:
      return fail(d, SKY_ERR_BAD_MESSAGE, "frame", "must not nest deeper than %d levels",
                  DOC_DEPTH_MAX);
    case SCAN_OK: break;
  }
  return true;
}

/* cJSON only refuses trailing bytes when it can see a terminator right after the
 * value, and data need not be terminated: parse a terminated copy. */
static cJSON *parse_frame(const char *data, size_t len) {
  char *copy = malloc(len + 1); /* owner: this function */
  if (copy == NULL) return NULL;
  memcpy(copy, data, len);
  copy[len] = '\0';
  cJSON *doc = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1); /* owner: the caller */
  free(copy);
  return doc;
}

bool sky_msg_decode(const char *data, size_t len, const sky_limits *limits, sky_msg *out,
                    sky_decode_error *err) {
  sky_limits defaults;
  sky_decode_error scratch;
  if (limits == NULL) sky_limits_default(&defaults);
  if (err == NULL) err = &scratch;
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  dec d = {limits ? limits : &defaults, err};
  if (!check_frame(&d, data, len)) return false;
  cJSON *doc = parse_frame(data, len); /* owner: this function */
  bool ok = cJSON_IsObject(doc) ? decode_doc(&d, doc, out)
                                : fail(&d, SKY_ERR_BAD_JSON, "frame", "must be one JSON object");
  cJSON_Delete(doc);
  if (!ok) sky_msg_clear(out);
  return ok;
}

/* ---- encoding ------------------------------------------------------------- */

typedef bool (*encode_fn)(const field *f, const char *base, cJSON *obj);

static bool encode_fields(const field *fields, size_t count, const char *base, cJSON *obj);

/* Attaches item, deleting it when cJSON cannot (so the caller never leaks it). */
static bool attach(cJSON *obj, const char *name, cJSON *item) {
  if (item != NULL && cJSON_AddItemToObject(obj, name, item)) return true;
  cJSON_Delete(item);
  return false;
}

static bool enc_uint(const field *f, const char *base, cJSON *obj) {
  uint32_t v = *(const uint32_t *)at_const(base, f);
  return v >= f->min && v <= f->max && cJSON_AddNumberToObject(obj, f->name, v) != NULL;
}

static bool enc_mline(const field *f, const char *base, cJSON *obj) {
  int32_t v = *(const int32_t *)at_const(base, f);
  return v >= 0 && (uint32_t)v >= f->min && (uint32_t)v <= f->max &&
         cJSON_AddNumberToObject(obj, f->name, v) != NULL;
}

static bool enc_bool(const field *f, const char *base, cJSON *obj) {
  return cJSON_AddBoolToObject(obj, f->name, *(const bool *)at_const(base, f)) != NULL;
}

static bool enc_fixed_string(const field *f, const char *base, cJSON *obj) {
  const char *s = at_const(base, f);
  size_t len = bounded_len(s, f->max);
  return len <= f->max && string_fits(f, s, len) && cJSON_AddStringToObject(obj, f->name, s);
}

static bool enc_heap_text(const field *f, const char *base, cJSON *obj) {
  const char *s = *(char *const *)at_const(base, f);
  return s != NULL && string_fits(f, s, strlen(s)) && cJSON_AddStringToObject(obj, f->name, s);
}

/* Owner of the result: the caller. NULL unless text is one valid opaque value. */
static cJSON *parse_opaque(const char *text) {
  if (scan_json(text, strlen(text), SKY_JSON_DEPTH_MAX) != SCAN_OK) return NULL;
  cJSON *value = cJSON_ParseWithOpts(text, NULL, 1);
  if (value != NULL && opaque_check(value, 0) != OPAQUE_OK) {
    cJSON_Delete(value);
    value = NULL;
  }
  return value;
}

/* Embedded as a JSON value, not a string. Size limits are the server's business:
 * the encoder knows no sky_limits, only the hard nesting bound. */
static bool enc_opaque(const field *f, const char *base, cJSON *obj) {
  const char *text = *(char *const *)at_const(base, f);
  if (text == NULL && f->kind == F_USER_DATA) text = "{}";
  return text != NULL && attach(obj, f->name, parse_opaque(text));
}

static bool enc_enum(const field *f, const char *base, cJSON *obj) {
  const char *name;
  if (f->kind == F_ERROR_CODE) {
    sky_error_code code = *(const sky_error_code *)at_const(base, f);
    name = code == SKY_ERR_NONE ? NULL : sky_error_code_name(code); /* "none" is not on the wire */
  } else {
    name = sky_leave_reason_name(*(const sky_leave_reason *)at_const(base, f));
  }
  return name != NULL && cJSON_AddStringToObject(obj, f->name, name) != NULL;
}

static bool enc_limits(const field *f, const char *base, cJSON *obj) {
  cJSON *limits = cJSON_CreateObject(); /* owner: obj once attached */
  if (limits == NULL) return false;
  if (!encode_fields(limits_fields, COUNT(limits_fields), at_const(base, f), limits)) {
    cJSON_Delete(limits);
    return false;
  }
  return attach(obj, f->name, limits);
}

static bool enc_peers(const field *f, const char *base, cJSON *obj) {
  const sky_msg *m = (const sky_msg *)(const void *)base; /* F_PEERS only appears in joined */
  if (peers_problem(m) != NULL) return false;
  cJSON *array = cJSON_CreateArray(); /* owner: obj once attached */
  if (!attach(obj, f->name, array)) return false;
  for (size_t i = 0; i < m->u.joined.peer_count; i++) {
    cJSON *entry = cJSON_CreateObject(); /* owner: array once added */
    if (entry == NULL || !cJSON_AddItemToArray(array, entry)) {
      cJSON_Delete(entry);
      return false;
    }
    const char *peer = (const char *)&m->u.joined.peers[i];
    if (!encode_fields(entry_fields, COUNT(entry_fields), peer, entry)) return false;
  }
  return true;
}

static const encode_fn encoders[F_KIND_COUNT] = {
    [F_UINT] = enc_uint,          [F_MLINE] = enc_mline,         [F_BOOL] = enc_bool,
    [F_PEER_ID] = enc_fixed_string, [F_ROOM] = enc_fixed_string, [F_ASCII] = enc_fixed_string,
    [F_TEXT] = enc_fixed_string,  [F_HEAP_TEXT] = enc_heap_text, [F_SDP] = enc_heap_text,
    [F_USER_DATA] = enc_opaque,   [F_CONTENT] = enc_opaque,      [F_ERROR_CODE] = enc_enum,
    [F_REASON] = enc_enum,        [F_LIMITS] = enc_limits,       [F_PEERS] = enc_peers,
};

static bool encode_fields(const field *fields, size_t count, const char *base, cJSON *obj) {
  bool wants_address = false, addressed = false;
  for (size_t i = 0; i < count; i++) {
    const field *f = &fields[i];
    bool empty = field_empty(f, base);
    if (f->presence == ADDRESS) wants_address = true;
    if (f->presence == ADDRESS) addressed |= !empty;
    if (empty && f->presence != REQUIRED) continue;
    if (!encoders[f->kind](f, base, obj)) return false;
  }
  return !wants_address || addressed;
}

static bool encode_ref(const sky_msg *msg, cJSON *obj) {
  size_t len = bounded_len(msg->ref, SKY_REF_MAX);
  if (len == 0) return true;
  return len <= SKY_REF_MAX && ascii_printable(msg->ref, len) &&
         cJSON_AddStringToObject(obj, "ref", msg->ref) != NULL;
}

char *sky_msg_encode(const sky_msg *msg) {
  const schema *s = msg ? schema_of(msg->type) : NULL;
  if (s == NULL) return NULL;
  cJSON *obj = cJSON_CreateObject(); /* owner: this function */
  char *out = NULL;
  if (obj != NULL && cJSON_AddStringToObject(obj, "type", s->name) != NULL &&
      encode_ref(msg, obj) && encode_fields(s->fields, s->count, (const char *)msg, obj)) {
    out = cJSON_PrintUnformatted(obj); /* owner: the caller */
  }
  cJSON_Delete(obj);
  return out;
}

/* ---- lifecycle ---------------------------------------------------------------- */

static bool heap_kind(field_kind kind) {
  return kind == F_HEAP_TEXT || kind == F_SDP || kind == F_USER_DATA || kind == F_CONTENT;
}

static void free_fields(const field *fields, size_t count, char *base) {
  for (size_t i = 0; i < count; i++) {
    const field *f = &fields[i];
    if (heap_kind(f->kind)) free(*(char **)at(base, f));
    if (f->kind != F_PEERS) continue;
    sky_msg *m = (sky_msg *)(void *)base;
    for (size_t j = 0; j < m->u.joined.peer_count && m->u.joined.peers; j++) {
      free_fields(entry_fields, COUNT(entry_fields), (char *)&m->u.joined.peers[j]);
    }
    free(m->u.joined.peers);
  }
}

void sky_msg_clear(sky_msg *msg) {
  if (msg == NULL) return;
  const schema *s = schema_of(msg->type);
  if (s != NULL) free_fields(s->fields, s->count, (char *)msg);
  memset(msg, 0, sizeof *msg);
}

/* After a shallow copy, points dst's heap fields at nothing so that a failing
 * deep copy can be cleared without freeing src's strings. */
static void detach_fields(const field *fields, size_t count, char *base) {
  for (size_t i = 0; i < count; i++) {
    if (heap_kind(fields[i].kind)) *(char **)at(base, &fields[i]) = NULL;
    if (fields[i].kind != F_PEERS) continue;
    ((sky_msg *)(void *)base)->u.joined.peers = NULL;
    ((sky_msg *)(void *)base)->u.joined.peer_count = 0;
  }
}

static bool dup_fields(const field *fields, size_t count, char *dst, const char *src);

static bool dup_peers(sky_msg *dst, const sky_msg *src) {
  size_t n = src->u.joined.peers ? src->u.joined.peer_count : 0;
  if (n == 0) return true;
  dst->u.joined.peers = calloc(n, sizeof(sky_peer_entry)); /* owner: dst */
  if (dst->u.joined.peers == NULL) return false;
  dst->u.joined.peer_count = n;
  for (size_t i = 0; i < n; i++) {
    dst->u.joined.peers[i] = src->u.joined.peers[i];
    char *entry = (char *)&dst->u.joined.peers[i];
    detach_fields(entry_fields, COUNT(entry_fields), entry);
    if (!dup_fields(entry_fields, COUNT(entry_fields), entry,
                    (const char *)&src->u.joined.peers[i])) {
      return false;
    }
  }
  return true;
}

static bool dup_fields(const field *fields, size_t count, char *dst, const char *src) {
  for (size_t i = 0; i < count; i++) {
    const field *f = &fields[i];
    if (f->kind == F_PEERS &&
        !dup_peers((sky_msg *)(void *)dst, (const sky_msg *)(const void *)src)) {
      return false;
    }
    const char *text = heap_kind(f->kind) ? *(char *const *)at_const(src, f) : NULL;
    if (text == NULL) continue;
    *(char **)at(dst, f) = dup_string(text); /* owner: dst */
    if (*(char **)at(dst, f) == NULL) return false;
  }
  return true;
}

bool sky_msg_copy(sky_msg *dst, const sky_msg *src) {
  if (dst == src) return true;
  *dst = *src;
  const schema *s = schema_of(src->type);
  if (s == NULL) return true;
  detach_fields(s->fields, s->count, (char *)dst);
  if (dup_fields(s->fields, s->count, (char *)dst, (const char *)src)) return true;
  sky_msg_clear(dst);
  return false;
}

/* ---- names and defaults ------------------------------------------------------- */

const char *sky_msg_type_name(sky_msg_type type) {
  if ((int)type < 0 || (int)type >= SKY_MSG_TYPE_COUNT) return NULL;
  return schemas[type].name;
}

const char *sky_error_code_name(sky_error_code code) {
  if ((int)code < 0 || (int)code >= SKY_ERR_CODE_COUNT) return NULL;
  return error_names[code];
}

const char *sky_leave_reason_name(sky_leave_reason reason) {
  if ((int)reason < 0 || (int)reason >= SKY_LEAVE_REASON_COUNT) return NULL;
  return reason_names[reason];
}

void sky_limits_default(sky_limits *limits) {
  *limits = (sky_limits){
      .max_frame_bytes = 65536,
      .max_user_data_bytes = 4096,
      .max_content_bytes = 16384,
      .max_peers_per_room = 64,
      .msgs_per_second = 50,
      .msgs_burst = 100,
      .ping_interval_ms = 20000,
  };
}
