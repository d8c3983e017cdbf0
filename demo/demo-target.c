/*
 * demo-target: a small multi-threaded program whose glibc malloc arenas are
 * worth looking at with arenascope.
 *
 * Every worker thread gets its own arena (glibc hands each new thread a fresh
 * arena while narenas is below 8 * cores, malloc/arena.c arena_get2) and slowly
 * fills it with text: log lines, JSON documents, SQL statements and a few fake
 * secrets. It frees some of that text again, but never two neighbouring
 * allocations, so the freed chunks cannot coalesce with each other or with the
 * top chunk: they stay in the bins and stay resident, exactly the "free but
 * resident" memory arenascope reports. Growth is capped per thread, after
 * which each thread only replaces old text at a low rate.
 *
 * The program ends when its parent ends (PR_SET_PDEATHSIG plus a getppid()
 * check for the race where the parent died before prctl), so quitting
 * `arenascope demo` always ends it too.
 *
 * Usage: demo-target [--threads N] [--cap-mib N] [--ramp-seconds N] [--verbose]
 * --verbose says on stderr when the workers are started and when each one
 * reaches its cap ("demo-target: worker-N capped"), so a caller can wait for
 * the heaps to settle instead of guessing how long that takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* One tick of work per thread every 100 ms. */
#define TICK_NS 100000000L
/* Upper bound on the slots a thread keeps; the byte cap normally binds first. */
#define MAX_SLOTS 200000
/* Allocations stay far below the default 128 KiB mmap threshold
 * (DEFAULT_MMAP_THRESHOLD_MIN, malloc/malloc.c), so all of them land in the
 * thread's arena rather than in separate mmapped chunks. */
#define MAX_TEXT 6000

struct options {
  int threads;
  size_t cap_bytes;
  int ramp_seconds;
  int verbose;
};

struct worker {
  int index;
  struct options opt;
  uint64_t rng;
  char **slots;
  size_t *sizes;
  size_t nslots;
  size_t live_bytes;
  unsigned long serial;
  /* Growing until the cap, then a one-time release, then slow churn. */
  enum { GROWING, CHURNING } phase;
};

static pid_t original_parent;

static uint64_t next_random(uint64_t *state) {
  /* xorshift64*: cheap, deterministic per thread, good enough for picking words. */
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static unsigned pick(struct worker *w, unsigned n) { return (unsigned)(next_random(&w->rng) % n); }

static const char *const users[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"};
static const char *const domains[] = {"example.com", "example.org", "shop.example.net", "corp.example"};
static const char *const paths[] = {"/api/v1/orders", "/api/v1/customers", "/api/v2/search", "/login", "/static/app.js", "/api/v1/cart/items", "/healthz", "/api/v1/invoices"};
static const char *const methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
static const char *const levels[] = {"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
static const char *const products[] = {"espresso machine", "paper filters", "ceramic mug", "grinder", "milk frother", "descaler", "travel cup", "kettle"};
static const char *const cities[] = {"Lisbon", "Oslo", "Montreal", "Osaka", "Nairobi", "Valparaiso", "Tallinn", "Perth"};
static const char *const tables[] = {"orders", "customers", "invoices", "sessions", "audit_log", "cart_items"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Appends formatted text to buf (capacity cap, current length *len), never overflowing. */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  if (*len + 1 >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void timestamp(char *out, size_t cap) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           ts.tv_nsec / 1000000);
}

static size_t make_log_line(struct worker *w, char *buf, size_t cap) {
  char ts[96];
  timestamp(ts, sizeof ts);
  size_t len = 0;
  const char *user = users[pick(w, COUNT(users))];
  append(buf, cap, &len, "%s %s [worker-%d] request id=%08lx-%04x %s %s/%u status=%u latency_ms=%u user=%s@%s", ts,
         levels[pick(w, COUNT(levels))], w->index, w->serial, pick(w, 0xffff), methods[pick(w, COUNT(methods))], paths[pick(w, COUNT(paths))],
         pick(w, 100000), pick(w, 10) ? 200 : 500, 1 + pick(w, 900), user, domains[pick(w, COUNT(domains))]);
  if (pick(w, 4) == 0) append(buf, cap, &len, " ua=\"Mozilla/5.0 (X11; Linux x86_64) demo/%u.%u\"", pick(w, 9), pick(w, 99));
  return len;
}

static size_t make_json(struct worker *w, char *buf, size_t cap) {
  size_t len = 0;
  const char *user = users[pick(w, COUNT(users))];
  append(buf, cap, &len, "{\"id\":%lu,\"customer\":{\"name\":\"%s\",\"email\":\"%s@%s\",\"city\":\"%s\"},\"items\":[", w->serial * 31 + (unsigned long)w->index,
         user, user, domains[pick(w, COUNT(domains))], cities[pick(w, COUNT(cities))]);
  unsigned items = 1 + pick(w, 24);
  for (unsigned i = 0; i < items; i++) {
    append(buf, cap, &len, "%s{\"sku\":\"SKU-%05u\",\"name\":\"%s\",\"qty\":%u,\"price\":%u.%02u}", i ? "," : "", pick(w, 99999),
           products[pick(w, COUNT(products))], 1 + pick(w, 5), 1 + pick(w, 300), pick(w, 100));
  }
  append(buf, cap, &len, "],\"currency\":\"EUR\",\"status\":\"%s\",\"notes\":\"%s\"}", pick(w, 3) ? "paid" : "pending",
         pick(w, 2) ? "leave at the door" : "call before delivery");
  return len;
}

static size_t make_sql(struct worker *w, char *buf, size_t cap) {
  size_t len = 0;
  const char *user = users[pick(w, COUNT(users))];
  switch (pick(w, 3)) {
    case 0:
      append(buf, cap, &len,
             "SELECT o.id, o.total, o.created_at FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = '%s@%s' AND "
             "o.created_at > now() - interval '%u days' ORDER BY o.created_at DESC LIMIT %u",
             user, domains[pick(w, COUNT(domains))], 1 + pick(w, 90), 10 + pick(w, 90));
      break;
    case 1:
      append(buf, cap, &len, "INSERT INTO %s (customer_id, city, amount, note) VALUES (%u, '%s', %u.%02u, 'demo order %lu from worker %d')",
             tables[pick(w, COUNT(tables))], pick(w, 100000), cities[pick(w, COUNT(cities))], pick(w, 5000), pick(w, 100), w->serial, w->index);
      break;
    default:
      append(buf, cap, &len, "UPDATE sessions SET last_seen = now(), hits = hits + 1 WHERE session_id = '%016llx' AND user_name = '%s'",
             (unsigned long long)next_random(&w->rng), user);
      break;
  }
  return len;
}

/* Fake credentials, so the string scanner's redaction has something to hide. */
static size_t make_secret(struct worker *w, char *buf, size_t cap) {
  size_t len = 0;
  switch (pick(w, 4)) {
    case 0:
      append(buf, cap, &len, "db_url=postgres://app:password=hunter2-%u@db.internal:5432/shop", pick(w, 1000));
      break;
    case 1:
      append(buf, cap, &len, "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIlcyJ9.%016llx", (unsigned long long)next_random(&w->rng));
      break;
    case 2:
      append(buf, cap, &len, "api_key=sk_live_%016llx%08x", (unsigned long long)next_random(&w->rng), pick(w, 0xffffffffu));
      break;
    default:
      append(buf, cap, &len, "AWS_SECRET_ACCESS_KEY=demo/%016llxEXAMPLEKEY", (unsigned long long)next_random(&w->rng));
      break;
  }
  return len;
}

/* One piece of text in a fresh allocation whose size is exactly the text plus its NUL. */
static void add_text(struct worker *w, size_t slot) {
  static __thread char scratch[MAX_TEXT + 1];
  size_t len;
  unsigned kind = pick(w, 100);
  if (kind < 45) len = make_log_line(w, scratch, sizeof scratch);
  else if (kind < 75) len = make_json(w, scratch, sizeof scratch);
  else if (kind < 97) len = make_sql(w, scratch, sizeof scratch);
  else len = make_secret(w, scratch, sizeof scratch);
  char *p = malloc(len + 1);
  if (p == NULL) return;
  memcpy(p, scratch, len + 1);
  w->slots[slot] = p;
  w->sizes[slot] = len + 1;
  w->live_bytes += len + 1;
  w->serial++;
}

static void drop_text(struct worker *w, size_t slot) {
  if (w->slots[slot] == NULL) return;
  w->live_bytes -= w->sizes[slot];
  free(w->slots[slot]);
  w->slots[slot] = NULL;
  w->sizes[slot] = 0;
}

static void sleep_tick(void) {
  struct timespec ts = {0, TICK_NS};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  char name[16];
  snprintf(name, sizeof name, "worker-%d", w->index);
  pthread_setname_np(pthread_self(), name);

  /* Bytes to add per tick so the cap is reached after ramp_seconds; a third is freed again. */
  size_t ticks = (size_t)w->opt.ramp_seconds * (1000000000L / TICK_NS);
  size_t per_tick = ticks ? w->opt.cap_bytes / ticks : w->opt.cap_bytes;
  if (per_tick < 1024) per_tick = 1024;
  per_tick = per_tick * 3 / 2;

  for (;;) {
    if (w->phase == GROWING && w->live_bytes < w->opt.cap_bytes && w->nslots < MAX_SLOTS) {
      size_t before = w->live_bytes;
      size_t first = w->nslots;
      while (w->live_bytes - before < per_tick && w->nslots < MAX_SLOTS) add_text(w, w->nslots++);
      /* Free every third allocation of this batch: each freed chunk sits between two
       * live ones, so free() cannot merge it with a neighbour or with top
       * (malloc/malloc.c _int_free) and it stays in a bin, still resident. */
      for (size_t i = first + 1; i + 1 < w->nslots; i += 3) drop_text(w, i);
    } else if (w->phase == GROWING) {
      /* The cap: free every third string still held. Slots were filled in
       * allocation order, so their neighbours in memory stay live. */
      for (size_t i = 1; i < w->nslots; i += 3) drop_text(w, i);
      w->phase = CHURNING;
      if (w->opt.verbose) fprintf(stderr, "demo-target: worker-%d capped\n", w->index);
    } else if (w->nslots > 0) {
      /* Capped: replace a few random texts so the arena keeps changing a little. */
      for (int i = 0; i < 4; i++) {
        size_t slot = pick(w, (unsigned)w->nslots);
        if (w->slots[slot] == NULL) continue;
        drop_text(w, slot);
        add_text(w, slot);
      }
    }
    sleep_tick();
  }
  return NULL;
}

static int parse_int(const char *s, int lo, int hi, const char *what) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "demo-target: %s must be an integer in %d..%d\n", what, lo, hi);
    exit(2);
  }
  return (int)v;
}

static void parse_options(int argc, char **argv, struct options *opt) {
  opt->threads = 12;
  opt->cap_bytes = (size_t)24 << 20;
  opt->ramp_seconds = 90;
  opt->verbose = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--threads") == 0 && value) {
      opt->threads = parse_int(value, 1, 64, "--threads");
      i++;
    } else if (strcmp(a, "--cap-mib") == 0 && value) {
      opt->cap_bytes = (size_t)parse_int(value, 1, 512, "--cap-mib") << 20;
      i++;
    } else if (strcmp(a, "--ramp-seconds") == 0 && value) {
      opt->ramp_seconds = parse_int(value, 0, 3600, "--ramp-seconds");
      i++;
    } else if (strcmp(a, "--verbose") == 0) {
      opt->verbose = 1;
    } else {
      fprintf(stderr, "usage: demo-target [--threads N] [--cap-mib N] [--ramp-seconds N] [--verbose]\n");
      exit(2);
    }
  }
}

int main(int argc, char **argv) {
  struct options opt;
  parse_options(argc, argv, &opt);

  original_parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  /* The parent may have died before prctl: then we were reparented already. */
  if (getppid() != original_parent) return 0;

  /* A little text in the main arena too (the [heap] made by brk). */
  struct worker main_worker = {.index = 0, .opt = opt, .rng = 0x9E3779B97F4A7C15ULL};
  static char *main_slots[64];
  static size_t main_sizes[64];
  main_worker.slots = main_slots;
  main_worker.sizes = main_sizes;
  for (size_t i = 0; i < 64; i++) add_text(&main_worker, i);

  pthread_t *tids = calloc((size_t)opt.threads, sizeof *tids);
  struct worker *workers = calloc((size_t)opt.threads, sizeof *workers);
  if (!tids || !workers) return 1;
  for (int i = 0; i < opt.threads; i++) {
    struct worker *w = &workers[i];
    w->index = i + 1;
    w->opt = opt;
    w->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 2);
    /* The slot tables come from the main thread's arena, not the worker's. */
    w->slots = calloc(MAX_SLOTS, sizeof *w->slots);
    w->sizes = calloc(MAX_SLOTS, sizeof *w->sizes);
    if (!w->slots || !w->sizes) return 1;
    if (pthread_create(&tids[i], NULL, worker_main, w) != 0) {
      fprintf(stderr, "demo-target: pthread_create failed\n");
      return 1;
    }
  }
  if (opt.verbose) fprintf(stderr, "demo-target: pid %d, %d threads, cap %zu MiB each\n", getpid(), opt.threads, opt.cap_bytes >> 20);

  /* The main thread only watches the parent. */
  for (;;) {
    if (getppid() != original_parent) _exit(0);
    struct timespec ts = {0, 200000000L};
    nanosleep(&ts, NULL);
  }
}
