/* HTTP: web/ at /, dist/ at /dist/, with the MIME types a WASM page needs. */
#ifndef SKY_SERVER_HTTP_H
#define SKY_SERVER_HTTP_H

#include "config.h"
#include "lws.h"

/* The mount list for the vhost. Points into static storage and cfg, which
 * must outlive the context. */
const struct lws_http_mount *sky_http_mounts(const sky_config *cfg);

#endif
