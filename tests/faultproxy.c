/* faultproxy: see faultproxy.h. */
#include "tests/faultproxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define IO_CHUNK 16384

typedef struct conn conn;

struct fp_proxy {
  fp_config c;
  int lfd, port;
  int wake[2]; /* written once at stop: every poll sees it readable */
  pthread_t listener;
  pthread_mutex_t mu; /* seed, stats, conns */
  unsigned int seed;
  fp_stats stats;
  int chances; /* fault draws so far */
  conn *conns;
};

struct conn {
  fp_proxy *p;
  int cfd, ufd;
  pthread_t th;
  conn *next;
  int cut_dir, rst; /* cut_dir -1: no cut */
  size_t cut_at, sent[2];
  char head[HEAD_MAX];
  size_t head_len, body_left;
  int stalled; /* 1: request held from the server; 2: reply withheld */
  size_t reply_allow;
};

static double rnd(fp_proxy *p) {
  pthread_mutex_lock(&p->mu);
  double r = (double)rand_r(&p->seed) / ((double)RAND_MAX + 1.0);
  pthread_mutex_unlock(&p->mu);
  return r;
}

/* 1 when this connection or request gets a fault (share, budget). */
static int take_fault(fp_proxy *p) {
  int yes = 0;
  pthread_mutex_lock(&p->mu);
  double r = (double)rand_r(&p->seed) / ((double)RAND_MAX + 1.0);
  int forced = p->chances++ < p->c.first;
  if ((forced || r < p->c.share) &&
      (p->c.budget <= 0 || p->stats.faults < p->c.budget)) {
    p->stats.faults++;
    yes = 1;
  }
  pthread_mutex_unlock(&p->mu);
  return yes;
}

static int write_all(int fd, const char *b, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return 0;
    b += w;
    n -= (size_t)w;
  }
  return 1;
}

/* Forwards n bytes in direction dir (0: to server, 1: to client); 0 when
 * the connection must close (peer gone, or the cut point reached). */
static int cut_write(conn *c, int dir, int fd, const char *b, size_t n) {
  if (c->cut_dir == dir) {
    size_t allow = c->cut_at - c->sent[dir];
    if (n >= allow) {
      write_all(fd, b, allow);
      return 0;
    }
  }
  c->sent[dir] += n;
  return write_all(fd, b, n);
}

static size_t content_length(const char *head, size_t len) {
  char h[HEAD_MAX + 1];
  memcpy(h, head, len);
  h[len] = '\0';
  const char *v = strcasestr(h, "\r\ncontent-length:");
  return v ? (size_t)strtoull(v + 17, NULL, 10) : 0;
}

static void reply_error(conn *c) {
  static const char body[] =
      "{\"error\":\"unavailable\",\"reason\":\"the proxy says no\"}";
  char msg[512];
  int code = rnd(c->p) < 0.5 ? 500 : 503;
  int n = snprintf(msg, sizeof msg,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                   "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   code, code == 500 ? "Internal Server Error" : "Service Unavailable",
                   code == 503 ? "Retry-After: 1\r\n" : "", sizeof body - 1, body);
  write_all(c->cfd, msg, (size_t)n);
}

static int to_server(conn *c, const char *b, size_t n) {
  return c->stalled == 1 ? 1 : write_all(c->ufd, b, n);
}

/* Client bytes in error and stall modes: request by request. */
static int from_client(conn *c, const char *b, size_t n) {
  fp_mode mode = c->p->c.mode;
  if (mode == FP_PASS || mode == FP_CUT)
    return cut_write(c, 0, c->ufd, b, n);
  while (n > 0) {
    if (c->body_left > 0) {
      size_t k = n < c->body_left ? n : c->body_left;
      if (!to_server(c, b, k))
        return 0;
      b += k;
      n -= k;
      c->body_left -= k;
      continue;
    }
    size_t room = HEAD_MAX - c->head_len;
    size_t k = n < room ? n : room;
    if (k == 0)
      return 0;
    memcpy(c->head + c->head_len, b, k);
    const char *end = memmem(c->head, c->head_len + k, "\r\n\r\n", 4);
    if (!end) {
      c->head_len += k;
      b += k;
      n -= k;
      continue;
    }
    size_t hl = (size_t)(end + 4 - c->head), used = hl - c->head_len;
    pthread_mutex_lock(&c->p->mu);
    c->p->stats.requests++;
    pthread_mutex_unlock(&c->p->mu);
    if (take_fault(c->p)) {
      if (mode == FP_ERROR) {
        reply_error(c);
        return 0;
      }
      c->stalled = rnd(c->p) < 0.5 ? 1 : 2;
      c->reply_allow = (size_t)(rnd(c->p) * 200);
    }
    if (!to_server(c, c->head, hl))
      return 0;
    c->body_left = content_length(c->head, hl);
    c->head_len = 0;
    b += used;
    n -= used;
  }
  return 1;
}

static int from_server(conn *c, const char *b, size_t n) {
  fp_mode mode = c->p->c.mode;
  if (mode == FP_PASS || mode == FP_CUT)
    return cut_write(c, 1, c->cfd, b, n);
  if (c->stalled) { /* let a few bytes through, swallow the rest */
    size_t k = n < c->reply_allow ? n : c->reply_allow;
    c->reply_allow -= k;
    return k ? write_all(c->cfd, b, k) : 1;
  }
  return write_all(c->cfd, b, n);
}

static void *conn_main(void *ud) {
  conn *c = ud;
  char buf[IO_CHUNK];
  struct pollfd fds[3] = {{.fd = c->cfd, .events = POLLIN},
                          {.fd = c->ufd, .events = POLLIN},
                          {.fd = c->p->wake[0], .events = POLLIN}};
  for (;;) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fds[2].revents)
      break;
    if (fds[0].revents) {
      ssize_t n = recv(c->cfd, buf, sizeof buf, 0);
      if (n <= 0 || !from_client(c, buf, (size_t)n))
        break;
    }
    if (fds[1].revents) {
      ssize_t n = recv(c->ufd, buf, sizeof buf, 0);
      if (n <= 0 || !from_server(c, buf, (size_t)n))
        break;
    }
  }
  if (c->rst) { /* an abortive close: RST instead of FIN */
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    setsockopt(c->ufd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(c->cfd);
  close(c->ufd);
  c->cfd = c->ufd = -1;
  return NULL;
}

static int connect_upstream(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
    return fd;
  if (fd >= 0)
    close(fd);
  return -1;
}

static void *listen_main(void *ud) {
  fp_proxy *p = ud;
  struct pollfd fds[2] = {{.fd = p->lfd, .events = POLLIN},
                          {.fd = p->wake[0], .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0 && errno == EINTR)
      continue;
    if (fds[1].revents)
      break;
    int cfd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (cfd < 0)
      continue;
    int ufd = connect_upstream(p->c.upstream_port);
    conn *c = ufd >= 0 ? calloc(1, sizeof *c) : NULL;
    if (!c) {
      close(cfd);
      if (ufd >= 0)
        close(ufd);
      continue;
    }
    *c = (conn){.p = p, .cfd = cfd, .ufd = ufd, .cut_dir = -1};
    if (p->c.mode == FP_CUT && take_fault(p)) {
      c->cut_dir = rnd(p) < 0.5 ? 0 : 1;
      /* Replies are short: cut them within a tenth of the distance. */
      c->cut_at = (size_t)(rnd(p) * (double)p->c.max_cut * (c->cut_dir ? 0.1 : 1.0));
      c->rst = rnd(p) < 0.5;
    }
    pthread_mutex_lock(&p->mu);
    p->stats.connections++;
    c->next = p->conns;
    p->conns = c;
    pthread_mutex_unlock(&p->mu);
    pthread_create(&c->th, NULL, conn_main, c);
  }
  return NULL;
}

fp_proxy *fp_start(const fp_config *cfg) {
  fp_proxy *p = calloc(1, sizeof *p);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (!p)
    return NULL;
  p->c = *cfg;
  p->seed = cfg->seed;
  pthread_mutex_init(&p->mu, NULL);
  p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(p->lfd, 64) != 0 ||
      getsockname(p->lfd, (struct sockaddr *)&a, &alen) != 0 || pipe(p->wake) != 0) {
    perror("faultproxy");
    abort();
  }
  p->port = ntohs(a.sin_port);
  pthread_create(&p->listener, NULL, listen_main, p);
  return p;
}

int fp_port(const fp_proxy *p) {
  return p->port;
}

void fp_stats_get(fp_proxy *p, fp_stats *out) {
  pthread_mutex_lock(&p->mu);
  *out = p->stats;
  pthread_mutex_unlock(&p->mu);
}

void fp_set_share(fp_proxy *p, double share) {
  pthread_mutex_lock(&p->mu);
  p->c.share = share;
  pthread_mutex_unlock(&p->mu);
}

void fp_stop(fp_proxy *p) {
  if (!p)
    return;
  if (write(p->wake[1], "x", 1) != 1)
    perror("faultproxy: wake");
  pthread_join(p->listener, NULL);
  for (conn *c = p->conns, *next; c; c = next) {
    next = c->next;
    pthread_join(c->th, NULL);
    free(c);
  }
  close(p->lfd);
  close(p->wake[0]);
  close(p->wake[1]);
  pthread_mutex_destroy(&p->mu);
  free(p);
}
