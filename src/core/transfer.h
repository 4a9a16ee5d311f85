/* Data transfers (SkylinkJS 0.6's sendBlobData / sendURLData /
 * acceptDataTransfer / cancelDataTransfer / getCurrentDataTransfers): files
 * and blobs between peers on their data channels, beside chat.
 *
 * C decides; the API layer holds the bytes. The sender's bytes stay in JS
 * behind an integer "source" handle the API layer chose; the core asks for
 * DATA frames (ops.xfer_send_chunk: this header, then bytes [offset, len) of
 * source S, on connection P). The receiver's bytes are written to a "sink"
 * handle the core chose (ops.xfer_sink_write), created by the API layer on
 * first write. Handles are handed back by events:
 *   incomingData / dataTransferState downloadCompleted: transferInfo carries
 *     {"$sink": S}; the API layer makes the Blob / Buffer from sink S and owns
 *     it from then on (the core never writes S again).
 *   incomingData with isSelf (an upload finished): {"$src": S}, the source.
 *   "_xferRelease" [handle, isSink]: the core is done with that handle (an
 *     upload that ended, a download that failed): the API layer forgets it.
 *   "_xferDone" [src, transferId, errors|null, transferInfo, [peerIds]]: every
 *     peer of an upload is done; errors is {peerId: {state, code, message}}
 *     for the peers that did not complete (the sendBlobData callback).
 *
 * Per peer and transfer, the states are SkylinkJS's (dataTransferState):
 *   sender:   userRequest -> uploadStarted -> uploading* -> uploadCompleted
 *             | rejected | cancel | error; startError when it cannot begin
 *   receiver: request -> downloadStarted -> downloading* -> downloadCompleted
 *             | userRejected | cancel | error
 * Flow control: at most SKY_XF_WINDOW bytes sent and not acknowledged per
 * transfer and peer; no DATA frame is sent while chat waits on that channel,
 * nor while the channel buffers SKY_XF_HIGH_WATER bytes or more (below the
 * chat's high-water mark, so a chat line never waits behind a file).
 * A transfer runs on the connection it started on: the peer leaving, or that
 * connection being replaced, ends it with "error" at both ends.
 */
#ifndef SKYMESH_TRANSFER_H
#define SKYMESH_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

#define SKY_XF_WINDOW (1024 * 1024)        /* bytes in flight per transfer and peer */
#define SKY_XF_ACK_EVERY (256 * 1024)      /* the receiver acknowledges this often */
#define SKY_XF_HIGH_WATER (512 * 1024)     /* channel buffer above which no DATA is sent */
#define SKY_XF_FROM_PEER_MAX 16            /* downloads (asked or running) from one peer */
#define SKY_XF_TIMEOUT_DEFAULT 60          /* seconds, as SkylinkJS */

/* Offers size bytes held by the API layer as source src to targets_json (a
 * JSON array of peer ids, private) or to every peer when NULL. name and mime
 * may be NULL; timeout_s 0 takes the default. Returns the transfer's number
 * (> 0; its transferId is "<own peer id>-<number>") or an error: SKY_E_STATE
 * (not in a room), SKY_E_ARG, SKY_E_TOO_LARGE (above SKY_XF_SIZE_MAX),
 * SKY_E_UNKNOWN_PEER (no one to send to). Peers that cannot start get
 * startError; the rest get the offer. */
int sky_client_send_data(sky_client *c, int src, uint64_t size, const char *name, const char *mime,
                         unsigned timeout_s, bool data_url, const char *targets_json);
/* acceptDataTransfer(peerId, transferId, accept): answers a request. */
int sky_client_respond_data(sky_client *c, const char *peer_id, const char *transfer_id, bool accept);
/* cancelDataTransfer(peerId, transferId): stops an upload to, or a download
 * from, that peer. */
int sky_client_cancel_data(sky_client *c, const char *peer_id, const char *transfer_id);
/* getCurrentDataTransfers(): malloc'd JSON {transferId: {transferInfo,
 * isSelf, peerId (the sender)}} of the transfers under way. */
char *sky_client_data_transfers(sky_client *c);

#endif
