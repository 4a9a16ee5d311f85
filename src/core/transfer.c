/* Data transfers: the per-peer transfer state machine (transfer.h), on the
 * frames of xfer_frame.h.
 *
 * One record per transfer and peer ("leg"): an upload to three peers is three
 * legs sharing the transfer's number and source. A finished upload leg stays
 * (done) until every leg of its transfer is, so that the summary (_xferDone,
 * the sender's incomingData) is said once; a download leg goes when it ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "client_internal.h"
#include "transfer.h"
#include "xfer_frame.h"

typedef enum {
  XS_OFFERED = 0, /* upload: offer sent, no answer yet; download: waiting for the user */
  XS_RUNNING,     /* accepted: data flows */
  XS_DONE,        /* upload leg over (completed, or result says how it ended) */
} xfer_state;

struct sky_xfer {
  struct sky_xfer *next;
  bool upload;
  uint32_t id;                        /* the sender's number */
  char peer[SKY_PEER_ID_LEN + 1];     /* the other end */
  char sender[SKY_PEER_ID_LEN + 1];   /* self (upload) or peer (download) */
  int pc;                             /* the connection it runs on */
  int handle;                         /* upload: source; download: sink (0 before the first write) */
  xfer_state state;
  uint64_t size;
  uint64_t done;    /* upload: next offset to send; download: bytes received */
  uint64_t acked;   /* upload: bytes the receiver confirmed; download: bytes we confirmed */
  uint32_t chunk;
  uint32_t timeout_s;
  uint8_t flags;    /* SKY_XF_PRIVATE, SKY_XF_DATA_URL */
  int percent;      /* last progress said, -1 none */
  uint64_t deadline_ms;
  bool completed;   /* every byte confirmed (upload) or received (download) */
  bool later;       /* upload: its next chunk was not read yet, within this pump */
  const char *end_state, *end_code, *end_message; /* an upload leg that failed: how (static text) */
  char *name;       /* owner: this record */
  char *mime;       /* owner: this record */
};

/* ---- records ------------------------------------------------------------- */

static sky_xfer *xfer_new(sky_client *c, bool upload, uint32_t id, const char *peer, const char *sender,
                          const char *name, size_t name_len, const char *mime, size_t mime_len) {
  sky_xfer *x = calloc(1, sizeof *x); /* owner: c->xfers until xfer_unlink */
  if (!x) return NULL;
  x->name = malloc(name_len + 1); /* owner: x */
  x->mime = malloc(mime_len + 1); /* owner: x */
  if (!x->name || !x->mime) {
    free(x->name);
    free(x->mime);
    free(x);
    return NULL;
  }
  memcpy(x->name, name, name_len);
  x->name[name_len] = '\0';
  memcpy(x->mime, mime, mime_len);
  x->mime[mime_len] = '\0';
  x->upload = upload;
  x->id = id;
  memcpy(x->peer, peer, SKY_PEER_ID_LEN);
  memcpy(x->sender, sender, SKY_PEER_ID_LEN);
  x->percent = -1;
  x->next = c->xfers;
  c->xfers = x;
  return x;
}

static void xfer_unlink(sky_client *c, sky_xfer *x) {
  for (sky_xfer **at = &c->xfers; *at; at = &(*at)->next) {
    if (*at == x) {
      *at = x->next;
      break;
    }
  }
  free(x->name);
  free(x->mime);
  free(x);
}

static sky_xfer *xfer_find(const sky_client *c, bool upload, uint32_t id, const char *peer) {
  for (sky_xfer *x = c->xfers; x; x = x->next)
    if (x->upload == upload && x->id == id && strcmp(x->peer, peer) == 0) return x;
  return NULL;
}

static void transfer_id(const sky_xfer *x, char *out, size_t cap) { snprintf(out, cap, "%s-%u", x->sender, x->id); }

/* ---- events -------------------------------------------------------------- */

static cJSON *info_json(const sky_xfer *x) {
  cJSON *info = cJSON_CreateObject();
  uint64_t progress = x->upload ? x->acked : x->done;
  cJSON_AddStringToObject(info, "name", x->name);
  cJSON_AddNumberToObject(info, "size", (double)x->size);
  cJSON_AddStringToObject(info, "dataType", x->flags & SKY_XF_DATA_URL ? "dataURL" : "blob");
  /* SkylinkJS's word for what its chunks are on the wire: ours are always
   * binary frames, what it calls "arrayBuffer" (it would say "binaryString"
   * for base64 chunks, "string" for a data URL's). */
  cJSON_AddStringToObject(info, "chunkType", "arrayBuffer");
  cJSON_AddStringToObject(info, "mimeType", x->mime);
  cJSON_AddNumberToObject(info, "percentage", x->size ? (double)(progress * 100 / x->size) : x->completed ? 100 : 0);
  cJSON_AddNumberToObject(info, "timeout", x->timeout_s);
  cJSON_AddBoolToObject(info, "isPrivate", (x->flags & SKY_XF_PRIVATE) != 0);
  cJSON_AddNumberToObject(info, "chunkSize", x->chunk);
  cJSON_AddStringToObject(info, "direction", x->upload ? "upload" : "download");
  return info;
}

static cJSON *error_json(const sky_xfer *x, const char *code, const char *message) {
  cJSON *err = cJSON_CreateObject();
  cJSON_AddStringToObject(err, "code", code);
  cJSON_AddStringToObject(err, "message", message);
  cJSON_AddStringToObject(err, "transferType", x->upload ? "upload" : "download");
  return err;
}

/* dataTransferState(state, transferId, peerId, transferInfo, error). info:
 * taken, NULL for the record's; err: taken, NULL for null. */
static void emit_state(sky_client *c, const sky_xfer *x, const char *state, cJSON *info, cJSON *err) {
  char tid[64];
  transfer_id(x, tid, sizeof tid);
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString(state));
  cJSON_AddItemToArray(args, cJSON_CreateString(tid));
  cJSON_AddItemToArray(args, cJSON_CreateString(x->peer));
  cJSON_AddItemToArray(args, info ? info : info_json(x));
  cJSON_AddItemToArray(args, err ? err : cJSON_CreateNull());
  sky__emit(c, "dataTransferState", args);
}

/* incomingDataRequest / incomingData: (data?, transferId, peerId (the sender), transferInfo, isSelf). */
static void emit_data_event(sky_client *c, const sky_xfer *x, const char *name, cJSON *info) {
  char tid[64];
  transfer_id(x, tid, sizeof tid);
  cJSON *args = cJSON_CreateArray();
  if (strcmp(name, "incomingData") == 0) cJSON_AddItemToArray(args, cJSON_CreateNull()); /* the glue fills it */
  cJSON_AddItemToArray(args, cJSON_CreateString(tid));
  cJSON_AddItemToArray(args, cJSON_CreateString(x->sender));
  cJSON_AddItemToArray(args, info);
  cJSON_AddItemToArray(args, cJSON_CreateBool(x->upload));
  sky__emit(c, name, args);
}

static void emit_release(sky_client *c, int handle, bool sink) {
  if (!handle) return;
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateNumber(handle));
  cJSON_AddItemToArray(args, cJSON_CreateBool(sink));
  sky__emit(c, "_xferRelease", args);
}

/* uploading / downloading, once per percent. */
static void emit_progress(sky_client *c, sky_xfer *x) {
  uint64_t progress = x->upload ? x->acked : x->done;
  int pct = x->size ? (int)(progress * 100 / x->size) : 0;
  if (pct == x->percent || progress == x->size) return; /* the completion says 100 */
  x->percent = pct;
  emit_state(c, x, x->upload ? "uploading" : "downloading", NULL, NULL);
}

/* ---- frames out ------------------------------------------------------------ */

static void send_control(sky_client *c, const sky_xfer *x, sky_xf_op op, uint64_t offset, sky_xf_reason reason) {
  sky_peer *p = sky__peer_find(c, x->peer);
  if (!p || p->pc != x->pc || !p->channel_open || !c->ops.dc_send_binary) return;
  unsigned char frame[SKY_XF_CONTROL_MAX];
  sky_xf_frame f = {.op = op, .id = x->id, .offset = offset, .reason = reason};
  if (op == SKY_XF_OFFER) {
    f.size = x->size;
    f.chunk = x->chunk;
    f.timeout_s = x->timeout_s;
    f.flags = x->flags;
    f.name = x->name;
    f.name_len = strlen(x->name);
    f.mime = x->mime;
    f.mime_len = strlen(x->mime);
  }
  size_t n = sky_xf_encode(&f, frame, sizeof frame);
  if (n) c->ops.dc_send_binary(c->user, x->pc, (const char *)frame, n);
}

/* ---- ends ------------------------------------------------------------------ */

/* The upload transfer `id` is over for every peer: the summary, the source. */
static void upload_maybe_over(sky_client *c, uint32_t id) {
  sky_xfer *any = NULL, *completed = NULL;
  for (sky_xfer *x = c->xfers; x; x = x->next) {
    if (!x->upload || x->id != id) continue;
    if (x->state != XS_DONE) return;
    any = x;
    if (x->completed) completed = x;
  }
  if (!any) return;
  int src = any->handle;
  char tid[64];
  transfer_id(any, tid, sizeof tid);
  if (completed) {
    cJSON *info = info_json(completed);
    cJSON_AddNumberToObject(info, "$src", src);
    emit_data_event(c, completed, "incomingData", info);
  }
  cJSON *errors = cJSON_CreateObject();
  for (sky_xfer *x = c->xfers; x; x = x->next) {
    if (x->upload && x->id == id && !x->completed) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "state", x->end_state ? x->end_state : "error");
      cJSON_AddStringToObject(e, "code", x->end_code ? x->end_code : x->end_state ? x->end_state : "error");
      cJSON_AddStringToObject(e, "message", x->end_message ? x->end_message : "the transfer did not complete");
      cJSON_AddItemToObject(errors, x->peer, e);
    }
  }
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateNumber(src));
  cJSON_AddItemToArray(args, cJSON_CreateString(tid));
  cJSON_AddItemToArray(args, errors->child ? errors : (cJSON_Delete(errors), cJSON_CreateNull()));
  cJSON_AddItemToArray(args, info_json(completed ? completed : any));
  cJSON *peers = cJSON_CreateArray();
  for (sky_xfer *x = c->xfers; x; x = x->next)
    if (x->upload && x->id == id) cJSON_AddItemToArray(peers, cJSON_CreateString(x->peer));
  cJSON_AddItemToArray(args, peers);
  sky__emit(c, "_xferDone", args);
  emit_release(c, src, false);
  sky_xfer *x = c->xfers;
  while (x) {
    sky_xfer *next = x->next;
    if (x->upload && x->id == id) xfer_unlink(c, x);
    x = next;
  }
}

/* Ends a leg that did not complete: says state (with an error unless code is
 * NULL) and forgets it (a download) or marks it done (an upload). */
static void leg_fail(sky_client *c, sky_xfer *x, const char *state, const char *code, const char *message) {
  emit_state(c, x, state, NULL, code ? error_json(x, code, message) : NULL);
  if (x->upload) {
    x->state = XS_DONE;
    x->end_state = state;
    x->end_code = code;
    x->end_message = message;
    upload_maybe_over(c, x->id);
  } else {
    emit_release(c, x->handle, true);
    xfer_unlink(c, x);
  }
}

/* A protocol violation by the peer: tell it, and end the leg with an error. */
static void leg_violation(sky_client *c, sky_xfer *x, const char *message) {
  send_control(c, x, x->upload ? SKY_XF_CANCEL_UP : SKY_XF_CANCEL_DOWN, 0, SKY_XF_R_ERROR);
  leg_fail(c, x, "error", "protocol", message);
}

static void touch(sky_client *c, sky_xfer *x) { x->deadline_ms = sky__now(c) + (uint64_t)x->timeout_s * 1000; }

/* ---- sending ------------------------------------------------------------------ */

static uint32_t chunk_for(const sky_client *c, int pc) {
  size_t max = c->ops.dc_max_message ? c->ops.dc_max_message(c->user, pc) : 0;
  if (!max || max > SKY_XF_FRAME_MAX) max = SKY_XF_FRAME_MAX;
  if (max <= SKY_XF_DATA_HEADER + 1024) max = SKY_XF_DATA_HEADER + 1024; /* a stack this small: its loss */
  return (uint32_t)(max - SKY_XF_DATA_HEADER);
}

int sky_client_send_data(sky_client *c, int src, uint64_t size, const char *name, const char *mime,
                         unsigned timeout_s, bool data_url, const char *targets_json) {
  if (!c || src <= 0) return SKY_E_ARG;
  if (c->state != SKY_ROOM_IN_ROOM) return SKY_E_STATE;
  if (size > SKY_XF_SIZE_MAX) return SKY_E_TOO_LARGE;
  if (!timeout_s) timeout_s = SKY_XF_TIMEOUT_DEFAULT;
  if (timeout_s > SKY_XF_TIMEOUT_MAX) return SKY_E_ARG;
  name = name ? name : "";
  mime = mime ? mime : "";
  size_t name_len = strlen(name), mime_len = strlen(mime);
  if (name_len > SKY_XF_NAME_MAX || mime_len > SKY_XF_MIME_MAX) return SKY_E_ARG;
  cJSON *targets = targets_json ? cJSON_Parse(targets_json) : NULL;
  int rc = SKY_OK;
  if (targets_json && (!cJSON_IsArray(targets) || cJSON_GetArraySize(targets) < 1)) rc = SKY_E_ARG;
  const cJSON *t;
  cJSON_ArrayForEach(t, targets) if (!cJSON_IsString(t) || !sky__peer_visible(c, t->valuestring)) rc = SKY_E_UNKNOWN_PEER;
  size_t legs = 0;
  for (sky_peer *p = c->peers; p && rc == SKY_OK; p = p->hh.next) legs += !p->hidden;
  if (rc == SKY_OK && !legs) rc = SKY_E_UNKNOWN_PEER;
  if (rc != SKY_OK) {
    cJSON_Delete(targets);
    return rc;
  }
  sky__enter(c);
  uint32_t id = ++c->next_xfer_id;
  uint8_t flags = (uint8_t)((targets ? SKY_XF_PRIVATE : 0) | (data_url ? SKY_XF_DATA_URL : 0));
  sky_xfer *first = NULL;
  for (sky_peer *p = c->peers; p; p = p->hh.next) {
    bool wanted = !targets && !p->hidden;
    cJSON_ArrayForEach(t, targets) wanted |= strcmp(t->valuestring, p->id) == 0;
    if (!wanted) continue;
    sky_xfer *x = xfer_new(c, true, id, p->id, c->self_id, name, name_len, mime, mime_len);
    if (!x) continue;
    x->handle = src;
    x->size = size;
    x->timeout_s = timeout_s;
    x->flags = flags;
    x->pc = p->pc;
    x->chunk = chunk_for(c, p->pc);
    x->state = XS_DONE; /* until the offer is out */
    if (!first) {
      first = x;
      emit_data_event(c, x, "incomingDataRequest", info_json(x));
    }
  }
  /* Offers after the records exist, so a startError's summary sees them all. */
  for (sky_xfer *x = c->xfers; x; x = x->next) {
    if (!x->upload || x->id != id) continue;
    sky_peer *p = sky__peer_find(c, x->peer);
    if (!p || !p->channel_open || !c->ops.xfer_send_chunk || !c->ops.dc_send_binary) {
      emit_state(c, x, "startError", NULL, error_json(x, "no_channel", "no open data channel to this peer"));
      x->end_state = "startError";
      x->end_code = "no_channel";
      x->end_message = "no open data channel to this peer";
      continue;
    }
    x->state = XS_OFFERED;
    touch(c, x);
    send_control(c, x, SKY_XF_OFFER, 0, SKY_XF_R_USER);
    emit_state(c, x, "userRequest", NULL, NULL);
  }
  if (first) upload_maybe_over(c, id); /* every peer failed to start */
  else emit_release(c, src, false);
  cJSON_Delete(targets);
  sky__arm_timer(c);
  sky__exit(c);
  return first ? (int)id : SKY_E_NOMEM;
}

/* Sends DATA frames of p's running uploads, one chunk per transfer in turn,
 * while the channel takes them: chat first, the buffer under
 * SKY_XF_HIGH_WATER, each transfer within its window. A transfer whose next
 * chunk the API layer has not read yet (SKY_XF_CHUNK_LATER) sits out this
 * pump: the API layer's drain call, once the bytes are read, comes back here;
 * the offset stays in C, so nothing is skipped or sent twice. */
void sky__xfer_pump(sky_client *c, sky_peer *p) {
  if (!c->xfers || !p->channel_open || p->outq.head || !c->ops.xfer_send_chunk) return;
  size_t buffered = c->ops.dc_buffered ? c->ops.dc_buffered(c->user, p->pc) : 0;
  for (sky_xfer *x = c->xfers; x; x = x->next) x->later = false;
  bool sent = true;
  while (sent) {
    sent = false;
    for (sky_xfer *x = c->xfers; x; x = x->next) {
      if (!x->upload || x->state != XS_RUNNING || x->pc != p->pc || strcmp(x->peer, p->id) != 0) continue;
      if (x->later || x->done >= x->size || x->done - x->acked >= SKY_XF_WINDOW) continue;
      if (buffered >= SKY_XF_HIGH_WATER) {
        c->flush_blocked = true; /* the drain event, or the retry timer, comes back here */
        return;
      }
      uint64_t left = x->size - x->done;
      size_t len = left < x->chunk ? (size_t)left : x->chunk;
      unsigned char header[SKY_XF_DATA_HEADER];
      sky_xf_frame f = {.op = SKY_XF_DATA, .id = x->id, .offset = x->done};
      size_t hn = sky_xf_encode(&f, header, sizeof header);
      int rc = c->ops.xfer_send_chunk(c->user, p->pc, x->handle, x->done, len, (const char *)header, hn);
      if (rc == SKY_XF_CHUNK_LATER) {
        x->later = true;
        continue;
      }
      if (rc != 0) {
        send_control(c, x, SKY_XF_CANCEL_UP, 0, SKY_XF_R_ERROR);
        leg_fail(c, x, "error", "send_failed", "the data channel refused a chunk");
        return; /* the list changed */
      }
      x->done += len;
      buffered += len + hn;
      p->last_tx_ms = sky__now(c);
      sent = true;
    }
  }
}

/* ---- receiving ------------------------------------------------------------------ */

static size_t downloads_from(const sky_client *c, const char *peer) {
  size_t n = 0;
  for (const sky_xfer *x = c->xfers; x; x = x->next) n += !x->upload && strcmp(x->peer, peer) == 0;
  return n;
}

static void on_offer(sky_client *c, sky_peer *p, const sky_xf_frame *f) {
  if (xfer_find(c, false, f->id, p->id)) return; /* a repeated offer: the first stands */
  if (downloads_from(c, p->id) >= SKY_XF_FROM_PEER_MAX) {
    sky_xfer tmp = {.id = f->id, .pc = p->pc};
    memcpy(tmp.peer, p->id, sizeof tmp.peer);
    send_control(c, &tmp, SKY_XF_CANCEL_DOWN, 0, SKY_XF_R_BUSY);
    return;
  }
  sky_xfer *x = xfer_new(c, false, f->id, p->id, p->id, f->name, f->name_len, f->mime, f->mime_len);
  if (!x) return;
  x->pc = p->pc;
  x->size = f->size;
  x->chunk = f->chunk;
  x->timeout_s = f->timeout_s;
  x->flags = f->flags & (SKY_XF_PRIVATE | SKY_XF_DATA_URL);
  x->state = XS_OFFERED;
  /* No deadline while the user decides: the sender's timeout ends it. */
  emit_data_event(c, x, "incomingDataRequest", info_json(x));
  emit_state(c, x, "request", NULL, NULL);
}

/* The download x has every byte: confirm, deliver, forget. */
static void download_complete(sky_client *c, sky_xfer *x) {
  send_control(c, x, SKY_XF_ACK, x->done, SKY_XF_R_USER);
  x->acked = x->done;
  x->completed = true;
  cJSON *info = info_json(x);
  cJSON_AddNumberToObject(info, "$sink", x->handle);
  emit_state(c, x, "downloadCompleted", cJSON_Duplicate(info, true), NULL);
  emit_data_event(c, x, "incomingData", info);
  xfer_unlink(c, x); /* the sink is the API layer's now */
}

/* Checks a DATA frame against what the sender announced; NULL when it fits. */
static const char *data_fault(const sky_xfer *x, const sky_xf_frame *f) {
  if (x->state != XS_RUNNING) return "data before the transfer was accepted";
  if (f->offset != x->done) return "data out of order";
  if (f->data_len > x->chunk) return "a chunk larger than announced";
  if (f->data_len > x->size - x->done) return "data past the announced size";
  return NULL;
}

static void on_data(sky_client *c, sky_xfer *x, const sky_xf_frame *f) {
  const char *fault = data_fault(x, f);
  if (fault) {
    leg_violation(c, x, fault);
    return;
  }
  if (!x->handle) x->handle = ++c->next_sink;
  if (!c->ops.xfer_sink_write ||
      c->ops.xfer_sink_write(c->user, x->handle, x->size, x->done, (const char *)f->data, f->data_len) != 0) {
    send_control(c, x, SKY_XF_CANCEL_DOWN, 0, SKY_XF_R_ERROR);
    leg_fail(c, x, "error", "no_memory", "the received data could not be stored");
    return;
  }
  x->done += f->data_len;
  touch(c, x);
  if (x->done == x->size) {
    download_complete(c, x);
    return;
  }
  if (x->done - x->acked >= SKY_XF_ACK_EVERY) {
    send_control(c, x, SKY_XF_ACK, x->done, SKY_XF_R_USER);
    x->acked = x->done;
  }
  emit_progress(c, x);
}

static void on_ack(sky_client *c, sky_peer *p, sky_xfer *x, const sky_xf_frame *f) {
  if (x->state != XS_RUNNING || f->offset < x->acked || f->offset > x->done) {
    leg_violation(c, x, "an acknowledgement of data never sent");
    return;
  }
  x->acked = f->offset;
  touch(c, x);
  if (x->acked == x->size) {
    x->completed = true;
    x->state = XS_DONE;
    emit_state(c, x, "uploadCompleted", NULL, NULL);
    upload_maybe_over(c, x->id);
    return;
  }
  emit_progress(c, x);
  sky__xfer_pump(c, p); /* the window moved */
}

static const char *reason_text(sky_xf_reason r) {
  switch (r) {
  case SKY_XF_R_USER: return "the peer cancelled the transfer";
  case SKY_XF_R_TIMEOUT: return "the transfer timed out";
  case SKY_XF_R_BUSY: return "the peer has too many transfers under way";
  default: return "the peer stopped the transfer after an error";
  }
}

static const char *reason_code(sky_xf_reason r) {
  switch (r) {
  case SKY_XF_R_USER: return "cancelled";
  case SKY_XF_R_TIMEOUT: return "timeout";
  case SKY_XF_R_BUSY: return "busy";
  default: return "remote_error";
  }
}

bool sky__xfer_on_frame(sky_client *c, sky_peer *p, const unsigned char *data, size_t len) {
  if (!len || data[0] != SKY_XF_KIND) return false;
  sky_xf_frame f;
  if (!sky_xf_decode(data, len, &f)) return true; /* malformed: dropped (its transfer, if any, times out) */
  bool from_sender = f.op == SKY_XF_OFFER || f.op == SKY_XF_DATA || f.op == SKY_XF_CANCEL_UP;
  if (f.op == SKY_XF_OFFER) {
    on_offer(c, p, &f);
    return true;
  }
  sky_xfer *x = xfer_find(c, !from_sender, f.id, p->id);
  if (!x || x->pc != p->pc || (x->upload && x->state == XS_DONE)) return true; /* unknown or over: late frames after an end */
  switch (f.op) {
  case SKY_XF_ACCEPT:
    if (x->state != XS_OFFERED) {
      leg_violation(c, x, "accepted twice");
      break;
    }
    x->state = XS_RUNNING;
    touch(c, x);
    emit_state(c, x, "uploadStarted", NULL, NULL);
    sky__xfer_pump(c, p);
    break;
  case SKY_XF_REJECT:
    if (x->state != XS_OFFERED) {
      leg_violation(c, x, "rejected after accepting");
      break;
    }
    leg_fail(c, x, "rejected", NULL, NULL);
    break;
  case SKY_XF_DATA: on_data(c, x, &f); break;
  case SKY_XF_ACK: on_ack(c, p, x, &f); break;
  case SKY_XF_CANCEL_UP:
  case SKY_XF_CANCEL_DOWN:
    if (f.reason == SKY_XF_R_USER) leg_fail(c, x, "cancel", "cancelled", reason_text(f.reason));
    else leg_fail(c, x, "error", reason_code(f.reason), reason_text(f.reason));
    break;
  default: break;
  }
  return true;
}

/* ---- the API ----------------------------------------------------------------- */

/* "<32 hex>-<number>" into its sender and number. */
static bool parse_transfer_id(const char *tid, char *sender, uint32_t *id) {
  if (!tid || strlen(tid) < SKY_PEER_ID_LEN + 2 || tid[SKY_PEER_ID_LEN] != '-') return false;
  if (!sky_peer_id_valid(tid, SKY_PEER_ID_LEN)) return false;
  char *end;
  unsigned long n = strtoul(tid + SKY_PEER_ID_LEN + 1, &end, 10);
  if (*end || !n || n > UINT32_MAX || tid[SKY_PEER_ID_LEN + 1] < '0' || tid[SKY_PEER_ID_LEN + 1] > '9') return false;
  memcpy(sender, tid, SKY_PEER_ID_LEN);
  sender[SKY_PEER_ID_LEN] = '\0';
  *id = (uint32_t)n;
  return true;
}

static sky_xfer *api_find(sky_client *c, const char *peer_id, const char *transfer_id) {
  char sender[SKY_PEER_ID_LEN + 1];
  uint32_t id;
  if (!peer_id || !parse_transfer_id(transfer_id, sender, &id)) return NULL;
  bool upload = strcmp(sender, c->self_id) == 0;
  if (!upload && strcmp(sender, peer_id) != 0) return NULL;
  sky_xfer *x = xfer_find(c, upload, id, peer_id);
  return x && x->state != XS_DONE ? x : NULL;
}

int sky_client_respond_data(sky_client *c, const char *peer_id, const char *transfer_id, bool accept) {
  if (!c) return SKY_E_ARG;
  sky_xfer *x = api_find(c, peer_id, transfer_id);
  if (!x || x->upload) return SKY_E_ARG;
  if (x->state != XS_OFFERED) return SKY_E_STATE;
  sky__enter(c);
  if (!accept) {
    send_control(c, x, SKY_XF_REJECT, 0, SKY_XF_R_USER);
    leg_fail(c, x, "userRejected", NULL, NULL);
  } else {
    send_control(c, x, SKY_XF_ACCEPT, 0, SKY_XF_R_USER);
    x->state = XS_RUNNING;
    touch(c, x);
    emit_state(c, x, "downloadStarted", NULL, NULL);
    if (!x->size) download_complete(c, x);
  }
  sky__arm_timer(c);
  sky__exit(c);
  return SKY_OK;
}

int sky_client_cancel_data(sky_client *c, const char *peer_id, const char *transfer_id) {
  if (!c) return SKY_E_ARG;
  sky_xfer *x = api_find(c, peer_id, transfer_id);
  if (!x) return SKY_E_ARG;
  sky__enter(c);
  send_control(c, x, x->upload ? SKY_XF_CANCEL_UP : SKY_XF_CANCEL_DOWN, 0, SKY_XF_R_USER);
  leg_fail(c, x, "cancel", NULL, NULL);
  sky__exit(c);
  return SKY_OK;
}

char *sky_client_data_transfers(sky_client *c) {
  cJSON *all = cJSON_CreateObject();
  for (sky_xfer *x = c ? c->xfers : NULL; x; x = x->next) {
    if (x->state == XS_DONE) continue;
    char tid[64];
    transfer_id(x, tid, sizeof tid);
    if (cJSON_GetObjectItemCaseSensitive(all, tid)) continue; /* an upload to several peers: one entry */
    cJSON *entry = cJSON_AddObjectToObject(all, tid);
    cJSON_AddItemToObject(entry, "transferInfo", info_json(x));
    cJSON_AddBoolToObject(entry, "isSelf", x->upload);
    cJSON_AddStringToObject(entry, "peerId", x->sender);
  }
  char *text = cJSON_PrintUnformatted(all); /* owner: the caller */
  cJSON_Delete(all);
  return text;
}

/* ---- hooks from peer.c and client.c ---------------------------------------------- */

void sky__xfer_peer_gone(sky_client *c, sky_peer *p, bool left) {
  bool again = true;
  while (again) { /* an end may free other records (an upload's summary): start over */
    again = false;
    for (sky_xfer *x = c->xfers; x; x = x->next) {
      if (strcmp(x->peer, p->id) != 0 || (x->upload && x->state == XS_DONE)) continue;
      if (!left && x->pc != p->pc) continue;
      leg_fail(c, x, "error", left ? "peer_left" : "channel_replaced",
               left ? "the peer left during the transfer" : "the connection to the peer was replaced");
      again = true;
      break;
    }
  }
}

uint64_t sky__xfer_tick(sky_client *c, uint64_t now) {
  uint64_t next = 0;
  bool again = true;
  while (again) {
    again = false;
    for (sky_xfer *x = c->xfers; x; x = x->next) {
      if (!x->deadline_ms || x->state == XS_DONE) continue;
      if (now >= x->deadline_ms) {
        send_control(c, x, x->upload ? SKY_XF_CANCEL_UP : SKY_XF_CANCEL_DOWN, 0, SKY_XF_R_TIMEOUT);
        leg_fail(c, x, "error", "timeout", "no progress within the transfer's timeout");
        again = true;
        break;
      }
      if (!next || x->deadline_ms < next) next = x->deadline_ms;
    }
  }
  return next;
}
