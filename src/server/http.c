/* Static file mounts. See http.h. */
#include "http.h"

#include <string.h>

/* lws knows .html .js .css .json .txt and a few more itself; these are what a
 * page built with Emscripten also serves. "*" is the fallback: without one
 * lws refuses files whose type it does not know. */
#define MIME(next, ext, type) {next, NULL, ext, type}
static const struct lws_protocol_vhost_options mime_fallback = MIME(NULL, "*", "application/octet-stream");
static const struct lws_protocol_vhost_options mime_txt = MIME(&mime_fallback, ".txt", "text/plain; charset=utf-8");
static const struct lws_protocol_vhost_options mime_dts = MIME(&mime_txt, ".ts", "text/plain; charset=utf-8");
static const struct lws_protocol_vhost_options mime_map = MIME(&mime_dts, ".map", "application/json");
static const struct lws_protocol_vhost_options mime_webp = MIME(&mime_map, ".webp", "image/webp");
static const struct lws_protocol_vhost_options mime_jpg = MIME(&mime_webp, ".jpg", "image/jpeg");
static const struct lws_protocol_vhost_options mime_png = MIME(&mime_jpg, ".png", "image/png");
static const struct lws_protocol_vhost_options mime_ico = MIME(&mime_png, ".ico", "image/x-icon");
static const struct lws_protocol_vhost_options mime_svg = MIME(&mime_ico, ".svg", "image/svg+xml");
static const struct lws_protocol_vhost_options mime_mjs = MIME(&mime_svg, ".mjs", "text/javascript");
static const struct lws_protocol_vhost_options mime_wasm = MIME(&mime_mjs, ".wasm", "application/wasm");

static struct lws_http_mount dist_mount;
static struct lws_http_mount web_mount;

static void file_mount(struct lws_http_mount *m, const struct lws_http_mount *next, const char *at,
                       const char *dir, const char *def) {
  memset(m, 0, sizeof(*m));
  m->mount_next = next;
  m->mountpoint = at;
  m->mountpoint_len = (unsigned char)strlen(at);
  m->origin = dir;
  m->def = def;
  m->origin_protocol = LWSMPRO_FILE;
  m->extra_mimetypes = &mime_wasm;
  /* The demo is rebuilt often; a stale cached module is confusing. */
  m->cache_max_age = 0;
  m->cache_reusable = 0;
}

const struct lws_http_mount *sky_http_mounts(const sky_config *cfg) {
  /* lws picks the longest matching mountpoint, so /dist wins over / there. */
  file_mount(&dist_mount, NULL, "/dist", cfg->dist_dir, "index.html");
  file_mount(&web_mount, &dist_mount, "/", cfg->web_dir, "index.html");
  return &web_mount;
}
