/* Data-transfer framing: the binary frames that carry files and blobs
 * (sendBlobData / sendURLData) on the one data channel between two peers,
 * beside chat (dc_frame.h). transfer.c runs the state machine; this file only
 * encodes and decodes, and says what a well-formed frame is.
 *
 * Every frame starts with the kind byte SKY_XF_KIND, an op byte and the
 * transfer's number, chosen by the sender of the data (integers little-endian):
 *     u8 SKY_XF_KIND | u8 op | u32 id | ...
 *   OFFER   sender -> receiver: u64 size | u32 chunk | u32 timeout_s | u8 flags |
 *           u16 name length | name (UTF-8) | u16 mime length | mime
 *   ACCEPT  receiver -> sender: (nothing more)
 *   REJECT  receiver -> sender: (nothing more)
 *   DATA    sender -> receiver: u64 offset | 1..chunk bytes
 *   ACK     receiver -> sender: u64 bytes received so far (window credit)
 *   CANCEL_UP   sender -> receiver: u8 reason (the sender stops its upload)
 *   CANCEL_DOWN receiver -> sender: u8 reason (the receiver stops its download)
 * The id names the sender's transfer in both directions, so the two cancel ops
 * tell whose transfer is meant. Anything after a frame's fields is refused
 * (a DATA frame's payload is its rest), as are unknown ops, so a decoded frame
 * is exactly one of the shapes above.
 */
#ifndef SKYMESH_XFER_FRAME_H
#define SKYMESH_XFER_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_XF_KIND 0x03            /* first byte of a transfer frame */
#define SKY_XF_HEADER 6             /* kind, op, id */
#define SKY_XF_DATA_HEADER 14       /* ... and the u64 offset before a DATA payload */
#define SKY_XF_FRAME_MAX 65536      /* bytes in one DATA frame, whatever the channel allows */
#define SKY_XF_CHUNK_MAX (SKY_XF_FRAME_MAX - SKY_XF_DATA_HEADER)
#define SKY_XF_NAME_MAX 1024        /* bytes of a file name */
#define SKY_XF_MIME_MAX 255         /* bytes of a MIME type */
#define SKY_XF_CONTROL_MAX (SKY_XF_HEADER + 21 + SKY_XF_NAME_MAX + SKY_XF_MIME_MAX) /* the longest OFFER */
#define SKY_XF_SIZE_MAX ((uint64_t)1 << 32) /* bytes in one transfer (4 GiB) */
#define SKY_XF_TIMEOUT_MAX 86400    /* seconds */

#define SKY_XF_PRIVATE 0x01  /* flags: sent to chosen peers only */
#define SKY_XF_DATA_URL 0x02 /* flags: sendURLData: the receiver rebuilds a data URL */

typedef enum sky_xf_op {
  SKY_XF_OFFER = 1,
  SKY_XF_ACCEPT = 2,
  SKY_XF_REJECT = 3,
  SKY_XF_DATA = 4,
  SKY_XF_ACK = 5,
  SKY_XF_CANCEL_UP = 6,
  SKY_XF_CANCEL_DOWN = 7
} sky_xf_op;

/* Why a transfer was stopped (CANCEL_* reason byte). Unknown values read as
 * SKY_XF_R_ERROR. */
typedef enum sky_xf_reason {
  SKY_XF_R_USER = 0,    /* cancelDataTransfer */
  SKY_XF_R_ERROR = 1,   /* a malformed or lying frame, or a local failure */
  SKY_XF_R_TIMEOUT = 2, /* no progress for the transfer's timeout */
  SKY_XF_R_BUSY = 3     /* too many transfers from this peer at once */
} sky_xf_reason;

/* One decoded frame. name, mime and data point into the decoded buffer
 * (borrowed: valid while it is). */
typedef struct sky_xf_frame {
  sky_xf_op op;
  uint32_t id;
  uint64_t size;      /* OFFER */
  uint32_t chunk;     /* OFFER: payload bytes per DATA frame, 1..SKY_XF_CHUNK_MAX */
  uint32_t timeout_s; /* OFFER: 1..SKY_XF_TIMEOUT_MAX */
  uint8_t flags;      /* OFFER */
  const char *name;   /* OFFER, name_len bytes, not NUL-terminated */
  size_t name_len;
  const char *mime;   /* OFFER */
  size_t mime_len;
  uint64_t offset;    /* DATA: where the payload goes; ACK: bytes received */
  const unsigned char *data; /* DATA payload */
  size_t data_len;
  sky_xf_reason reason; /* CANCEL_* */
} sky_xf_frame;

/* Decodes one binary frame of len bytes. False when it is not a well-formed
 * transfer frame (wrong kind, unknown op, short, trailing bytes, a field out
 * of its range); *out is then unspecified. */
bool sky_xf_decode(const unsigned char *buf, size_t len, sky_xf_frame *out);

/* Encodes f into out (cap bytes): the whole frame, or for DATA its header
 * only (the payload follows it on the wire). Returns the length, 0 when f is
 * out of range or cap too small. */
size_t sky_xf_encode(const sky_xf_frame *f, unsigned char *out, size_t cap);

#endif
