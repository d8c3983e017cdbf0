/* Malloc-free output helpers for the test targets.
 *
 * The targets record "truth" about their own heap, so nothing on the recording path may
 * call malloc: stdio would allocate its buffers lazily and snprintf's behaviour is not
 * something we want to depend on. Everything here formats into caller-provided storage
 * and writes with write(2). */
#ifndef ARENASCOPE_TARGET_RAW_OUT_H
#define ARENASCOPE_TARGET_RAW_OUT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* An append buffer that flushes to `fd` when full (fd < 0: keeps only, sets `overflow`). */
struct raw_out {
  char *data;
  size_t len;
  size_t cap;
  int fd;
  int overflow;
  int write_error;
};

static __attribute__((unused)) void raw_write_all(int fd, const char *data, size_t len, int *error) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error) *error = errno;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

static __attribute__((unused)) void raw_flush(struct raw_out *o) {
  if (o->fd >= 0 && o->len > 0) raw_write_all(o->fd, o->data, o->len, &o->write_error);
  if (o->fd >= 0) o->len = 0;
}

static __attribute__((unused)) void raw_bytes(struct raw_out *o, const char *s, size_t n) {
  while (n > 0) {
    if (o->len == o->cap) {
      if (o->fd < 0) {
        o->overflow = 1;
        return;
      }
      raw_flush(o);
    }
    size_t room = o->cap - o->len;
    size_t take = n < room ? n : room;
    memcpy(o->data + o->len, s, take);
    o->len += take;
    s += take;
    n -= take;
  }
}

static __attribute__((unused)) void raw_str(struct raw_out *o, const char *s) { raw_bytes(o, s, strlen(s)); }

static __attribute__((unused)) void raw_u64(struct raw_out *o, uint64_t v) {
  char tmp[24];
  int i = (int)sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  raw_bytes(o, tmp + i, sizeof tmp - (size_t)i);
}

static __attribute__((unused)) void raw_i64(struct raw_out *o, int64_t v) {
  if (v < 0) {
    raw_bytes(o, "-", 1);
    raw_u64(o, (uint64_t)0 - (uint64_t)v);
  } else {
    raw_u64(o, (uint64_t)v);
  }
}

/* "0x"-prefixed lower-case hex. */
static __attribute__((unused)) void raw_hex(struct raw_out *o, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[18];
  int i = (int)sizeof tmp;
  do {
    tmp[--i] = digits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  tmp[--i] = 'x';
  tmp[--i] = '0';
  raw_bytes(o, tmp + i, sizeof tmp - (size_t)i);
}

/* JSON string body escaping for the printable ASCII the targets emit. */
static __attribute__((unused)) void raw_json_str(struct raw_out *o, const char *s, size_t n) {
  raw_bytes(o, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '"' || c == '\\') {
      raw_bytes(o, "\\", 1);
      raw_bytes(o, &c, 1);
    } else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
      static const char digits[] = "0123456789abcdef";
      char esc[6] = {'\\', 'u', '0', '0', digits[((unsigned char)c >> 4) & 0xf], digits[c & 0xf]};
      raw_bytes(o, esc, sizeof esc);
    } else {
      raw_bytes(o, &c, 1);
    }
  }
  raw_bytes(o, "\"", 1);
}

/* Writes `line` to stdout in one write(2) (READY/TRIMMED protocol lines). */
static __attribute__((unused)) void raw_say(const char *line) { raw_write_all(1, line, strlen(line), NULL); }

static __attribute__((unused)) void raw_die(const char *what) {
  raw_write_all(2, "target error: ", 14, NULL);
  raw_write_all(2, what, strlen(what), NULL);
  raw_write_all(2, "\n", 1, NULL);
  _exit(2);
}

/* Joins dir + "/" + name into `dst` (static storage owned by the caller). */
static __attribute__((unused)) void raw_path(char *dst, size_t cap, const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  if (a + 1 + b + 1 > cap) raw_die("path too long");
  memcpy(dst, dir, a);
  dst[a] = '/';
  memcpy(dst + a + 1, name, b + 1);
}

/* Writes a whole file atomically: `<path>.tmp` then rename(2), so readers never see a half file. */
static __attribute__((unused)) int raw_write_file(const char *dir, const char *name, const char *data, size_t len) {
  static char path_buf[4096], tmp_buf[4096];
  raw_path(path_buf, sizeof path_buf, dir, name);
  size_t n = strlen(path_buf);
  if (n + 5 > sizeof tmp_buf) raw_die("path too long");
  memcpy(tmp_buf, path_buf, n);
  memcpy(tmp_buf + n, ".tmp", 5);
  int fd = open(tmp_buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  int err = 0;
  raw_write_all(fd, data, len, &err);
  close(fd);
  if (err != 0) return -1;
  return rename(tmp_buf, path_buf);
}

/* Opens `<dir>/<name>.tmp` for streaming output; finish with raw_finish_stream. */
static __attribute__((unused)) int raw_open_stream(const char *dir, const char *name) {
  static char tmp_buf[4096];
  raw_path(tmp_buf, sizeof tmp_buf - 5, dir, name);
  strcat(tmp_buf, ".tmp");
  return open(tmp_buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static __attribute__((unused)) int raw_finish_stream(int fd, const char *dir, const char *name) {
  static char path_buf[4096], tmp_buf[4096];
  close(fd);
  raw_path(path_buf, sizeof path_buf, dir, name);
  raw_path(tmp_buf, sizeof tmp_buf - 5, dir, name);
  strcat(tmp_buf, ".tmp");
  return rename(tmp_buf, path_buf);
}

/* Reads one '\n'-terminated line from fd into buf (NUL-terminated, newline stripped).
 * Returns the length, or -1 on EOF/error. Bytes after the newline stay in a static
 * carry-over buffer for the next call. */
static __attribute__((unused)) ssize_t raw_read_line(int fd, char *buf, size_t cap) {
  static char pending[4096];
  static size_t pending_len;
  for (;;) {
    for (size_t i = 0; i < pending_len; i++) {
      if (pending[i] == '\n') {
        size_t n = i < cap - 1 ? i : cap - 1;
        memcpy(buf, pending, n);
        buf[n] = '\0';
        memmove(pending, pending + i + 1, pending_len - i - 1);
        pending_len -= i + 1;
        return (ssize_t)n;
      }
    }
    if (pending_len == sizeof pending) pending_len = 0; /* over-long line: drop it */
    ssize_t r = read(fd, pending + pending_len, sizeof pending - pending_len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    pending_len += (size_t)r;
  }
}

/* Reads a whole small file (e.g. /proc/self/maps) into buf; returns length or -1. */
static __attribute__((unused)) ssize_t raw_read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  for (;;) {
    if (len == cap) break;
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  return (ssize_t)len;
}

static __attribute__((unused)) uint64_t raw_parse_hex(const char **p) {
  uint64_t v = 0;
  for (;;) {
    char c = **p;
    if (c >= '0' && c <= '9') v = v * 16 + (uint64_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v = v * 16 + (uint64_t)(c - 'a' + 10);
    else break;
    (*p)++;
  }
  return v;
}

/* Finds the /proc/self/maps VMA containing addr. Returns 0 on success. */
static __attribute__((unused)) int raw_find_vma(uintptr_t addr, uintptr_t *start, uintptr_t *end) {
  static char maps[1 << 20];
  static int maps_lock; /* the buffer is shared; threads may call this concurrently */
  while (__atomic_exchange_n(&maps_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
  int rc = -1;
  ssize_t n = raw_read_file("/proc/self/maps", maps, sizeof maps - 1);
  if (n >= 0) {
    maps[n] = '\0';
    const char *p = maps;
    while (*p) {
      uint64_t s = raw_parse_hex(&p);
      if (*p == '-') p++;
      uint64_t e = raw_parse_hex(&p);
      if (addr >= s && addr < e) {
        *start = (uintptr_t)s;
        *end = (uintptr_t)e;
        rc = 0;
        break;
      }
      while (*p && *p != '\n') p++;
      if (*p) p++;
    }
  }
  __atomic_store_n(&maps_lock, 0, __ATOMIC_RELEASE);
  return rc;
}

#endif
