// Owns Dunlin's batched UDP socket (Linux): recvmmsg into one shared buffer, one JS call per batch, sendmmsg of the answers.
//
// JS API (src/transport/native.ts wraps it):
//   open(host, port, v6, reusePort, bufferBytes, onBatch) -> [handle, in, lens, peers, out, meta, port, rcvbuf, sndbuf]
//   send(handle, m) -> answers sent (meta[3j..3j+2] = peer slot, offset in `out`, length)
//   sendTo(handle, bytes, peer) -> 0 or an errno name;  lastError(handle) -> errno name of the last failed send
//   close(handle)
// The socket is polled with uv_poll on the loop of the thread that opened it; this file starts no thread.
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOTS 64
// 64 KiB per slot: the largest UDP payload fits, so a datagram is never cut (only the pages the
// kernel writes become resident).
#define SLOT_BYTES 65536
#define PEER_BYTES 28 // sizeof(struct sockaddr_in6); an IPv4 peer uses the first 16
#define OUT_BYTES (SLOTS * 4096)
// recvmmsg rounds per readiness event: a flood on one socket must not starve the rest of the loop.
#define MAX_ROUNDS 8

enum { B_IN, B_LENS, B_PEERS, B_OUT, B_META, B_COUNT };

typedef struct sock {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int closed;
  int live; // owners left: the poll handle (until its close callback) and the JS handle (until finalized)
  int last_errno;
  napi_async_cleanup_hook_handle hook;
  napi_async_context actx;
  napi_ref cb;
  napi_ref bufs[B_COUNT];
  uint8_t *in, *peers, *out;
  int32_t *lens, *meta;
  struct mmsghdr rm[SLOTS], sm[SLOTS];
  struct iovec riov[SLOTS], siov[SLOTS];
} sock_t;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "dunlin_udp: " #call " failed");    \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, uv_err_name(-err), strerror(err));
  napi_value m, code, e, sc;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_create_error(env, code, m, &e);
  napi_set_named_property(env, e, "code", code);
  napi_set_named_property(env, e, "syscall", sc);
  napi_throw(env, e);
  return NULL;
}

static void release(sock_t *s) {
  if (--s->live == 0) free(s);
}

static void on_poll_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  if (s->hook != NULL) {
    // Closed because the environment is going away: tell Node the asynchronous cleanup is done.
    napi_async_cleanup_hook_handle hook = s->hook;
    s->hook = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
  release(s);
}

// Exactly once: stop polling, close the fd now, free the poll handle when libuv is done with it.
// `js` is 0 during environment teardown, where the references die with the environment.
static void do_close(sock_t *s, int js) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  close(s->fd);
  s->fd = -1;
  if (js) {
    if (s->hook != NULL) {
      napi_remove_async_cleanup_hook(s->hook);
      s->hook = NULL;
    }
    napi_delete_reference(s->env, s->cb);
    for (int i = 0; i < B_COUNT; i++) napi_delete_reference(s->env, s->bufs[i]);
    napi_async_destroy(s->env, s->actx);
  }
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
}

// A worker thread that ends (or crashes) without closing its socket: close it here, so no fd outlives the thread.
static void on_env_exit(napi_async_cleanup_hook_handle hook, void *arg) {
  sock_t *s = arg;
  s->hook = hook;
  do_close(s, 0);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  sock_t *s = data;
  do_close(s, 1);
  release(s);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  if (s->closed || status < 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv;
  napi_get_reference_value(env, s->cb, &cb);
  napi_get_global(env, &recv); // make_callback wants an object as `this`
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    for (int i = 0; i < SLOTS; i++) {
      s->rm[i].msg_hdr.msg_namelen = PEER_BYTES;
      s->rm[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(s->fd, s->rm, SLOTS, MSG_DONTWAIT, NULL);
    if (n <= 0) break; // EAGAIN: drained; other errors: the poll fires again if data is left
    for (int i = 0; i < n; i++) {
      s->lens[i] = (s->rm[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)s->rm[i].msg_len;
    }
    napi_value argv;
    napi_create_uint32(env, (uint32_t)n, &argv);
    // make_callback, not call_function: it runs the microtasks and nextTicks the batch queued.
    napi_status st = napi_make_callback(env, s->actx, recv, cb, 1, &argv, NULL);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
      break;
    }
    if (st != napi_ok) break;
    if (n < SLOTS) break; // fewer than asked: the queue is empty
  }
  napi_close_handle_scope(env, scope);
}

static sock_t *handle_of(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

static napi_value new_buffer(napi_env env, sock_t *s, int which, size_t bytes, void **data) {
  napi_value ab;
  if (napi_create_arraybuffer(env, bytes, data, &ab) != napi_ok) return NULL;
  // The reference keeps the ArrayBuffer (and so the pointer) alive while the socket is open.
  if (napi_create_reference(env, ab, 1, &s->bufs[which]) != napi_ok) return NULL;
  return ab;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[64];
  size_t hostlen;
  uint32_t port, bufbytes;
  bool v6, reuse;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hostlen));
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &v6));
  CHECK(napi_get_value_bool(env, argv[3], &reuse));
  CHECK(napi_get_value_uint32(env, argv[4], &bufbytes));

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sslen;
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_errno(env, "inet_pton", EINVAL);
    sslen = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_errno(env, "inet_pton", EINVAL);
    sslen = sizeof *a;
  }
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  // IPv6 sockets carry IPv6 only: IPv4 has its own socket (as with dgram's ipv6Only).
  if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) goto fail_setsockopt;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) goto fail_setsockopt;
  // Halve until accepted (Linux caps at net.core.rmem_max/wmem_max rather than failing, but not every kernel does).
  for (int opt = 0; opt < 2; opt++) {
    for (uint32_t size = bufbytes; size >= 65536; size >>= 1) {
      int v = (int)size;
      if (setsockopt(fd, SOL_SOCKET, opt ? SO_SNDBUF : SO_RCVBUF, &v, sizeof v) == 0) break;
    }
  }
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  socklen_t blen = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &blen);
  uint32_t bound = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
  int rcv = 0, snd = 0;
  socklen_t il = sizeof rcv;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &il);
  il = sizeof snd;
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &il);

  uv_loop_t *loop;
  sock_t *s = calloc(1, sizeof *s);
  if (s == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(s);
    close(fd);
    return throw_errno(env, "open", ENOMEM);
  }
  s->env = env;
  s->fd = fd;
  napi_value res[9];
  void *p;
  if ((res[1] = new_buffer(env, s, B_IN, (size_t)SLOTS * SLOT_BYTES, &p)) == NULL) goto fail_alloc;
  s->in = p;
  if ((res[2] = new_buffer(env, s, B_LENS, SLOTS * sizeof(int32_t), &p)) == NULL) goto fail_alloc;
  s->lens = p;
  if ((res[3] = new_buffer(env, s, B_PEERS, SLOTS * PEER_BYTES, &p)) == NULL) goto fail_alloc;
  s->peers = p;
  if ((res[4] = new_buffer(env, s, B_OUT, OUT_BYTES, &p)) == NULL) goto fail_alloc;
  s->out = p;
  if ((res[5] = new_buffer(env, s, B_META, SLOTS * 3 * sizeof(int32_t), &p)) == NULL) goto fail_alloc;
  s->meta = p;
  // Receive headers point at fixed slots once; only msg_namelen and msg_flags are reset per call.
  for (int i = 0; i < SLOTS; i++) {
    s->riov[i].iov_base = s->in + (size_t)i * SLOT_BYTES;
    s->riov[i].iov_len = SLOT_BYTES;
    s->rm[i].msg_hdr.msg_iov = &s->riov[i];
    s->rm[i].msg_hdr.msg_iovlen = 1;
    s->rm[i].msg_hdr.msg_name = s->peers + i * PEER_BYTES;
    s->sm[i].msg_hdr.msg_iov = &s->siov[i];
    s->sm[i].msg_hdr.msg_iovlen = 1;
  }
  napi_value name;
  CHECK(napi_create_reference(env, argv[5], 1, &s->cb));
  CHECK(napi_create_string_utf8(env, "dunlin:udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &s->actx));
  s->poll.data = s;
  if (uv_poll_init(loop, &s->poll, fd) != 0) goto fail_alloc;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  s->live = 2;
  CHECK(napi_add_async_cleanup_hook(env, on_env_exit, s, &s->hook));
  CHECK(napi_create_external(env, s, on_finalize, NULL, &res[0]));
  CHECK(napi_create_uint32(env, bound, &res[6]));
  CHECK(napi_create_int32(env, rcv, &res[7]));
  CHECK(napi_create_int32(env, snd, &res[8]));
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 9, &arr));
  for (uint32_t i = 0; i < 9; i++) CHECK(napi_set_element(env, arr, i, res[i]));
  return arr;

fail_alloc:
  for (int i = 0; i < B_COUNT; i++)
    if (s->bufs[i] != NULL) napi_delete_reference(env, s->bufs[i]);
  free(s);
  close(fd);
  return throw_errno(env, "open", ENOMEM);
fail_setsockopt: {
  int e = errno;
  close(fd);
  return throw_errno(env, "setsockopt", e);
}
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], res;
  uint32_t m;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = handle_of(env, argv[0]);
  CHECK(napi_get_value_uint32(env, argv[1], &m));
  int sent = 0;
  if (s != NULL && !s->closed) {
    if (m > SLOTS) m = SLOTS;
    int k = 0;
    for (uint32_t j = 0; j < m; j++) {
      int32_t slot = s->meta[3 * j], off = s->meta[3 * j + 1], len = s->meta[3 * j + 2];
      // JS wrote these; bounds are checked here all the same, a bad entry is skipped, never sent.
      if (slot < 0 || slot >= SLOTS || off < 0 || len <= 0 || off > OUT_BYTES - len) continue;
      uint8_t *peer = s->peers + slot * PEER_BYTES;
      s->sm[k].msg_hdr.msg_name = peer;
      s->sm[k].msg_hdr.msg_namelen = ((struct sockaddr *)peer)->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
      s->siov[k].iov_base = s->out + off;
      s->siov[k].iov_len = (size_t)len;
      k++;
    }
    // Bounded: each turn sends at least one message or gives one up. A full send buffer
    // (EAGAIN/ENOBUFS) drops the rest; dgram would queue them, but a DNS client retries.
    for (int i = 0; i < k;) {
      int r = sendmmsg(s->fd, s->sm + i, (unsigned)(k - i), MSG_DONTWAIT);
      if (r > 0) {
        i += r;
        sent += r;
        continue;
      }
      s->last_errno = errno;
      if (errno == EAGAIN || errno == ENOBUFS) break;
      i++; // this peer failed (EPERM from a firewall, EINVAL...): skip it, send the others
    }
  }
  CHECK(napi_create_int32(env, sent, &res));
  return res;
}

static napi_value js_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], res;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = handle_of(env, argv[0]);
  void *data, *peer;
  size_t len, plen;
  CHECK(napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL));
  CHECK(napi_get_typedarray_info(env, argv[2], NULL, &plen, &peer, NULL, NULL));
  int err = EBADF;
  if (s != NULL && !s->closed && plen >= PEER_BYTES) {
    socklen_t nl = ((struct sockaddr *)peer)->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    err = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)peer, nl) < 0 ? errno : 0;
  }
  if (err == 0) {
    CHECK(napi_create_int32(env, 0, &res));
  } else {
    CHECK(napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &res));
  }
  return res;
}

static napi_value js_last_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], res;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = handle_of(env, argv[0]);
  int e = s != NULL && s->last_errno != 0 ? s->last_errno : EBADF;
  CHECK(napi_create_string_utf8(env, uv_err_name(-e), NAPI_AUTO_LENGTH, &res));
  return res;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = handle_of(env, argv[0]);
  if (s != NULL) do_close(s, 1);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lastError", NULL, js_last_error, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  napi_value slots, slot, out;
  CHECK(napi_create_uint32(env, SLOTS, &slots));
  CHECK(napi_create_uint32(env, SLOT_BYTES, &slot));
  CHECK(napi_create_uint32(env, OUT_BYTES, &out));
  CHECK(napi_set_named_property(env, exports, "slots", slots));
  CHECK(napi_set_named_property(env, exports, "slotBytes", slot));
  CHECK(napi_set_named_property(env, exports, "outBytes", out));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
