/* relaygen: the relay load generator for bench/server-load.mjs.
 *
 * A node generator (even on raw sockets with batched writes) tops out near 100k
 * relayed messages/s on this 2-core machine, below what a C server can relay, so the
 * relay phase is driven from C: one thread, epoll, hand-rolled WebSocket frames.
 *
 * P sender -> receiver pairs; each sender keeps W ICE-candidate messages in flight
 * to its receiver through the server under test ("as fast as acks allow": every
 * message the receiver sees lets the sender send one more, batched per read).
 * Then a paced phase offers a fixed rate and measures latency under moderate load.
 * One-way latency = receive time - send time (same clock, same process), kept in a
 * 1-microsecond histogram up to 1 s. Prints one JSON line.
 *
 * usage: relaygen skymesh|peerjs HOST PORT PAIRS WINDOW WARM_MS MEASURE_MS PACED_RATE PACED_MS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cpu_time.h"

#define MAX_PAIRS 64
#define RING 65536
#define HIST_US 1000000
#define RBUF (1 << 20)

typedef struct conn {
  int fd;
  char id[80];
  unsigned char *rbuf;
  size_t rlen;
} conn;

typedef struct pair {
  conn s, r;
  uint64_t sent, recv;
  double send_at[RING];
} pair;

static int peerjs_mode;
static const char *host;
static int port;
static uint32_t hist[HIST_US + 1];
static uint64_t hist_n, errors;
static char error_sample[160];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what) {
  printf("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
  exit(1);
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) { struct timespec t = {0, 50000}; nanosleep(&t, NULL); continue; }
      die("write");
    }
    p += n; len -= (size_t)n;
  }
}

/* Appends one masked (zero key) text frame carrying payload to out; returns its size. */
static size_t frame(unsigned char *out, const char *payload, size_t len) {
  size_t h = 0;
  out[h++] = 0x81;
  if (len < 126) out[h++] = 0x80 | (unsigned char)len;
  else { out[h++] = 0x80 | 126; out[h++] = (unsigned char)(len >> 8); out[h++] = (unsigned char)len; }
  memset(out + h, 0, 4); h += 4;
  memcpy(out + h, payload, len);
  return h + len;
}

static void send_text(conn *c, const char *s) {
  unsigned char buf[4096];
  size_t n = frame(buf, s, strlen(s));
  write_all(c->fd, buf, n);
}

static void ws_connect(conn *c, const char *path) {
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) die("socket");
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[1024];
  snprintf(req, sizeof req,
           "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
           path, host, port);
  write_all(c->fd, req, strlen(req));
  c->rbuf = malloc(RBUF);
  c->rlen = 0;
  for (;;) {
    ssize_t n = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
    if (n <= 0) die("upgrade read");
    c->rlen += (size_t)n;
    unsigned char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end) continue;
    if (!memmem(c->rbuf, (size_t)(end - c->rbuf), " 101 ", 5)) { errno = EPROTO; die("upgrade refused"); }
    size_t used = (size_t)(end - c->rbuf) + 4;
    memmove(c->rbuf, c->rbuf + used, c->rlen - used);
    c->rlen -= used;
    return;
  }
}

/* Parses whole frames in c->rbuf, calling fn for each text payload. Answers pings. */
typedef void (*frame_fn)(void *ud, const unsigned char *p, size_t len);
static void parse_frames(conn *c, frame_fn fn, void *ud) {
  size_t off = 0;
  while (c->rlen - off >= 2) {
    unsigned char *b = c->rbuf + off;
    int op = b[0] & 0x0f;
    uint64_t len = b[1] & 0x7f;
    size_t hl = 2;
    if (len == 126) { if (c->rlen - off < 4) break; len = ((uint64_t)b[2] << 8) | b[3]; hl = 4; }
    else if (len == 127) {
      if (c->rlen - off < 10) break;
      len = 0; for (int i = 0; i < 8; i++) len = (len << 8) | b[2 + i];
      hl = 10;
    }
    if (c->rlen - off < hl + len) break;
    if (op == 0x1 || op == 0x2 || op == 0x0) fn(ud, b + hl, (size_t)len);
    else if (op == 0x9) { /* ping -> pong, same payload */
      unsigned char out[256]; size_t h = 0;
      out[h++] = 0x8A; out[h++] = 0x80 | (unsigned char)(len & 0x7f);
      memset(out + h, 0, 4); h += 4;
      if (len < 126) { memcpy(out + h, b + hl, len); write_all(c->fd, out, h + len); }
    }
    off += hl + len;
  }
  memmove(c->rbuf, c->rbuf + off, c->rlen - off);
  c->rlen -= off;
}

/* Blocking: reads until one text frame arrives; copies it (NUL-terminated) to out. */
static char *hs_out;
static void hs_copy(void *ud, const unsigned char *p, size_t len) {
  (void)ud;
  if (hs_out) return;
  hs_out = malloc(len + 1);
  memcpy(hs_out, p, len);
  hs_out[len] = 0;
}
static char *read_text(conn *c) {
  hs_out = NULL;
  for (;;) {
    size_t before = c->rlen;
    parse_frames(c, hs_copy, NULL);
    (void)before;
    if (hs_out) return hs_out;
    ssize_t n = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
    if (n <= 0) die("handshake read");
    c->rlen += (size_t)n;
  }
}

static void json_str_field(const char *json, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(json, pat);
  out[0] = 0;
  if (!p) return;
  p += strlen(pat);
  size_t i = 0;
  while (*p && *p != '"' && i + 1 < cap) out[i++] = *p++;
  out[i] = 0;
}

static void peer_open(conn *c, const char *room) {
  if (peerjs_mode) {
    char path[256];
    snprintf(c->id, sizeof c->id, "%08x%08x%08x%08x", rand(), rand(), rand(), rand());
    snprintf(path, sizeof path, "/peerjs?key=peerjs&id=%s&token=%08x", c->id, rand());
    ws_connect(c, path);
    char *m = read_text(c);
    if (!strstr(m, "\"OPEN\"")) { fprintf(stderr, "peerjs: %s\n", m); errno = EPROTO; die("peerjs open"); }
    free(m);
    return;
  }
  ws_connect(c, "/signaling");
  send_text(c, "{\"type\":\"hello\",\"v\":1,\"appKey\":\"bench\"}");
  char *m = read_text(c);
  json_str_field(m, "peerId", c->id, sizeof c->id);
  if (!c->id[0]) { fprintf(stderr, "hello: %s\n", m); errno = EPROTO; die("hello"); }
  free(m);
  char join[256];
  snprintf(join, sizeof join, "{\"type\":\"join\",\"room\":\"%s\",\"userData\":{}}", room);
  send_text(c, join);
  for (;;) { /* peer_joined of earlier peers may not arrive before joined: skip others */
    m = read_text(c);
    int ok = strstr(m, "\"joined\"") != NULL, bad = strstr(m, "\"error\"") != NULL;
    if (bad) { fprintf(stderr, "join: %s\n", m); errno = EPROTO; die("join"); }
    free(m);
    if (ok) break;
  }
}

static size_t relay_msg(char *out, size_t cap, const char *to, uint64_t seq) {
  if (peerjs_mode)
    return (size_t)snprintf(out, cap,
      "{\"type\":\"CANDIDATE\",\"dst\":\"%s\",\"payload\":{\"candidate\":{\"candidate\":\"candidate:%llu 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0},\"type\":\"data\",\"connectionId\":\"dc_bench0000000000\"}}",
      to, (unsigned long long)seq);
  return (size_t)snprintf(out, cap,
    "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"candidate:%llu 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
    to, (unsigned long long)seq);
}

/* ---- the run ---- */

static pair *pairs;
static int npairs, window_;
static int saturate;     /* 1: refill the window on every receipt */
static int counting;
static uint64_t counted;
static double t_now;
static unsigned char *sbuf;
static size_t slen;

static void on_error_frame(const unsigned char *p, size_t len) {
  if (memmem(p, len, "\"error\"", 7) || memmem(p, len, "\"ERROR\"", 7) || memmem(p, len, "EXPIRE", 6)) {
    if (!errors) { size_t n = len < sizeof error_sample - 1 ? len : sizeof error_sample - 1;
      for (size_t i = 0; i < n; i++) error_sample[i] = (p[i] == '"' || p[i] == '\\') ? '\'' : (char)p[i];
      error_sample[n] = 0; }
    errors++;
  }
}

static void on_recv(void *ud, const unsigned char *p, size_t len) {
  pair *pr = ud;
  const unsigned char *c = memmem(p, len, "\"candidate:", 11);
  if (!c) { on_error_frame(p, len); return; }
  uint64_t seq = strtoull((const char *)c + 11, NULL, 10);
  pr->recv++;
  if (counting) {
    double lat_us = (t_now - pr->send_at[seq % RING]) * 1000.0;
    long b = lat_us < 0 ? 0 : (long)lat_us;
    if (b > HIST_US) b = HIST_US;
    hist[b]++; hist_n++; counted++;
  }
  if (saturate) {
    char msg[512];
    uint64_t s = pr->sent++;
    pr->send_at[s % RING] = t_now;
    size_t n = relay_msg(msg, sizeof msg, pr->r.id, s);
    slen += frame(sbuf + slen, msg, n);
  }
}

static void on_sender_frame(void *ud, const unsigned char *p, size_t len) { (void)ud; on_error_frame(p, len); }

static void send_one(pair *pr) {
  char msg[512];
  unsigned char f[600];
  uint64_t s = pr->sent++;
  pr->send_at[s % RING] = now_ms();
  size_t n = relay_msg(msg, sizeof msg, pr->r.id, s);
  write_all(pr->s.fd, f, frame(f, msg, n));
}

static void pump(int ep, int timeout_ms) {
  struct epoll_event ev[2 * MAX_PAIRS];
  int n = epoll_wait(ep, ev, 2 * MAX_PAIRS, timeout_ms);
  t_now = now_ms();
  for (int i = 0; i < n; i++) {
    uint64_t tag = ev[i].data.u64;
    pair *pr = &pairs[tag >> 1];
    conn *c = (tag & 1) ? &pr->r : &pr->s;
    for (;;) {
      ssize_t r = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, MSG_DONTWAIT);
      if (r <= 0) break;
      c->rlen += (size_t)r;
      slen = 0;
      if (tag & 1) parse_frames(c, on_recv, pr);
      else parse_frames(c, on_sender_frame, NULL);
      if (slen) write_all(pr->s.fd, sbuf, slen);
      if ((size_t)r < 65536) break;
    }
  }
}

static void hist_report(const char *name, double duration_ms, int last) {
  double q[3] = {0.5, 0.99, 1.0};
  double v[3] = {0, 0, 0};
  uint64_t acc = 0; int qi = 0; double sum = 0;
  for (long b = 0; b <= HIST_US && qi < 3; b++) {
    acc += hist[b]; sum += (double)hist[b] * b;
    while (qi < 3 && hist_n && acc >= (uint64_t)(q[qi] * (double)hist_n + (q[qi] < 1 ? 0.5 : 0))) { v[qi] = (b + 0.5) / 1000.0; qi++; }
  }
  printf("\"%s\":{\"n\":%llu,\"perSec\":%.1f,\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f}%s", name,
         (unsigned long long)hist_n, hist_n / (duration_ms / 1000.0), v[0], v[1], v[2], last ? "" : ",");
  (void)sum;
}

int main(int argc, char **argv) {
  if (argc < 10) { fprintf(stderr, "usage: relaygen skymesh|peerjs HOST PORT PAIRS WINDOW WARM_MS MEASURE_MS PACED_RATE PACED_MS\n"); return 2; }
  peerjs_mode = !strcmp(argv[1], "peerjs");
  host = argv[2]; port = atoi(argv[3]);
  npairs = atoi(argv[4]); window_ = atoi(argv[5]);
  double warm = atof(argv[6]), measure = atof(argv[7]), paced_rate = atof(argv[8]), paced_ms = atof(argv[9]);
  int server_pid = argc > 10 ? atoi(argv[10]) : 0;
  if (npairs < 1 || npairs > MAX_PAIRS || window_ < 1 || window_ > RING / 2) { fprintf(stderr, "bad pairs/window\n"); return 2; }
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  pairs = calloc((size_t)npairs, sizeof *pairs);
  sbuf = malloc((size_t)RBUF * 4);
  for (int k = 0; k < npairs; k++) {
    char room[32];
    snprintf(room, sizeof room, "relay-%d", k);
    peer_open(&pairs[k].s, room);
    peer_open(&pairs[k].r, room);
  }
  int ep = epoll_create1(0);
  for (int k = 0; k < npairs; k++) {
    struct epoll_event e = {.events = EPOLLIN};
    e.data.u64 = ((uint64_t)k << 1) | 1; epoll_ctl(ep, EPOLL_CTL_ADD, pairs[k].r.fd, &e);
    e.data.u64 = ((uint64_t)k << 1); epoll_ctl(ep, EPOLL_CTL_ADD, pairs[k].s.fd, &e);
  }
  /* leftovers from the handshake (peer_joined ...) */
  for (int k = 0; k < npairs; k++) { parse_frames(&pairs[k].r, on_sender_frame, NULL); parse_frames(&pairs[k].s, on_sender_frame, NULL); }

  printf("{\"pairs\":%d,\"window\":%d,", npairs, window_);
  /* saturation */
  saturate = 1;
  double t0 = now_ms();
  for (int k = 0; k < npairs; k++) for (int i = 0; i < window_; i++) send_one(&pairs[k]);
  while ((t_now = now_ms()) < t0 + warm) pump(ep, 5);
  counting = 1;
  double m0 = now_ms(), sc0 = proc_cpu_ms(server_pid), gc0 = self_cpu_ms();
  while (now_ms() < m0 + measure) pump(ep, 5);
  double m1 = now_ms(), sc1 = proc_cpu_ms(server_pid), gc1 = self_cpu_ms();
  counting = 0; saturate = 0;
  hist_report("saturated", m1 - m0, 0);
  printf("\"serverCpuShare\":%.3f,\"generatorCpuShare\":%.3f,", server_pid ? (sc1 - sc0) / (m1 - m0) : -1.0, (gc1 - gc0) / (m1 - m0));
  /* drain */
  double d0 = now_ms();
  for (;;) {
    uint64_t out = 0;
    for (int k = 0; k < npairs; k++) out += pairs[k].sent - pairs[k].recv;
    if (!out || now_ms() > d0 + 5000) { printf("\"undelivered\":%llu,", (unsigned long long)out); break; }
    pump(ep, 5);
  }
  /* paced */
  memset(hist, 0, sizeof hist); hist_n = 0; counted = 0;
  uint64_t sent0 = 0;
  for (int k = 0; k < npairs; k++) sent0 += pairs[k].sent;
  double p0 = now_ms();
  int rr = 0;
  uint64_t psent = 0;
  while ((t_now = now_ms()) < p0 + 200 + paced_ms) {
    counting = t_now >= p0 + 200;
    uint64_t due = (uint64_t)((t_now - p0) / 1000.0 * paced_rate);
    while (psent < due) { send_one(&pairs[rr]); rr = (rr + 1) % npairs; psent++; }
    pump(ep, 1);
  }
  counting = 1;
  double pd = now_ms();
  for (;;) {
    uint64_t out = 0;
    for (int k = 0; k < npairs; k++) out += pairs[k].sent - pairs[k].recv;
    if (!out || now_ms() > pd + 3000) break;
    pump(ep, 5);
  }
  hist_report("paced", paced_ms, 0);
  printf("\"offeredPerSec\":%.0f,\"errors\":%llu,\"errorSample\":\"%s\"}\n", paced_rate, (unsigned long long)errors, error_sample);
  fflush(stdout);
  for (int k = 0; k < npairs; k++) { close(pairs[k].s.fd); close(pairs[k].r.fd); }
  (void)sent0;
  return 0;
}
