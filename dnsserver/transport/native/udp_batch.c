// geodns_udp: batched UDP for the DNS server (Linux). One socket per handle; when it is readable, up to `batch`
// datagrams are read with one recvmmsg into a buffer JavaScript owns, JavaScript is called once for the whole
// batch (it writes the replies into a second buffer it owns), and the replies go out with one sendmmsg. With the
// reply cache (reply_cache.h) on, a datagram whose reply is kept is answered here, and JavaScript is called only
// for the datagrams of a batch that are not: a batch of kept replies never leaves C.
// Plain Node-API (node_api.h) and libuv (uv.h), both shipped with Node's headers: no other dependency.
//
// The memory JavaScript hands over at start(), per slot i of `batch`:
//   recv:  bytes [i * SLOT, (i + 1) * SLOT)  the datagram as received
//   meta:  int32 [i * META + 0] length, [+1] source port, [+2] 1 if the datagram was longer than SLOT (cut),
//          [+3] reply length written by JavaScript (0: no reply); replies lie one after another in `send`,
//          [+4] the reply cache: -1 answered from it (JavaScript skips the datagram), -2 not looked up, else the
//          slot a reply that holds for every source would take, [+5] the slot one that holds for the source's
//          network would take, [+6] written by JavaScript: 0 do not keep the reply, else 1 + the source prefix
//          length it holds for, [+7] with it: for how many milliseconds (-1: until forgotten)
//   hits:  uint32 per cache slot: the queries answered from it since JavaScript last counted them, and the top bit
//          (LISTED) once the slot is in dirty; dirty: int32 [0] count, then the slots listed (JavaScript reads
//          and resets both)
//   addr:  bytes [i * 16, i * 16 + 16)  the source address (4 bytes for IPv4, 16 for IPv6)
//   stats: float64 counters, see enum Stat (JavaScript reads and keeps them)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "reply_cache.h"

#define SLOT 65536
#define META 8
#define REFS 8
#define MAX_BATCH 1024
#define MAX_CACHE_ENTRIES (1u << 22)
#define LISTED 0x80000000u
/** Batches read per readable event before the event loop gets a turn (timers, worker messages, TCP). */
#define ROUNDS_PER_EVENT 8

enum Stat {
  STAT_BATCHES,
  STAT_DATAGRAMS,
  STAT_RECV_ERRORS,
  STAT_SEND_EAGAIN,
  STAT_SEND_ENOBUFS,
  STAT_SEND_OTHER,
  STAT_CUT,
  STAT_REPLIES,
  STAT_CACHE_HITS,
  STAT_CACHE_MISSES,
  STAT_CACHE_KEPT,
  STAT_COUNT
};

typedef struct Sock {
  napi_env env;
  int fd;
  int family;
  int started;
  int closed;
  uv_poll_t poll;
  unsigned batch;
  uint8_t *recv;
  uint8_t *send;
  size_t send_size;
  int32_t *meta;
  uint8_t *addr;
  double *stats;
  int cached; /* the reply cache is on */
  ReplyCache cache;
  ReplyMiss *misses;
  uint64_t now; /* CLOCK_MONOTONIC milliseconds, read once per readable event for the reply cache */
  size_t *reply_offsets;
  uint8_t *kept_replies; /* per datagram, REPLY_CACHE_BYTES + 2: a kept reply behind the query's ID */
  uint32_t *hits;
  int32_t *dirty;
  napi_ref refs[REFS]; /* recv, send, meta, addr, stats, callback, hits, dirty */
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  struct mmsghdr *rmsgs;
  struct iovec *riov;
  struct sockaddr_storage *names;
  struct mmsghdr *smsgs;
  struct iovec *siov;
} Sock;

#define CHECK(env, call)                                                                                               \
  do {                                                                                                                 \
    if ((call) != napi_ok) {                                                                                           \
      napi_throw_error((env), "EADDON", "geodns_udp: " #call " failed");                                               \
      return NULL;                                                                                                     \
    }                                                                                                                  \
  } while (0)

static const char *errno_code(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(e);
  if (name) return name;
#endif
  switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char message[160];
  snprintf(message, sizeof message, "%s %s (%s)", what, errno_code(e), strerror(e));
  napi_throw_error(env, errno_code(e), message);
  return NULL;
}

static Sock *sock_of(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "geodns_udp: not a socket handle");
    return NULL;
  }
  return (Sock *)data;
}

/* The socket handle a one-argument call (address, forget, close) was given, or NULL with a JavaScript error set. */
static Sock *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "geodns_udp: a socket handle is needed");
    return NULL;
  }
  return sock_of(env, argv[0]);
}

static int fill_sockaddr(int family, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

static void free_sock(Sock *s) {
  free(s->rmsgs);
  free(s->riov);
  free(s->names);
  free(s->smsgs);
  free(s->siov);
  free(s->misses);
  free(s->reply_offsets);
  free(s->kept_replies);
  reply_cache_free(&s->cache);
  free(s);
}

// open(family 4|6, host literal, port, reusePort, receiveBufferBytes) -> handle. Socket options as the dgram path:
// SO_REUSEPORT when asked, SO_RCVBUF (a failure there is not fatal, as with dgram's setRecvBufferSize).
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family = 0, port = 0, rcvbuf = 0;
  bool reuse = false;
  char host[64];
  size_t host_len = 0;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &family) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok || napi_get_value_bool(env, argv[3], &reuse) != napi_ok ||
      napi_get_value_int32(env, argv[4], &rcvbuf) != napi_ok || (family != 4 && family != 6) || port < 0 ||
      port > 65535) {
    napi_throw_type_error(env, NULL, "geodns_udp.open(family, host, port, reusePort, receiveBufferBytes)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t ss_len = 0;
  if (fill_sockaddr(family, host, port, &ss, &ss_len) != 0) return throw_errno(env, "bind", EINVAL);
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt SO_REUSEPORT", e);
  }
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  int rcvbuf_ok = 1;
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) rcvbuf_ok = 0;

  Sock *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  s->env = env;
  s->fd = fd;
  s->family = family;
  napi_value handle, result, value;
  CHECK(env, napi_create_external(env, s, NULL, NULL, &handle));
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_set_named_property(env, result, "handle", handle));
  CHECK(env, napi_get_boolean(env, rcvbuf_ok, &value));
  CHECK(env, napi_set_named_property(env, result, "receiveBufferSet", value));
  return result;
}

// address(handle) -> [address text, port] of the bound socket.
static napi_value js_address(napi_env env, napi_callback_info info) {
  Sock *s = handle_arg(env, info);
  if (!s) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (s->closed || getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, "getsockname", errno);
  char text[INET6_ADDRSTRLEN];
  int port;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  napi_value result, item;
  CHECK(env, napi_create_array_with_length(env, 2, &result));
  CHECK(env, napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &item));
  CHECK(env, napi_set_element(env, result, 0, item));
  CHECK(env, napi_create_int32(env, port, &item));
  CHECK(env, napi_set_element(env, result, 1, item));
  return result;
}

// ntop6(bytes, offset) -> the IPv6 text of the 16 bytes at offset (inet_ntop, as libuv and so dgram print it).
static napi_value js_ntop6(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  uint32_t offset = 0;
  if (argc < 2 || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &offset) != napi_ok || (size_t)offset + 16 > length) {
    napi_throw_type_error(env, NULL, "geodns_udp.ntop6(buffer, offset)");
    return NULL;
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, (uint8_t *)data + offset, text, sizeof text);
  napi_value result;
  CHECK(env, napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &result));
  return result;
}

static void set_message(Sock *s, unsigned k, unsigned i, uint8_t *reply, size_t length) {
  s->siov[k].iov_base = reply;
  s->siov[k].iov_len = length;
  memset(&s->smsgs[k].msg_hdr, 0, sizeof s->smsgs[k].msg_hdr);
  s->smsgs[k].msg_hdr.msg_iov = &s->siov[k];
  s->smsgs[k].msg_hdr.msg_iovlen = 1;
  s->smsgs[k].msg_hdr.msg_name = &s->names[i];
  s->smsgs[k].msg_hdr.msg_namelen = s->family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Sends the replies of a batch: the kept ones copied from the cache behind the query's own ID, the rest from
   `send`; then keeps the replies JavaScript marked. */
static void send_replies(Sock *s, unsigned n) {
  unsigned k = 0;
  size_t offset = 0;
  for (unsigned i = 0; i < n; i++) {
    int32_t *m = s->meta + i * META;
    if (m[4] == -1) {
      size_t length = 0;
      const uint8_t *kept = reply_cache_reply(&s->cache, m[5], &length);
      uint8_t *reply = s->kept_replies + (size_t)i * (REPLY_CACHE_BYTES + 2);
      memcpy(reply, s->recv + (size_t)i * SLOT, 2); /* the query's ID */
      memcpy(reply + 2, kept, length);
      set_message(s, k++, i, reply, length + 2);
      continue;
    }
    int32_t length = m[3];
    if (length <= 0) continue;
    if (offset + (size_t)length > s->send_size) break; /* JavaScript never writes past the buffer */
    s->reply_offsets[i] = offset;
    set_message(s, k++, i, s->send + offset, (size_t)length);
    offset += (size_t)length;
  }
  unsigned sent = 0;
  while (sent < k) {
    int r = sendmmsg(s->fd, s->smsgs + sent, k - sent, MSG_DONTWAIT);
    if (r > 0) {
      sent += (unsigned)r;
      s->stats[STAT_REPLIES] += r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    /* The error belongs to the first datagram not sent: count it, drop it (UDP), go on with the rest. */
    int e = r < 0 ? errno : EIO;
    if (e == EAGAIN || e == EWOULDBLOCK)
      s->stats[STAT_SEND_EAGAIN] += 1;
    else if (e == ENOBUFS)
      s->stats[STAT_SEND_ENOBUFS] += 1;
    else
      s->stats[STAT_SEND_OTHER] += 1;
    sent++;
  }
  if (!s->cached) return;
  for (unsigned i = 0; i < n; i++) {
    int32_t *m = s->meta + i * META;
    if (m[4] < 0 || m[6] <= 0 || m[3] <= 0 || s->reply_offsets[i] == (size_t)-1) continue;
    uint64_t expires = m[7] < 0 ? 0 : s->now + (uint64_t)m[7];
    if (reply_cache_keep(&s->cache, &s->misses[i], (unsigned)(m[6] - 1), expires, s->recv + (size_t)i * SLOT,
                         (size_t)m[0], s->addr + i * 16, s->send + s->reply_offsets[i], (size_t)m[3]) == 0)
      s->stats[STAT_CACHE_KEPT] += 1;
  }
}

/* Looks datagram i up in the reply cache: 1 when it is answered from it (counted in hits), else 0 with meta[4]
   and meta[5] offering the slots its reply may take. */
static int answered_from_cache(Sock *s, unsigned i) {
  int32_t *m = s->meta + i * META;
  m[4] = -2;
  m[6] = 0;
  s->reply_offsets[i] = (size_t)-1;
  if (!s->cached || m[2] || m[0] < 12) return 0;
  ReplyMiss *miss = &s->misses[i];
  int32_t slot =
      reply_cache_find(&s->cache, s->recv + (size_t)i * SLOT, (size_t)m[0], s->addr + i * 16, s->now, miss);
  if (slot < 0) {
    s->stats[STAT_CACHE_MISSES] += 1;
    m[4] = miss->any_slot;
    m[5] = miss->network_slot;
    return 0;
  }
  m[4] = -1;
  m[5] = slot;
  s->stats[STAT_CACHE_HITS] += 1;
  uint32_t hits = s->hits[slot];
  if (!(hits & LISTED)) {
    s->dirty[++s->dirty[0]] = slot;
    hits |= LISTED;
  }
  /* Saturating: where nothing takes the counts (no metrics endpoint), the count must never carry into LISTED, or
     the slot would be listed again past the end of dirty. */
  if ((hits & ~LISTED) != ~LISTED) hits++;
  s->hits[slot] = hits;
  return 1;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  Sock *s = (Sock *)poll->data;
  (void)events;
  if (s->closed) return;
  if (status < 0) {
    s->stats[STAT_RECV_ERRORS] += 1;
    return;
  }
  napi_env env = s->env;
  if (s->cached) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    s->now = (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
  }
  /* Opened at the first batch with a datagram the reply cache did not answer: an event whose batches all came
     from the cache does not enter JavaScript at all. */
  napi_handle_scope scope = NULL;
  napi_value callback = NULL, global = NULL, argv[1];
  /* One callback scope for all the rounds of this event: Node's per-callback work (async context, the nextTick
     and microtask queues) once per readable event, not once per batch. */
  napi_callback_scope callback_scope = NULL;
  napi_value thrown = NULL;
  for (int round = 0; round < ROUNDS_PER_EVENT && !s->closed; round++) {
    int n = recvmmsg(s->fd, s->rmsgs, s->batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) s->stats[STAT_RECV_ERRORS] += 1;
      break;
    }
    if (n == 0) break;
    s->stats[STAT_BATCHES] += 1;
    s->stats[STAT_DATAGRAMS] += n;
    int unanswered = 0;
    for (int i = 0; i < n; i++) {
      int32_t *m = s->meta + i * META;
      struct msghdr *h = &s->rmsgs[i].msg_hdr;
      m[0] = (int32_t)s->rmsgs[i].msg_len;
      m[2] = (h->msg_flags & MSG_TRUNC) ? 1 : 0;
      m[3] = 0;
      if (m[2]) s->stats[STAT_CUT] += 1;
      /* Only the headers recvmmsg filled need setting back for the next read; the reply's address length is the
         socket family's (send_replies). */
      h->msg_namelen = sizeof s->names[i];
      uint8_t *a = s->addr + i * 16;
      if (s->names[i].ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&s->names[i];
        m[1] = ntohs(sin->sin_port);
        memcpy(a, &sin->sin_addr, 4);
      } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->names[i];
        m[1] = ntohs(sin6->sin6_port);
        memcpy(a, &sin6->sin6_addr, 16);
      }
      if (!answered_from_cache(s, (unsigned)i)) unanswered++;
    }
    if (unanswered > 0) {
      if (!scope) {
        if (napi_open_handle_scope(env, &scope) != napi_ok) {
          scope = NULL;
          break;
        }
        if (napi_get_reference_value(env, s->refs[5], &callback) != napi_ok ||
            napi_get_global(env, &global) != napi_ok)
          break;
      }
      if (!callback_scope && napi_open_callback_scope(env, global, s->async, &callback_scope) != napi_ok) break;
      napi_create_int32(env, n, &argv[0]);
      napi_value ignored;
      napi_status called = napi_call_function(env, global, callback, 1, argv, &ignored);
      if (called == napi_pending_exception) {
        napi_get_and_clear_last_exception(env, &thrown);
        break;
      }
      if (called != napi_ok || s->closed) break;
    }
    send_replies(s, (unsigned)n);
    /* A short batch does not end the event: under load more datagrams have come while this one was answered, and
       reading them now saves the epoll_wait (and often the sleep) that would find them; an empty read ends it. */
  }
  if (callback_scope) napi_close_callback_scope(env, callback_scope);
  if (thrown) napi_fatal_exception(env, thrown);
  if (scope) napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *handle) {
  Sock *s = (Sock *)handle->data;
  if (s->cleanup) napi_remove_async_cleanup_hook(s->cleanup);
  free_sock(s);
}

// Stops reading and closes the socket; the memory goes when libuv has closed the poll handle.
static void close_sock(Sock *s, int release_refs) {
  if (s->closed) return;
  s->closed = 1;
  if (s->started) {
    uv_poll_stop(&s->poll);
    if (release_refs) {
      for (int i = 0; i < REFS; i++)
        if (s->refs[i]) napi_delete_reference(s->env, s->refs[i]);
      napi_async_destroy(s->env, s->async);
    }
  }
  close(s->fd);
  s->fd = -1;
  if (s->started)
    uv_close((uv_handle_t *)&s->poll, on_closed);
  else
    free_sock(s);
}

// The thread (a worker, or the process) ends with the socket open: close it, let libuv finish, then say so.
static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *data) {
  Sock *s = (Sock *)data;
  s->cleanup = handle;
  close_sock(s, 0);
}

static int ref_buffer(napi_env env, napi_value value, Sock *s, int index, void **data, size_t *length) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return -1;
  napi_typedarray_type type;
  size_t count, byte_offset;
  napi_value arraybuffer;
  if (napi_get_typedarray_info(env, value, &type, &count, data, &arraybuffer, &byte_offset) != napi_ok) return -1;
  size_t element = type == napi_int32_array || type == napi_uint32_array ? 4 : type == napi_float64_array ? 8 : 1;
  *length = count * element;
  return napi_create_reference(env, value, 1, &s->refs[index]) == napi_ok ? 0 : -1;
}

// start(handle, batch, recv Buffer, send Buffer, meta Int32Array, addr Buffer, stats Float64Array, onBatch(n),
//       cacheEntries (0: no reply cache), hits Uint32Array, dirty Int32Array (both of cacheSlots(cacheEntries)
//       elements, dirty one more))
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 11) {
    napi_throw_type_error(env, NULL, "geodns_udp.start: 11 arguments");
    return NULL;
  }
  Sock *s = sock_of(env, argv[0]);
  if (!s) return NULL;
  if (s->started || s->closed) {
    napi_throw_error(env, NULL, "geodns_udp.start: already started or closed");
    return NULL;
  }
  uint32_t batch = 0;
  if (napi_get_value_uint32(env, argv[1], &batch) != napi_ok || batch == 0 || batch > MAX_BATCH) {
    napi_throw_range_error(env, NULL, "geodns_udp.start: batch out of range");
    return NULL;
  }
  uint32_t cache_entries = 0;
  if (napi_get_value_uint32(env, argv[8], &cache_entries) != napi_ok || cache_entries > MAX_CACHE_ENTRIES) {
    napi_throw_range_error(env, NULL, "geodns_udp.start: cacheEntries out of range");
    return NULL;
  }
  size_t slots = cache_entries ? reply_cache_slots(cache_entries) : 0;
  void *recv, *send, *meta, *addr, *stats, *hits, *dirty;
  size_t recv_len, send_len, meta_len, addr_len, stats_len, hits_len, dirty_len;
  if (ref_buffer(env, argv[2], s, 0, &recv, &recv_len) || ref_buffer(env, argv[3], s, 1, &send, &send_len) ||
      ref_buffer(env, argv[4], s, 2, &meta, &meta_len) || ref_buffer(env, argv[5], s, 3, &addr, &addr_len) ||
      ref_buffer(env, argv[6], s, 4, &stats, &stats_len) ||
      napi_create_reference(env, argv[7], 1, &s->refs[5]) != napi_ok ||
      ref_buffer(env, argv[9], s, 6, &hits, &hits_len) || ref_buffer(env, argv[10], s, 7, &dirty, &dirty_len) ||
      recv_len < (size_t)batch * SLOT || meta_len < (size_t)batch * META * 4 || addr_len < (size_t)batch * 16 ||
      stats_len < STAT_COUNT * 8 || hits_len < slots * 4 || dirty_len < (slots + 1) * 4) {
    for (int i = 0; i < REFS; i++)
      if (s->refs[i]) napi_delete_reference(env, s->refs[i]), s->refs[i] = NULL;
    napi_throw_range_error(env, NULL, "geodns_udp.start: buffers too small");
    return NULL;
  }
  s->batch = batch;
  s->recv = recv;
  s->send = send;
  s->send_size = send_len;
  s->meta = meta;
  s->addr = addr;
  s->stats = stats;
  s->hits = hits;
  s->dirty = dirty;
  if (cache_entries) {
    s->kept_replies = malloc((size_t)batch * (REPLY_CACHE_BYTES + 2));
    if (!s->kept_replies || reply_cache_init(&s->cache, cache_entries, s->family) != 0)
      return throw_errno(env, "calloc", ENOMEM);
    s->cached = 1;
  }
  s->misses = calloc(batch, sizeof *s->misses);
  s->reply_offsets = calloc(batch, sizeof *s->reply_offsets);
  s->rmsgs = calloc(batch, sizeof *s->rmsgs);
  s->riov = calloc(batch, sizeof *s->riov);
  s->names = calloc(batch, sizeof *s->names);
  s->smsgs = calloc(batch, sizeof *s->smsgs);
  s->siov = calloc(batch, sizeof *s->siov);
  if (!s->rmsgs || !s->riov || !s->names || !s->smsgs || !s->siov || !s->misses || !s->reply_offsets) return throw_errno(env, "calloc", ENOMEM);
  for (uint32_t i = 0; i < batch; i++) {
    s->riov[i].iov_base = s->recv + (size_t)i * SLOT;
    s->riov[i].iov_len = SLOT;
    s->rmsgs[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsgs[i].msg_hdr.msg_iovlen = 1;
    s->rmsgs[i].msg_hdr.msg_name = &s->names[i];
  }
  for (uint32_t i = 0; i < batch; i++) s->rmsgs[i].msg_hdr.msg_namelen = sizeof s->names[i];
  napi_value name;
  CHECK(env, napi_create_string_utf8(env, "geodns:udp", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_async_init(env, NULL, name, &s->async));
  uv_loop_t *loop = NULL;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init_socket(loop, &s->poll, s->fd) != 0) return throw_errno(env, "uv_poll_init", EINVAL);
  s->poll.data = s;
  s->started = 1;
  int r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (r != 0) return throw_errno(env, "uv_poll_start", -r);
  CHECK(env, napi_add_async_cleanup_hook(env, on_env_teardown, s, &s->cleanup));
  return NULL;
}

// cacheSlots(entries) -> the slots of a reply cache asked for `entries` (what hits and dirty are sized by).
static napi_value js_cache_slots(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  uint32_t entries = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &entries) != napi_ok || entries == 0 ||
      entries > MAX_CACHE_ENTRIES) {
    napi_throw_range_error(env, NULL, "geodns_udp.cacheSlots(entries): 1 to 4194304 entries");
    return NULL;
  }
  CHECK(env, napi_create_uint32(env, (uint32_t)reply_cache_slots(entries), &result));
  return result;
}

// forget(handle): the reply cache forgets every reply (the answers changed). Repeats already counted in hits stay
// there for JavaScript to take.
static napi_value js_forget(napi_env env, napi_callback_info info) {
  Sock *s = handle_arg(env, info);
  if (!s) return NULL;
  if (s->cached) reply_cache_forget(&s->cache);
  return NULL;
}

// close(handle): stop, close the socket. Safe to call twice.
static napi_value js_close(napi_env env, napi_callback_info info) {
  Sock *s = handle_arg(env, info);
  if (!s) return NULL;
  if (s->closed) return NULL;
  if (s->cleanup) {
    napi_remove_async_cleanup_hook(s->cleanup);
    s->cleanup = NULL;
  }
  close_sock(s, 1);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"address", NULL, js_address, NULL, NULL, NULL, napi_default, NULL},
      {"ntop6", NULL, js_ntop6, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"forget", NULL, js_forget, NULL, NULL, NULL, napi_default, NULL},
      {"cacheSlots", NULL, js_cache_slots, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value slot, meta, stats, kept_bytes;
  napi_create_uint32(env, REPLY_CACHE_BYTES, &kept_bytes);
  napi_set_named_property(env, exports, "KEPT_BYTES", kept_bytes);
  napi_create_uint32(env, SLOT, &slot);
  napi_create_uint32(env, META, &meta);
  napi_create_uint32(env, STAT_COUNT, &stats);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "SLOT", slot);
  napi_set_named_property(env, exports, "META", meta);
  napi_set_named_property(env, exports, "STATS", stats);
  return exports;
}
