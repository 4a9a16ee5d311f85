/* Data-channel framing: how chat travels on the one reliable, ordered data
 * channel between two peers.
 *
 * A chat message whose frame fits in SKY_DC_FRAME_MAX bytes is one JSON text
 * frame:
 *     {"t":"chat","content":<any JSON>,"private":true|false,"s":N}
 * A longer one travels as "binary chat" frames (below) with the JSON flag: the
 * slices are the content's JSON text itself, not a text frame wrapped again, so
 * neither side re-encodes or re-parses 200 KB of content: the sender copies it
 * into frames, the receiver checks it with a one-pass scanner
 * (sky_json_valid) and hands it on as it is (compacted first only when it is
 * not compact already).
 *
 * Binary chat frames carry either JSON chat content (flag bit 1) or the bytes
 * of a binary chat (sendP2PMessage with an ArrayBuffer / typed array), each a
 * 14-byte header and a slice of the message (integers little-endian):
 *     u8 SKY_DC_BIN_CHAT | u32 seq | u32 total length | u32 offset | u8 flags | slice
 * flags: bit 0 = private (SKY_DC_BIN_PRIVATE), bit 1 = JSON chat content
 * (SKY_DC_BIN_JSON); other bits are sent as 0 and ignored. An empty message is
 * one frame with total 0 and no slice (never JSON: empty text is no JSON value);
 * otherwise every frame carries 1..SKY_DC_BIN_SLICE_MAX bytes. seq is the chat's
 * sequence number, shared by every chat (so text and binary interleave in order,
 * are acknowledged and re-sent alike). The channel is ordered, so the frames of
 * one message arrive contiguously; the reassembler accepts exactly that:
 * contiguous offsets from 0, one message at a time (any frame at offset 0
 * abandons an unfinished one), the same seq, total and flags in every frame,
 * total at most SKY_DC_MESSAGE_MAX. It never holds more than twice the bytes
 * actually received (it grows by doubling, for linear copying) nor more than
 * the total announced, whatever the header claims. JSON content that is not
 * exactly one valid JSON value nesting at most SKY_JSON_DEPTH_MAX is an error.
 *
 * Legacy "part" frames (u8 SKY_DC_BIN_PART | u32 id | u32 total | u32 offset |
 * slice of a whole text frame) are no longer sent; a receiver still reassembles
 * them under the same rules. Unknown "t" values and binary frames of unknown
 * kind are ignored (forward compatibility).
 *
 * Delivery across connections: every chat carries its sequence number "s"
 * (1, 2, ... per peer and direction; the id of its parts too), and receivers
 * acknowledge with {"t":"ack","a":N} (or "a" in a heartbeat {"t":"hb","a":N}):
 * every message up to N arrived. A sender keeps what is not acknowledged and
 * sends it again on a fresh connection; a receiver drops a chat whose "s" it
 * has delivered already. So a message survives a connection being replaced,
 * arriving once and in order.
 */
#ifndef SKYMESH_DC_FRAME_H
#define SKYMESH_DC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes in one data-channel frame. 64 KiB: what every stack accepts without a
 * max-message-size in the SDP (RFC 8841), and 4x fewer sends, bridge crossings
 * and queue nodes per message than 16 KiB (bench: 200 KB chats). */
#define SKY_DC_FRAME_MAX 65536
#define SKY_DC_PART_HEADER 13           /* bytes before the slice in a binary part */
#define SKY_DC_SLICE_MAX (SKY_DC_FRAME_MAX - SKY_DC_PART_HEADER) /* bytes per part */
#define SKY_DC_BIN_PART 0x01            /* first byte of a binary part frame */
#define SKY_DC_MESSAGE_MAX (256 * 1024) /* a whole chat frame (or binary chat), reassembled */
#define SKY_DC_BIN_CHAT 0x02            /* first byte of a binary chat frame */
#define SKY_DC_BIN_HEADER 14            /* bytes before the slice in a binary chat frame */
#define SKY_DC_BIN_SLICE_MAX (SKY_DC_FRAME_MAX - SKY_DC_BIN_HEADER)
#define SKY_DC_BIN_PRIVATE 0x01         /* flags: sent to chosen peers only */
#define SKY_DC_BIN_JSON 0x02            /* flags: the bytes are a chat's JSON content */

/* Receives one encoded frame of len bytes: a text frame (NUL-terminated) or,
 * when binary, a part. Return false to stop. */
typedef bool (*sky_dc_sink)(void *user, const char *frame, size_t len, bool binary);

/* Encodes a chat message. content_json must be valid JSON text (not checked
 * here; compact, or the receiver compacts it). Calls sink once per frame, in
 * order: one text frame, or binary chat frames with SKY_DC_BIN_JSON when the
 * text frame would exceed SKY_DC_FRAME_MAX. msg_id is the chat's sequence
 * number ("s", > 0; 0: none). Returns the number of frames, or -1 when the
 * content is longer than SKY_DC_MESSAGE_MAX, memory ran out, or the sink
 * refused. */
int sky_dc_encode_chat(const char *content_json, bool is_private, uint32_t msg_id,
                       sky_dc_sink sink, void *user);

/* Encodes a binary chat of len bytes (0..SKY_DC_MESSAGE_MAX) as binary chat
 * frames, calling sink once per frame (binary = true), in order. seq as for
 * sky_dc_encode_chat. Returns the number of frames, or -1 when data is too
 * long, memory ran out, or the sink refused. */
int sky_dc_encode_binary(const void *data, size_t len, bool is_private, uint32_t seq, sky_dc_sink sink,
                         void *user);

/* Writes the ack frame for `acked` (a heartbeat carrying it when heartbeat;
 * acked 0: a bare heartbeat) into out (at least 32 bytes); its length. */
size_t sky_dc_encode_ack(uint32_t acked, bool heartbeat, char *out, size_t cap);

/* A decoded chat message. content is malloc'd compact JSON (SKY_DC_CHAT) or
 * the len bytes of a binary chat (SKY_DC_BINARY, NUL-terminated too, never
 * NULL); the receiver owns it (sky_dc_chat_clear frees it). */
typedef struct sky_dc_chat {
  char *content;
  size_t len;     /* SKY_DC_BINARY: bytes in content */
  bool is_private;
  uint32_t seq;   /* the chat's "s", 0 when absent */
  uint32_t acked; /* SKY_DC_ACK: every message up to this one arrived */
} sky_dc_chat;

void sky_dc_chat_clear(sky_dc_chat *chat);

/* Per-channel reassembly state. Zero-initialise, or sky_dc_reasm_clear(). */
typedef struct sky_dc_reasm {
  char *buf;
  size_t cap;      /* bytes allocated at buf */
  size_t len;      /* bytes received so far */
  size_t expected; /* total length of the message in progress; 0 = none */
  uint32_t id;     /* id of the message in progress */
  unsigned char kind;  /* its frame kind: SKY_DC_BIN_PART or SKY_DC_BIN_CHAT */
  unsigned char flags; /* SKY_DC_BIN_CHAT: its flags */
} sky_dc_reasm;

void sky_dc_reasm_clear(sky_dc_reasm *r);

typedef enum sky_dc_result {
  SKY_DC_NONE = 0, /* frame consumed, nothing to deliver (part, or ignored type) */
  SKY_DC_CHAT,     /* *out holds a chat message */
  SKY_DC_ACK,      /* out->acked holds an acknowledgement (ack or heartbeat) */
  SKY_DC_BINARY,   /* *out holds a binary chat: content, len, is_private, seq */
  SKY_DC_ERROR     /* malformed or lying frame: dropped, reassembly reset */
} sky_dc_result;

/* Feeds one received text frame of len bytes (need not be NUL-terminated). */
sky_dc_result sky_dc_receive(sky_dc_reasm *r, const char *data, size_t len, sky_dc_chat *out);
/* Feeds one received binary frame of len bytes. */
sky_dc_result sky_dc_receive_binary(sky_dc_reasm *r, const unsigned char *data, size_t len,
                                    sky_dc_chat *out);

#endif
