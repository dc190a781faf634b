/* Owns the C connection-churn load generator: connect, send one DNS query over TCP, read the answer, close; N connections in flight (epoll).
 *
 * usage: churn HOST PORT CONCURRENCY SECONDS QUERYFILE
 * QUERYFILE holds DNS messages already framed for TCP (2-byte length prefix, RFC 1035 section 4.2.2), back to back.
 * Prints one line: completed=N errors=N seconds=S conns_per_sec=R avg_latency_us=L
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING = 1, READING = 2 };

struct slot {
  int fd;
  int state;
  size_t got;
  size_t need;
  double started;
  unsigned char buf[65537];
};

static struct sockaddr_in server;
static unsigned char *queries;
static size_t *qoff;
static size_t qcount, qnext;
static int ep;
static unsigned long long completed, errors;
static double latency_sum;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_query(struct slot *s) {
  size_t off = qoff[qnext];
  size_t len = 2 + ((size_t)queries[off] << 8 | queries[off + 1]);
  qnext = (qnext + 1) % qcount;
  ssize_t w = send(s->fd, queries + off, len, MSG_NOSIGNAL);
  return w == (ssize_t)len ? 0 : -1;
}

static void start(struct slot *s, uint32_t idx) {
  for (;;) {
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { errors++; usleep(1000); continue; }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->got = 0;
    s->need = 0;
    s->started = now();
    int r = connect(s->fd, (struct sockaddr *)&server, sizeof server);
    struct epoll_event ev = { .data.u32 = idx };
    if (r == 0) {
      if (send_query(s) != 0) { errors++; close(s->fd); continue; }
      s->state = READING;
      ev.events = EPOLLIN;
    } else if (errno == EINPROGRESS) {
      s->state = CONNECTING;
      ev.events = EPOLLOUT;
    } else {
      errors++;
      close(s->fd);
      usleep(100);
      continue;
    }
    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
    return;
  }
}

static void finish(struct slot *s, uint32_t idx, int ok) {
  if (ok) {
    completed++;
    latency_sum += now() - s->started;
  } else {
    errors++;
  }
  close(s->fd);
  start(s, idx);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: churn HOST PORT CONCURRENCY SECONDS QUERYFILE\n");
    return 2;
  }
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) { fprintf(stderr, "bad host\n"); return 2; }
  int conc = atoi(argv[3]);
  double seconds = atof(argv[4]);
  if (conc < 1 || seconds <= 0) { fprintf(stderr, "bad concurrency or seconds\n"); return 2; }

  FILE *f = fopen(argv[5], "rb");
  if (!f) { perror("queryfile"); return 2; }
  struct stat st;
  fstat(fileno(f), &st);
  queries = malloc(st.st_size);
  if (fread(queries, 1, st.st_size, f) != (size_t)st.st_size) { fprintf(stderr, "short read\n"); return 2; }
  fclose(f);
  qoff = malloc(sizeof(size_t) * (st.st_size / 14 + 1));
  for (size_t off = 0; off + 2 <= (size_t)st.st_size;) {
    size_t len = (size_t)queries[off] << 8 | queries[off + 1];
    if (off + 2 + len > (size_t)st.st_size) break;
    qoff[qcount++] = off;
    off += 2 + len;
  }
  if (qcount == 0) { fprintf(stderr, "no queries in file\n"); return 2; }

  ep = epoll_create1(EPOLL_CLOEXEC);
  struct slot *slots = calloc(conc, sizeof *slots);
  double t0 = now();
  for (int i = 0; i < conc; i++) start(&slots[i], (uint32_t)i);

  struct epoll_event evs[256];
  double end = t0 + seconds;
  while (now() < end) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < n; i++) {
      uint32_t idx = evs[i].data.u32;
      struct slot *s = &slots[idx];
      if (s->state == CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0 || send_query(s) != 0) { finish(s, idx, 0); continue; }
        s->state = READING;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
        epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
        continue;
      }
      ssize_t r = recv(s->fd, s->buf + s->got, sizeof s->buf - s->got, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) { finish(s, idx, 0); continue; }
      s->got += (size_t)r;
      if (s->need == 0 && s->got >= 2) s->need = 2 + ((size_t)s->buf[0] << 8 | s->buf[1]);
      if (s->need != 0 && s->got >= s->need) finish(s, idx, 1);
    }
  }
  double elapsed = now() - t0;
  printf("completed=%llu errors=%llu seconds=%.3f conns_per_sec=%.1f avg_latency_us=%.1f\n", completed, errors, elapsed,
         completed / elapsed, completed ? latency_sum / completed * 1e6 : 0.0);
  return 0;
}
