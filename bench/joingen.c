/* joingen: the join-and-hold load generator for bench/server-load.mjs and
 * bench/server-scale.mjs.
 *
 * The node generator (`ws`, 200 handshakes in flight) was itself the bottleneck of the
 * joins phase: node above 100% of a core while skymesh-server sat near 40%, so both
 * servers measured the generator (~4k joins/s, ratio ~1.0). This one is C, as
 * relaygen.c: one thread, epoll (edge-triggered), non-blocking connect, a raw HTTP
 * upgrade and WebSocket frames masked with a zero key (valid per RFC 6455 5.3).
 *
 * It opens N peers with at most INFLIGHT handshakes in flight and sends exactly what
 * the node generator sends (bench/lib/signaling.mjs):
 *   skymesh: upgrade on /signaling, then hello; on welcome, join room
 *            PREFIX-(i / ROOM_SIZE) with empty userData; ready on joined.
 *   peerjs:  upgrade on /peerjs?key=peerjs&id=<32 hex>&token=<16 hex>; ready on OPEN.
 * Each attempt uses one index (a failed attempt is not retried), as the node workers
 * do. Past PORTS_PER_ADDRESS peers (0: never) it connects from 127.0.0.2, .3, ...: one
 * loopback address has ~28,000 ephemeral ports.
 *
 * When every attempt has ended (or DEADLINE_MS passed) it prints one JSON line:
 *   {"ready":..,"failures":..,"firstError":..,"rampMs":..,"serverCpuMs":..,"generatorCpuMs":..}
 * and then HOLDS the peers (the memory and relay phases run with them held): it keeps
 * reading their sockets (pings answered, broadcasts dropped) and reads commands on
 * stdin, one a line:
 *   held   prints {"held":K}: peers still open
 *   exit   (or end of stdin) closes everything and exits.
 *
 * usage: joingen skymesh|peerjs HOST PORT N INFLIGHT ROOM_SIZE ROOM_PREFIX DEADLINE_MS
 *                SERVER_PID PORTS_PER_ADDRESS
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

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* A handshake that has not finished within this is a failure, as in the node generator. */
#define ATTEMPT_TIMEOUT_MS 15000.0
#define STDIN_TAG UINT64_MAX
/* Reads go to one scratch buffer; a connection keeps bytes only for an unfinished frame. */
#define SCRATCH (256 * 1024)

enum state { S_UNUSED, S_CONNECTING, S_UPGRADING, S_AWAIT_WELCOME, S_AWAIT_JOINED, S_AWAIT_OPEN, S_READY, S_DONE };

typedef struct conn {
  int fd;
  uint8_t state;
  uint32_t pending_len;
  unsigned char *pending; /* owner: this conn; an unfinished upgrade reply or frame, else NULL */
  double started_ms;
} conn;

static int peerjs_mode;
static struct sockaddr_in server_addr;
static char host_header[128];
static int n_peers, inflight_max, room_size, ports_per_address;
static const char *room_prefix;
static conn *conns; /* owner: main, one per attempt, lives until exit */
static int epfd;
static int next_index, in_flight, ready_count, failure_count, held_count;
static int oldest_unresolved; /* attempts below this index have all ended */
static char first_error[200];
static unsigned char scratch[SCRATCH];
static uint64_t rng_state;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng_next(void) { /* xorshift64*: ids only need to be distinct */
  rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

/* The first failure's reason goes in the report, quotes and backslashes made harmless. */
static void note_error(const char *what, const unsigned char *detail, size_t detail_len) {
  if (first_error[0]) return;
  size_t n = (size_t)snprintf(first_error, sizeof first_error, "%s", what);
  for (size_t i = 0; detail && i < detail_len && n + 1 < sizeof first_error; i++) {
    unsigned char ch = detail[i];
    first_error[n++] = (ch == '"' || ch == '\\' || ch < 0x20) ? '\'' : (char)ch;
  }
  first_error[n] = 0;
}

static void release(conn *c) {
  free(c->pending);
  c->pending = NULL;
  c->pending_len = 0;
  if (c->fd >= 0) close(c->fd); /* also leaves the epoll set */
  c->fd = -1;
}

/* A handshake failed: the attempt is spent (the node generator does not retry either). */
static void fail(conn *c, const char *what, const unsigned char *detail, size_t detail_len) {
  note_error(what, detail, detail_len);
  release(c);
  c->state = S_DONE;
  in_flight--;
  failure_count++;
}

static void became_ready(conn *c) {
  c->state = S_READY;
  in_flight--;
  ready_count++;
  held_count++;
}

/* A peer that was ready closed (hold phase). */
static void lost(conn *c) {
  release(c);
  c->state = S_DONE;
  held_count--;
}

/* Small writes on a fresh socket never meet a full send buffer; a short one is a failure. */
static int send_all(conn *c, const void *buf, size_t len) {
  ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
  return n == (ssize_t)len ? 0 : -1;
}

/* One zero-masked text frame; the payloads here (hello, join) are well under 512 bytes. */
static int send_text(conn *c, const char *payload, size_t len) {
  unsigned char out[512];
  size_t h = 0;
  if (len > sizeof out - 8) return -1;
  out[h++] = 0x81;
  if (len < 126) out[h++] = 0x80 | (unsigned char)len;
  else { out[h++] = 0x80 | 126; out[h++] = (unsigned char)(len >> 8); out[h++] = (unsigned char)len; }
  memset(out + h, 0, 4); h += 4;
  memcpy(out + h, payload, len);
  return send_all(c, out, h + len);
}

static int has(const unsigned char *p, size_t len, const char *needle) {
  return memmem(p, len, needle, strlen(needle)) != NULL;
}

/* One whole text frame from the server, by the connection's state. */
static void on_text(conn *c, uint32_t index, const unsigned char *p, size_t len) {
  switch (c->state) {
  case S_AWAIT_WELCOME:
    if (has(p, len, "\"type\":\"welcome\"")) {
      char join[200];
      int n = snprintf(join, sizeof join, "{\"type\":\"join\",\"room\":\"%s-%u\",\"userData\":{}}", room_prefix,
                       index / (uint32_t)room_size);
      if (send_text(c, join, (size_t)n) < 0) { fail(c, "join write failed", NULL, 0); return; }
      c->state = S_AWAIT_JOINED;
    } else if (has(p, len, "\"type\":\"error\"")) fail(c, "hello: ", p, len);
    break;
  case S_AWAIT_JOINED:
    if (has(p, len, "\"type\":\"joined\"")) became_ready(c);
    else if (has(p, len, "\"type\":\"error\"")) fail(c, "join: ", p, len);
    break; /* anything else (none expected before joined) is not an answer */
  case S_AWAIT_OPEN:
    if (has(p, len, "\"type\":\"OPEN\"")) became_ready(c);
    else if (has(p, len, "\"type\":\"ERROR\"") || has(p, len, "\"type\":\"ID-TAKEN\"")) fail(c, "peerjs: ", p, len);
    break;
  default: break; /* held: peer_joined broadcasts, HEARTBEAT ... dropped */
  }
}

/* Whole frames from buf; returns the bytes consumed (the rest is an unfinished frame). */
static size_t parse_frames(conn *c, uint32_t index, const unsigned char *buf, size_t len) {
  size_t off = 0;
  while (len - off >= 2 && c->fd >= 0) {
    const unsigned char *b = buf + off;
    int op = b[0] & 0x0f;
    uint64_t plen = b[1] & 0x7f;
    size_t hl = 2;
    if (plen == 126) { if (len - off < 4) break; plen = ((uint64_t)b[2] << 8) | b[3]; hl = 4; }
    else if (plen == 127) {
      if (len - off < 10) break;
      plen = 0;
      for (int i = 0; i < 8; i++) plen = (plen << 8) | b[2 + i];
      hl = 10;
    }
    if (plen > SCRATCH || len - off < hl + plen) break;
    const unsigned char *payload = b + hl;
    if (op == 0x1 || op == 0x2 || op == 0x0) on_text(c, index, payload, (size_t)plen);
    else if (op == 0x9 && plen < 126) { /* ping -> pong with the same payload */
      unsigned char out[6 + 125];
      out[0] = 0x8A; out[1] = 0x80 | (unsigned char)plen;
      memset(out + 2, 0, 4);
      memcpy(out + 6, payload, (size_t)plen);
      (void)send_all(c, out, 6 + (size_t)plen);
    } else if (op == 0x8) { /* close: the server is done with this peer */
      if (c->state == S_READY) lost(c);
      else fail(c, "closed by the server: ", payload, (size_t)plen);
      return len;
    }
    off += hl + (size_t)plen;
  }
  return off;
}

/* The upgrade reply, then frames. Returns the bytes consumed. */
static size_t on_bytes(conn *c, uint32_t index, const unsigned char *buf, size_t len) {
  size_t off = 0;
  if (c->state == S_UPGRADING) {
    const unsigned char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) return 0;
    const unsigned char *eol = memmem(buf, len, "\r\n", 2);
    if (!memmem(buf, (size_t)(eol - buf), " 101 ", 5)) { fail(c, "upgrade refused: ", buf, (size_t)(eol - buf)); return len; }
    off = (size_t)(end - buf) + 4;
    if (peerjs_mode) c->state = S_AWAIT_OPEN;
    else {
      static const char hello[] = "{\"type\":\"hello\",\"v\":1,\"appKey\":\"bench\"}";
      if (send_text(c, hello, sizeof hello - 1) < 0) { fail(c, "hello write failed", NULL, 0); return len; }
      c->state = S_AWAIT_WELCOME;
    }
  }
  return off + parse_frames(c, index, buf + off, len - off);
}

static void on_readable(conn *c, uint32_t index, int peer_closed) {
  for (;;) {
    size_t have = c->pending_len;
    if (have) memcpy(scratch, c->pending, have);
    ssize_t n = recv(c->fd, scratch + have, SCRATCH - have, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      if (c->state == S_READY) lost(c);
      else fail(c, n == 0 ? "closed before ready" : "read failed", NULL, 0);
      return;
    }
    size_t total = have + (size_t)n;
    size_t used = on_bytes(c, index, scratch, total);
    if (c->fd < 0) return;
    free(c->pending);
    c->pending = NULL;
    c->pending_len = (uint32_t)(total - used);
    if (c->pending_len) {
      c->pending = malloc(c->pending_len); /* owner: c, freed when consumed or released */
      if (!c->pending) { fail(c, "out of memory", NULL, 0); return; }
      memcpy(c->pending, scratch + used, c->pending_len);
    }
    /* Edge-triggered: a short read drained the socket, and more data brings a new event;
     * after the peer's FIN no event follows, so read on to the end of file. */
    if ((size_t)n < SCRATCH - have && !peer_closed) return;
  }
}

static void on_connected(conn *c) {
  char req[600];
  int n;
  if (peerjs_mode)
    n = snprintf(req, sizeof req,
                 "GET /peerjs?key=peerjs&id=%016llx%016llx&token=%016llx HTTP/1.1\r\nHost: %s\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 (unsigned long long)rng_next(), (unsigned long long)rng_next(), (unsigned long long)rng_next(), host_header);
  else
    n = snprintf(req, sizeof req,
                 "GET /signaling HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 host_header);
  if (send_all(c, req, (size_t)n) < 0) { fail(c, "connect failed: ", (const unsigned char *)strerror(errno), strlen(strerror(errno))); return; }
  c->state = S_UPGRADING;
}

static void start_attempt(int index) {
  conn *c = &conns[index];
  c->started_ms = now_ms();
  c->state = S_CONNECTING;
  in_flight++;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) { fail(c, "socket: ", (const unsigned char *)strerror(errno), strlen(strerror(errno))); return; }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (ports_per_address && index >= ports_per_address) {
    /* Source 127.0.0.K; the port is chosen at connect() (by the 4-tuple), not by a
     * bind()-time search over every port in use, which slows with each one. */
    struct sockaddr_in from = {0};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(index / ports_per_address));
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(c->fd, (struct sockaddr *)&from, sizeof from) < 0) {
      fail(c, "bind: ", (const unsigned char *)strerror(errno), strlen(strerror(errno)));
      return;
    }
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = (uint64_t)index};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) { fail(c, "epoll_ctl: ", (const unsigned char *)strerror(errno), strlen(strerror(errno))); return; }
  if (connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0 && errno != EINPROGRESS) {
    fail(c, "connect: ", (const unsigned char *)strerror(errno), strlen(strerror(errno)));
    return;
  }
  /* Connected or not, the first EPOLLOUT edge says the handshake is done. */
}

static void on_event(uint32_t index, uint32_t events) {
  conn *c = &conns[index];
  if (c->fd < 0) return;
  if (c->state == S_CONNECTING) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
      fail(c, "connect: ", (const unsigned char *)strerror(err), strlen(strerror(err)));
      return;
    }
    if (!(events & EPOLLOUT)) return;
    on_connected(c);
    if (c->fd < 0) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c, index, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

static void pump(int timeout_ms) {
  static struct epoll_event evs[1024];
  int n = epoll_wait(epfd, evs, 1024, timeout_ms);
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u64 == STDIN_TAG) continue; /* read by the hold loop */
    on_event((uint32_t)evs[i].data.u64, evs[i].events);
  }
}

/* Attempts older than ATTEMPT_TIMEOUT_MS fail; they are near the oldest unresolved index. */
static void expire_attempts(double t, int all) {
  while (oldest_unresolved < next_index && (conns[oldest_unresolved].state == S_READY || conns[oldest_unresolved].state == S_DONE))
    oldest_unresolved++;
  for (int i = oldest_unresolved; i < next_index; i++) {
    conn *c = &conns[i];
    if (c->state == S_READY || c->state == S_DONE) continue;
    if (all || t - c->started_ms > ATTEMPT_TIMEOUT_MS) fail(c, all ? "deadline reached before ready" : "timed out", NULL, 0);
  }
}

/* Hold phase: keep the ready peers (pings, close) and answer commands on stdin. */
static void hold(void) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STDIN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
  char line[256];
  size_t line_len = 0;
  struct epoll_event evs[1024];
  for (;;) {
    int n = epoll_wait(epfd, evs, 1024, -1);
    int stdin_ready = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u64 == STDIN_TAG) stdin_ready = 1;
      else on_event((uint32_t)evs[i].data.u64, evs[i].events);
    }
    if (!stdin_ready) continue;
    ssize_t r = read(STDIN_FILENO, line + line_len, sizeof line - 1 - line_len);
    if (r <= 0) return; /* end of stdin: the bench is done (or gone) */
    line_len += (size_t)r;
    line[line_len] = 0;
    char *nl;
    while ((nl = strchr(line, '\n'))) {
      *nl = 0;
      if (!strcmp(line, "exit")) return;
      if (!strcmp(line, "held")) {
        pump(0); /* closes already queued count before the answer */
        printf("{\"held\":%d}\n", held_count);
        fflush(stdout);
      }
      size_t rest = line_len - (size_t)(nl + 1 - line);
      memmove(line, nl + 1, rest + 1);
      line_len = rest;
    }
    if (line_len == sizeof line - 1) line_len = 0; /* an overlong line is not a command */
  }
}

int main(int argc, char **argv) {
  if (argc < 11) {
    fprintf(stderr, "usage: joingen skymesh|peerjs HOST PORT N INFLIGHT ROOM_SIZE ROOM_PREFIX DEADLINE_MS SERVER_PID PORTS_PER_ADDRESS\n");
    return 2;
  }
  peerjs_mode = !strcmp(argv[1], "peerjs");
  const char *host = argv[2];
  int port = atoi(argv[3]);
  n_peers = atoi(argv[4]);
  inflight_max = atoi(argv[5]);
  room_size = atoi(argv[6]);
  room_prefix = argv[7];
  double deadline_ms = atof(argv[8]);
  int server_pid = atoi(argv[9]);
  ports_per_address = atoi(argv[10]);
  if (n_peers < 1 || inflight_max < 1 || room_size < 1 || strlen(room_prefix) > 100) { fprintf(stderr, "joingen: bad arguments\n"); return 2; }
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &server_addr.sin_addr) != 1) { fprintf(stderr, "joingen: bad host\n"); return 2; }
  snprintf(host_header, sizeof host_header, "%s:%d", host, port);
  rng_state = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;

  /* One descriptor per peer: take the whole hard limit (bench/run raised it). */
  struct rlimit rl;
  if (!getrlimit(RLIMIT_NOFILE, &rl)) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

  conns = calloc((size_t)n_peers, sizeof *conns);
  if (!conns) { fprintf(stderr, "joingen: out of memory\n"); return 1; }
  for (int i = 0; i < n_peers; i++) conns[i].fd = -1;
  epfd = epoll_create1(EPOLL_CLOEXEC);

  double t0 = now_ms(), server0 = proc_cpu_ms(server_pid), self0 = self_cpu_ms();
  double last_expiry = t0;
  for (;;) {
    double t = now_ms();
    if (t - t0 > deadline_ms) break;
    while (in_flight < inflight_max && next_index < n_peers) start_attempt(next_index++);
    if (next_index == n_peers && in_flight == 0) break;
    if (failure_count > 50 && ready_count == 0) break; /* the server is not there: stop early */
    pump(5);
    if (t - last_expiry > 250) { expire_attempts(t, 0); last_expiry = t; }
  }
  double t1 = now_ms(), server1 = proc_cpu_ms(server_pid), self1 = self_cpu_ms();
  expire_attempts(t1, 1);
  printf("{\"attempted\":%d,\"ready\":%d,\"failures\":%d,\"firstError\":%s%s%s,\"rampMs\":%.1f,\"serverCpuMs\":%.1f,\"generatorCpuMs\":%.1f}\n",
         next_index, ready_count, failure_count, first_error[0] ? "\"" : "", first_error[0] ? first_error : "null",
         first_error[0] ? "\"" : "", t1 - t0, server_pid ? server1 - server0 : -1.0, self1 - self0);
  fflush(stdout);
  hold();
  for (int i = 0; i < n_peers; i++) release(&conns[i]);
  free(conns);
  close(epfd);
  return 0;
}
