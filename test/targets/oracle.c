/* oracle: a target process that shapes its own glibc heap on request and then tells the
 * truth about it (malloc_info, mallinfo2, every live allocation), for arenascope's tests.
 *
 *   oracle --out DIR [options]        (see usage() below)
 *
 * Life cycle: scenario threads (main = index 0, workers 1..N) allocate and free as asked,
 * all meet at a barrier and park forever; the main thread writes the truth files into DIR,
 * prints "READY <pid>" and then serves stdin commands (trim, record, exit). Nothing on the
 * recording path allocates (see lib/raw_out.h); info.json proves it with a call counter.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "lib/raw_out.h"
#include "lib/alloc_recorder.h"

#define MAX_WORKERS 64
#define MAX_PLANT_SPECS 32
#define MAX_PLANTS 4096
#define MAX_FREED 65536
#define MAX_EXPECT_CLASSES 32

/* glibc facts used to predict where a free lands (x86-64, default tunables): tcache bins
 * hold chunk sizes 0x20..0x410 (2.26-2.41 tcache_max_bytes = 1032 user bytes; 2.43+
 * 0x411, exclusive), tcache_fill each: mp_.tcache_count = TCACHE_FILL_COUNT, 7 up to
 * 2.42 and 16 from 2.43. Fastbins take chunks <= global_max_fast = 0x80 (2.43 removed
 * fastbins: fastbin_max_chunk 0). From 2.41 a small chunk (< 0x400) goes straight to its
 * small bin (_int_free_create_chunk). Everything else goes to the unsorted bin and is
 * sorted into small bins or large bins by the next large malloc. set_glibc_facts()
 * picks the values of the glibc the target runs under. */
#define TCACHE_MAX_CHUNK 0x410
#define MAX_TCACHE_FILL 16
static int tcache_fill = 7;
static size_t fastbin_max_chunk = 0x80;
/* Bytes of an mmapped chunk's mapping past chunk + chunksize: 0 up to 2.42, CHUNK_HDR_SZ
 * from 2.43 (malloc.c mmap_size()). */
static size_t mmap_trailer = 0;
/* 2.41+: a freed small chunk goes to its small bin, not the unsorted bin. */
static int smallbin_direct = 0;
/* 2.43+: a thread's tcache is made at its first free of a small chunk (tcache_free_init),
 * by _int_malloc, which sorts the unsorted bin on the way; up to 2.42 at its first malloc,
 * before that malloc's own request. */
static int tcache_at_first_free = 0;
#define SMALLBIN_LIMIT 0x400
/* DEFAULT_MMAP_THRESHOLD_MIN: requests of at least this size get their own mmap. */
#define MMAP_THRESHOLD 0x20000

static void set_glibc_facts(void) {
  const char *v = gnu_get_libc_version();
  char *end;
  long major = strtol(v, &end, 10);
  long minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
  if (major > 2 || minor >= 41) smallbin_direct = 1; /* glibc 2.41 _int_free_create_chunk */
  if (major > 2 || minor >= 43) {
    tcache_fill = 16; /* glibc 2.43 malloc.c: TCACHE_FILL_COUNT 16 */
    fastbin_max_chunk = 0; /* glibc 2.43 removed fastbins */
    mmap_trailer = 16; /* glibc 2.43 "malloc: Change mmap chunk layout" */
    tcache_at_first_free = 1; /* glibc 2.43 "malloc: avoid need for tcache == NULL checks" */
  }
}

static size_t chunk_of_request(size_t req) {
  size_t c = (req + 8 + 15) & ~(size_t)15; /* request2size on x86-64 */
  return c < 0x20 ? 0x20 : c;
}

static size_t chunk_size_of(const void *p) { return ((const size_t *)p)[-1] & ~(size_t)7; }
static int chunk_is_mmapped(const void *p) { return (((const size_t *)p)[-1] & 2) != 0; }

/* ---------- options ---------- */

enum { SEL_NONE = -4, SEL_WORKERS = -3, SEL_MAIN = -2, SEL_ALL = -1 };

enum plant_state { PLANT_KEPT, PLANT_FREED };

struct plant_spec {
  const char *text; /* points into argv: the text never lands anywhere but the chunks */
  size_t len;
  int utf16;
  int count;
  int state;
};

struct options {
  const char *out;
  int workers;
  int keep;
  size_t size;
  int keep_in;
  int pattern_in;
  int tcache_full, tcache_partial, fastbin, bins, mmapped, mmapped_freed, unsorted_long, stale_links;
  size_t resident_free;
  int second_heap;
  int plant_in; /* SEL_MAIN, SEL_WORKERS ("spread") or an index */
  struct plant_spec plants[MAX_PLANT_SPECS];
  int n_plants;
  struct plant_spec straddle;
  int has_straddle;
  struct plant_spec region_end;
  int has_region_end;
  const char *heartbeat;
  long tcache_tls; /* TLS symbol value of libc's `tcache` (its debug file), -1 = unknown */
};

static struct options opt = {.size = 64, .keep_in = SEL_ALL, .pattern_in = SEL_ALL, .second_heap = -1, .plant_in = SEL_MAIN, .tcache_tls = -1};

static void usage(void) {
  raw_say(
      "usage: oracle --out DIR [options]\n"
      "  --threads N              worker threads (index 1..N; main is 0)\n"
      "  --keep K --size S        keep K chunks of S bytes in each keep thread\n"
      "  --keep-in SEL            all|main|workers|<index> (default all)\n"
      "  --free-pattern LIST      comma list: tcache-full,tcache-partial,fastbin,bins,mmapped,\n"
      "                           mmapped-freed (200000 and 300000 B mmapped, then freed),\n"
      "                           unsorted-long (400 unsorted chunks beside 8 in their large bin),\n"
      "                           stale-links (20 freed to tcache and fastbin, 10 taken back unwritten)\n"
      "  --pattern-in SEL         threads running the patterns (default all)\n"
      "  --resident-free BYTES    free ~BYTES in 60000-byte chunks between kept ones (pattern threads)\n"
      "  --second-heap INDEX      worker INDEX allocates 70 MB below the mmap threshold\n"
      "  --plant-kept TEXT:COUNT[:ascii|utf16]   (repeatable)\n"
      "  --plant-freed TEXT:COUNT[:ascii|utf16]  (repeatable; text at user offset 32)\n"
      "  --plant-in main|spread|<index>          where planted chunks go (default main)\n"
      "  --plant-straddle TEXT[:ascii|utf16]     copies across 256 KiB / 1 MiB boundaries\n"
      "  --plant-region-end TEXT[:ascii|utf16]   one copy ending at the end of its own VMA\n"
      "  --heartbeat FILE         a thread increments a u64 at FILE offset 0 every 10 ms\n"
      "  --tcache-tls OFFSET      TLS symbol value of libc's tcache: threads.tsv gets each thread's\n"
      "                           tcache pointer\n");
}

static long parse_num(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 0);
  if (errno != 0 || *end != '\0' || v < 0) raw_die(what);
  return v;
}

static int parse_selector(const char *s) {
  if (strcmp(s, "all") == 0) return SEL_ALL;
  if (strcmp(s, "main") == 0) return SEL_MAIN;
  if (strcmp(s, "workers") == 0 || strcmp(s, "spread") == 0) return SEL_WORKERS;
  if (strcmp(s, "none") == 0) return SEL_NONE;
  return (int)parse_num(s, "bad thread selector");
}

static int selects(int sel, int t) {
  if (sel == SEL_ALL) return 1;
  if (sel == SEL_MAIN) return t == 0;
  if (sel == SEL_WORKERS) return t > 0 || opt.workers == 0;
  if (sel == SEL_NONE) return 0;
  return sel == t;
}

/* "TEXT[:COUNT][:ENC]" parsed from the right, so TEXT may itself contain ':'. */
static struct plant_spec parse_plant(char *arg, int want_count) {
  struct plant_spec p = {.count = 1};
  char *last = strrchr(arg, ':');
  if (last && (strcmp(last + 1, "ascii") == 0 || strcmp(last + 1, "utf16") == 0)) {
    p.utf16 = strcmp(last + 1, "utf16") == 0;
    *last = '\0';
  }
  if (want_count) {
    last = strrchr(arg, ':');
    if (!last) raw_die("plant needs TEXT:COUNT");
    p.count = (int)parse_num(last + 1, "bad plant count");
    *last = '\0';
  }
  p.text = arg;
  p.len = strlen(arg);
  if (p.len == 0 || p.len > 2048) raw_die("plant text must be 1..2048 chars");
  for (size_t i = 0; i < p.len; i++) {
    if ((unsigned char)arg[i] < 0x20 || (unsigned char)arg[i] > 0x7e) raw_die("plant text must be printable ASCII");
  }
  return p;
}

static void parse_patterns(char *list) {
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (strcmp(tok, "tcache-full") == 0) opt.tcache_full = 1;
    else if (strcmp(tok, "tcache-partial") == 0) opt.tcache_partial = 1;
    else if (strcmp(tok, "fastbin") == 0) opt.fastbin = 1;
    else if (strcmp(tok, "bins") == 0) opt.bins = 1;
    else if (strcmp(tok, "mmapped") == 0) opt.mmapped = 1;
    else if (strcmp(tok, "mmapped-freed") == 0) opt.mmapped_freed = 1;
    else if (strcmp(tok, "unsorted-long") == 0) opt.unsorted_long = 1;
    else if (strcmp(tok, "stale-links") == 0) opt.stale_links = 1;
    else raw_die("unknown --free-pattern");
  }
}

static void parse_options(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0) {
      usage();
      _exit(0);
    }
    if (i + 1 >= argc) raw_die("option needs a value");
    char *v = argv[++i];
    if (strcmp(a, "--out") == 0) opt.out = v;
    else if (strcmp(a, "--threads") == 0) opt.workers = (int)parse_num(v, "bad --threads");
    else if (strcmp(a, "--keep") == 0) opt.keep = (int)parse_num(v, "bad --keep");
    else if (strcmp(a, "--size") == 0) opt.size = (size_t)parse_num(v, "bad --size");
    else if (strcmp(a, "--keep-in") == 0) opt.keep_in = parse_selector(v);
    else if (strcmp(a, "--pattern-in") == 0) opt.pattern_in = parse_selector(v);
    else if (strcmp(a, "--free-pattern") == 0) parse_patterns(v);
    else if (strcmp(a, "--resident-free") == 0) opt.resident_free = (size_t)parse_num(v, "bad --resident-free");
    else if (strcmp(a, "--second-heap") == 0) opt.second_heap = (int)parse_num(v, "bad --second-heap");
    else if (strcmp(a, "--plant-in") == 0) opt.plant_in = parse_selector(v);
    else if (strcmp(a, "--plant-kept") == 0 || strcmp(a, "--plant-freed") == 0) {
      if (opt.n_plants == MAX_PLANT_SPECS) raw_die("too many plants");
      struct plant_spec p = parse_plant(v, 1);
      p.state = strcmp(a, "--plant-freed") == 0 ? PLANT_FREED : PLANT_KEPT;
      opt.plants[opt.n_plants++] = p;
    } else if (strcmp(a, "--plant-straddle") == 0) {
      opt.straddle = parse_plant(v, 0);
      opt.has_straddle = 1;
    } else if (strcmp(a, "--plant-region-end") == 0) {
      opt.region_end = parse_plant(v, 0);
      opt.has_region_end = 1;
    } else if (strcmp(a, "--heartbeat") == 0) opt.heartbeat = v;
    else if (strcmp(a, "--tcache-tls") == 0) opt.tcache_tls = parse_num(v, "bad --tcache-tls");
    else raw_die("unknown option (see --help)");
  }
  if (!opt.out) raw_die("--out DIR is required");
  if (opt.workers > MAX_WORKERS) raw_die("--threads too large");
  if (opt.second_heap == 0) raw_die("--second-heap needs a worker index (the main arena grows by brk)");
  if (opt.second_heap > opt.workers) raw_die("--second-heap index out of range");
  if (opt.plant_in >= 0 && opt.plant_in > opt.workers) raw_die("--plant-in index out of range");
}

/* ---------- per-thread expectations (what a fresh arena + tcache must contain) ---------- */

struct class_count {
  size_t chunk;
  int count;
};

struct class_list {
  struct class_count items[MAX_EXPECT_CLASSES];
  int n;
};

struct thread_expect {
  int keep_count;
  size_t keep_bytes;
  struct class_list tcache, fastbins, unsorted, smallbins, largebins;
  int mmapped_count;
  size_t mmapped_requested;
  size_t bulk_bytes;
  int layout_ok;
};

static struct thread_expect expects[MAX_WORKERS + 1];

static int *class_slot(struct class_list *l, size_t chunk) {
  for (int i = 0; i < l->n; i++) {
    if (l->items[i].chunk == chunk) return &l->items[i].count;
  }
  if (l->n == MAX_EXPECT_CLASSES) raw_die("too many size classes");
  l->items[l->n].chunk = chunk;
  l->items[l->n].count = 0;
  return &l->items[l->n++].count;
}

/* Predicts where glibc puts one freed (non-coalescing) chunk. */
static void expect_free(struct thread_expect *e, size_t chunk) {
  if (chunk <= TCACHE_MAX_CHUNK && *class_slot(&e->tcache, chunk) < tcache_fill) {
    (*class_slot(&e->tcache, chunk))++;
  } else if (chunk <= fastbin_max_chunk) {
    (*class_slot(&e->fastbins, chunk))++;
  } else if (smallbin_direct && chunk < SMALLBIN_LIMIT) {
    (*class_slot(&e->smallbins, chunk))++;
  } else {
    (*class_slot(&e->unsorted, chunk))++;
  }
}

/* A large malloc sorts the unsorted bin into small/large bins (_int_malloc). */
static void expect_sort_unsorted(struct thread_expect *e) {
  for (int i = 0; i < e->unsorted.n; i++) {
    struct class_count c = e->unsorted.items[i];
    if (c.count == 0) continue;
    *class_slot(c.chunk < SMALLBIN_LIMIT ? &e->smallbins : &e->largebins, c.chunk) += c.count;
  }
  e->unsorted.n = 0;
}

/* ---------- logs written with the truth ---------- */

struct freed_record {
  uintptr_t ptr;
  size_t requested;
  size_t chunk;
  int thread;
  const char *what;
};
static struct freed_record freed_log[MAX_FREED];
static int freed_count;

struct plant_record {
  uintptr_t addr;
  size_t bytes;
  int utf16;
  const char *state;
  int thread;
  int spec; /* index into opt.plants, or -1 straddle, -2 region end */
  uintptr_t chunk;
  uintptr_t vma_start, vma_end;
};
static struct plant_record plant_log[MAX_PLANTS];
static int plant_count;
static int straddle_missed;

static int log_slot(int *counter, int max) {
  int i = __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
  if (i >= max) raw_die("log full");
  return i;
}

static void free_logged(void *p, size_t requested, int t, const char *what) {
  int i = log_slot(&freed_count, MAX_FREED);
  freed_log[i] = (struct freed_record){(uintptr_t)p, requested, chunk_size_of(p), t, what};
  free(p);
}

static void write_text(char *dst, const struct plant_spec *s) {
  for (size_t i = 0; i < s->len; i++) {
    if (s->utf16) {
      dst[2 * i] = s->text[i];
      dst[2 * i + 1] = 0;
    } else {
      dst[i] = s->text[i];
    }
  }
}

static size_t text_bytes(const struct plant_spec *s) { return s->len * (s->utf16 ? 2 : 1); }

static void log_plant(uintptr_t addr, const struct plant_spec *s, const char *state, int t, int spec, uintptr_t chunk) {
  int i = log_slot(&plant_count, MAX_PLANTS);
  uintptr_t vs = 0, ve = 0;
  raw_find_vma(addr, &vs, &ve);
  plant_log[i] = (struct plant_record){addr, text_bytes(s), s->utf16, state, t, spec, chunk, vs, ve};
}

/* ---------- scenario ---------- */

/* Chunk classes the patterns use; planted chunks avoid them so counts stay predictable. */
static const size_t reserved_classes[] = {0x20, 0x30, 0x40, 0x60, 0x100, 0x510, 0x1010, 0x3010, 0xea70};

static int is_reserved_class(size_t chunk) {
  for (size_t i = 0; i < sizeof reserved_classes / sizeof reserved_classes[0]; i++) {
    if (reserved_classes[i] == chunk) return 1;
  }
  return 0;
}

/* Planted text sits at user offset 32: free() writes tcache next/key or fd/bk at 0..15 and
 * large-bin fd_nextsize/bk_nextsize at 16..31. */
#define PLANT_OFFSET 32

static char *alloc_plant_chunk(const struct plant_spec *s, size_t *req_out) {
  size_t req = PLANT_OFFSET + text_bytes(s) + 16;
  while (is_reserved_class(chunk_of_request(req))) req += 16;
  char *p = alloc_tagged(req, KIND_PLANT);
  memset(p, 0, req);
  write_text(p + PLANT_OFFSET, s);
  *req_out = req;
  return p;
}

static int plant_host(int instance) {
  if (opt.plant_in == SEL_MAIN) return 0;
  if (opt.plant_in == SEL_WORKERS) return opt.workers == 0 ? 0 : 1 + instance % opt.workers;
  return opt.plant_in;
}

/* A chunk that will be freed and must not coalesce: its successor must be its own guard. */
struct guarded {
  void *p;
  void *guard;
  size_t req;
};

static void *alloc_guard(void) { return alloc_tagged(24, KIND_GUARD); }

static struct guarded alloc_guarded(size_t req, int32_t kind) {
  struct guarded g;
  g.p = alloc_tagged(req, kind);
  g.guard = alloc_guard();
  g.req = req;
  return g;
}

static int guarded_layout_ok(const struct guarded *g) {
  return (char *)g->p + chunk_size_of(g->p) == (char *)g->guard;
}

/* Straddling copies: fill a heap with 64 KiB chunks and put the text across every
 * "interesting" boundary inside it: region start + 256 KiB and + 1 MiB, and the first
 * absolute 256 KiB (not 1 MiB) and 1 MiB multiples. Region = the VMA of the first filler. */
#define FILLER_REQ 65512 /* chunk 0xfff0, below the mmap threshold */
#define MAX_FILLERS 64

static void plant_straddle(int t) {
  const struct plant_spec *s = &opt.straddle;
  size_t len = text_bytes(s);
  size_t half = len / 2;
  char *fillers[MAX_FILLERS];
  int n = 0;
  fillers[n++] = alloc_tagged(FILLER_REQ, KIND_FILLER);
  uintptr_t vs = 0, ve = 0;
  if (raw_find_vma((uintptr_t)fillers[0], &vs, &ve) != 0) raw_die("filler not in maps");
  uintptr_t b[4];
  int nb = 0;
  uintptr_t first = (uintptr_t)fillers[0] + 64;
  uintptr_t cand[4] = {vs + (256u << 10), vs + (1u << 20), 0, (first + (1u << 20) - 1) & ~(uintptr_t)((1u << 20) - 1)};
  uintptr_t q = (first + (256u << 10) - 1) & ~(uintptr_t)((256u << 10) - 1);
  if ((q & ((1u << 20) - 1)) == 0) q += 256u << 10;
  cand[2] = q;
  for (int i = 0; i < 4; i++) {
    int dup = cand[i] < first + half;
    for (int j = 0; j < nb; j++) dup |= b[j] == cand[i];
    if (!dup) b[nb++] = cand[i];
  }
  uintptr_t limit = 0;
  for (int i = 0; i < nb; i++) limit = b[i] > limit ? b[i] : limit;
  limit += len + 64;
  for (;;) {
    char *last = fillers[n - 1];
    uintptr_t next_chunk = (uintptr_t)last - 16 + chunk_size_of(last);
    if (next_chunk >= limit) break;
    if (n == MAX_FILLERS) raw_die("straddle fillers exhausted");
    /* The next chunk's size field ([end+8, end+16)) must not fall inside any text copy. */
    size_t req = FILLER_REQ;
    uintptr_t end = next_chunk + chunk_of_request(req);
    for (int i = 0; i < nb; i++) {
      uintptr_t ts = b[i] - half, te = b[i] - half + len;
      if (ts < end + 16 + 16 && te > end) req = FILLER_REQ + len + 64;
    }
    fillers[n++] = alloc_tagged(req, KIND_FILLER);
  }
  for (int i = 0; i < nb; i++) {
    uintptr_t ts = b[i] - half;
    int placed = 0;
    for (int k = 0; k < n && !placed; k++) {
      uintptr_t us = (uintptr_t)fillers[k];
      uintptr_t ue = us + malloc_usable_size(fillers[k]);
      if (ts >= us && ts + len <= ue) {
        write_text((char *)ts, s);
        log_plant(ts, s, "straddle", t, -1, us);
        placed = 1;
      }
    }
    if (!placed) straddle_missed++;
  }
}

/* One copy whose last byte is the last byte of its VMA: an mmapped chunk isolated into
 * its own VMA with MADV_DONTFORK (differing VMA flags stop the kernel from merging it
 * with neighbouring anonymous mappings). */
static void plant_region_end(int t) {
  const struct plant_spec *s = &opt.region_end;
  size_t len = text_bytes(s);
  char *p = alloc_tagged(200000, KIND_PLANT);
  if (!chunk_is_mmapped(p)) raw_die("region-end chunk is not mmapped");
  size_t prev_size = ((size_t *)p)[-2] & ~(size_t)1; /* 2.43+: MMAP_HP in bit 0 */
  char *map_start = p - 16 - prev_size;
  char *map_end = p - 16 + chunk_size_of(p) + mmap_trailer;
  if (madvise(map_start, (size_t)(map_end - map_start), MADV_DONTFORK) != 0) raw_die("madvise");
  char *text = map_end - len;
  write_text(text, s);
  log_plant((uintptr_t)text, s, "region-end", t, -2, (uintptr_t)p);
}

static void run_scenario(int t) {
  struct thread_expect *e = &expects[t];
  e->layout_ok = 1;
  int patterns = selects(opt.pattern_in, t);

  /* Up to 2.42 the tcache's own small request came first, so the arena a thread's first
   * malloc created started small and a large request after it was mmapped. From 2.43
   * that first request creates the arena sized for itself (arena_get2 -> _int_new_arena)
   * and is carved from its top: a small first allocation keeps the heaps as before. */
  if (tcache_at_first_free) alloc_tagged(24, KIND_GUARD);

  /* Phase A: every allocation first, so nothing below is carved out of a freed chunk. */
  if (selects(opt.keep_in, t)) {
    for (int i = 0; i < opt.keep; i++) alloc_tagged(opt.size, KIND_KEEP);
    e->keep_count = opt.keep;
    e->keep_bytes = (size_t)opt.keep * opt.size;
  }

  static struct guarded plant_freed[MAX_WORKERS + 1][MAX_PLANTS / 4];
  int n_plant_freed = 0;
  for (int s = 0; s < opt.n_plants; s++) {
    for (int k = 0; k < opt.plants[s].count; k++) {
      if (plant_host(k) != t) continue;
      size_t req;
      char *p = alloc_plant_chunk(&opt.plants[s], &req);
      if (opt.plants[s].state == PLANT_FREED) {
        if (n_plant_freed == MAX_PLANTS / 4) raw_die("too many freed plants in one thread");
        plant_freed[t][n_plant_freed++] = (struct guarded){p, alloc_guard(), req};
        log_plant((uintptr_t)p + PLANT_OFFSET, &opt.plants[s], "freed", t, s, (uintptr_t)p);
      } else {
        log_plant((uintptr_t)p + PLANT_OFFSET, &opt.plants[s], "kept", t, s, (uintptr_t)p);
      }
    }
  }
  if (plant_host(0) == t) {
    if (opt.has_straddle) plant_straddle(t);
    if (opt.has_region_end) {
      plant_region_end(t);
      e->mmapped_count++;
      e->mmapped_requested += 200000;
    }
  }

  if (patterns && opt.mmapped) {
    static const size_t sizes[] = {200000, 300000, 1u << 20};
    for (int i = 0; i < 3; i++) {
      alloc_tagged(sizes[i], KIND_PATTERN);
      e->mmapped_count++;
      e->mmapped_requested += sizes[i];
    }
  }

  if (opt.second_heap == t) {
    /* 700 x 100000 B = 70 MB > HEAP_MAX_SIZE (64 MiB): the arena needs a second heap. */
    for (int i = 0; i < 700; i++) alloc_tagged(100000, KIND_BULK);
    e->bulk_bytes = 700u * 100000u;
  }

  /* tcache_fill of a size fill its tcache bin; bins and fastbin free that many and more,
   * so the rest goes on to the small bin (3) and the fastbin (5; from 2.43, which has no
   * fastbins, to their small bin). */
  struct guarded bins_small[MAX_TCACHE_FILL + 3], bins_large[5], tc_full[MAX_TCACHE_FILL], tc_partial[3], fast[MAX_TCACHE_FILL + 5];
  void *mm_freed[2] = {NULL, NULL};
  static struct guarded resident[MAX_WORKERS + 1][4096];
  size_t n_resident = 0;
  if (patterns && opt.bins) {
    for (int i = 0; i < tcache_fill + 3; i++) bins_small[i] = alloc_guarded(0x100 - 8, KIND_PATTERN);
    for (int i = 0; i < 5; i++) bins_large[i] = alloc_guarded(i < 3 ? 0x510 - 8 : 0x1010 - 8, KIND_PATTERN);
  }
  if (patterns && opt.resident_free > 0) {
    n_resident = (opt.resident_free + 59999) / 60000;
    if (n_resident > 4096) raw_die("--resident-free too large");
    for (size_t i = 0; i < n_resident; i++) {
      /* Freed and kept 60000-byte chunks alternate, so the freed ones cannot coalesce. */
      resident[t][i].p = alloc_tagged(60000, KIND_PATTERN);
      resident[t][i].guard = alloc_tagged(60000, KIND_GUARD);
      resident[t][i].req = 60000;
    }
  }
  if (patterns && opt.tcache_full) for (int i = 0; i < tcache_fill; i++) tc_full[i] = alloc_guarded(40, KIND_PATTERN);
  if (patterns && opt.tcache_partial) for (int i = 0; i < 3; i++) tc_partial[i] = alloc_guarded(88, KIND_PATTERN);
  if (patterns && opt.fastbin) for (int i = 0; i < tcache_fill + 5; i++) fast[i] = alloc_guarded(56, KIND_PATTERN);
  if (patterns && opt.mmapped_freed) {
    static const size_t sizes[] = {200000, 300000};
    for (int i = 0; i < 2; i++) {
      mm_freed[i] = alloc_tagged(sizes[i], KIND_PATTERN);
      if (!chunk_is_mmapped(mm_freed[i])) raw_die("mmapped-freed chunk is not mmapped");
    }
  }
  static struct guarded long_binned[MAX_WORKERS + 1][8], long_unsorted[MAX_WORKERS + 1][400], stale[MAX_WORKERS + 1][20];
  struct guarded tcache_seed = {NULL, NULL, 0};
  if (patterns && opt.unsorted_long) {
    /* 2.43+: a small chunk whose free makes the thread's tcache first, so that making it
     * later does not sort the long unsorted bin. */
    if (tcache_at_first_free) tcache_seed = alloc_guarded(24, KIND_PATTERN);
    /* 0x510 chunks: above the tcache, in one large bin. */
    for (int i = 0; i < 8; i++) long_binned[t][i] = alloc_guarded(0x510 - 8, KIND_PATTERN);
    for (int i = 0; i < 400; i++) long_unsorted[t][i] = alloc_guarded(0x510 - 8, KIND_PATTERN);
  }
  if (patterns && opt.stale_links) for (int i = 0; i < 20; i++) stale[t][i] = alloc_guarded(40, KIND_PATTERN);

  /* Phase B: frees, in an order where nothing later disturbs what is already binned. */
  if (patterns && opt.bins) {
    for (int i = 0; i < tcache_fill + 3; i++) {
      e->layout_ok &= guarded_layout_ok(&bins_small[i]);
      expect_free(e, chunk_size_of(bins_small[i].p));
      free_logged(bins_small[i].p, bins_small[i].req, t, i < tcache_fill ? "bins-tcache" : "bins-small");
    }
    for (int i = 0; i < 5; i++) {
      e->layout_ok &= guarded_layout_ok(&bins_large[i]);
      expect_free(e, chunk_size_of(bins_large[i].p));
      free_logged(bins_large[i].p, bins_large[i].req, t, "bins-large");
    }
    /* A request above every freed size sorts the unsorted bin and is served from top. */
    alloc_tagged(0x3000, KIND_GUARD);
    expect_sort_unsorted(e);
  }
  if (patterns && opt.tcache_full) {
    for (int i = 0; i < tcache_fill; i++) {
      expect_free(e, chunk_size_of(tc_full[i].p));
      free_logged(tc_full[i].p, tc_full[i].req, t, "tcache-full");
    }
  }
  if (patterns && opt.tcache_partial) {
    for (int i = 0; i < 3; i++) {
      expect_free(e, chunk_size_of(tc_partial[i].p));
      free_logged(tc_partial[i].p, tc_partial[i].req, t, "tcache-partial");
    }
  }
  if (patterns && opt.fastbin) {
    for (int i = 0; i < tcache_fill + 5; i++) {
      e->layout_ok &= guarded_layout_ok(&fast[i]);
      expect_free(e, chunk_size_of(fast[i].p));
      free_logged(fast[i].p, fast[i].req, t, i < tcache_fill ? "fastbin-tcache" : "fastbin");
    }
  }
  if (patterns && opt.unsorted_long) {
    if (tcache_seed.p) {
      e->layout_ok &= guarded_layout_ok(&tcache_seed);
      free_logged(tcache_seed.p, tcache_seed.req, t, "tcache-seed");
    }
    /* Eight sorted into their large bin, then 400 more of the same size left
     * unsorted: the unsorted list is the long side, the bins the short one. */
    for (int i = 0; i < 8; i++) {
      e->layout_ok &= guarded_layout_ok(&long_binned[t][i]);
      expect_free(e, chunk_size_of(long_binned[t][i].p));
      free_logged(long_binned[t][i].p, long_binned[t][i].req, t, "unsorted-long-binned");
    }
    alloc_tagged(0x3000, KIND_GUARD);
    expect_sort_unsorted(e);
    for (int i = 0; i < 400; i++) {
      e->layout_ok &= guarded_layout_ok(&long_unsorted[t][i]);
      expect_free(e, chunk_size_of(long_unsorted[t][i].p));
      free_logged(long_unsorted[t][i].p, long_unsorted[t][i].req, t, "unsorted-long");
    }
  }
  if (patterns && opt.stale_links) {
    /* 7 to the tcache, 13 to the 0x30 fastbin; then 10 taken back and never
     * written: each keeps the safe-linked next pointer free() left in it,
     * which reads like a fastbin link (not predicted: no expect_free). */
    for (int i = 0; i < 20; i++) {
      e->layout_ok &= guarded_layout_ok(&stale[t][i]);
      free_logged(stale[t][i].p, stale[t][i].req, t, "stale-links");
    }
    for (int i = 0; i < 10; i++) alloc_tagged(40, KIND_PATTERN);
  }
  for (size_t i = 0; i < n_resident; i++) {
    /* Touch every page so the freed memory is resident (malloc_trim can then release it). */
    memset(resident[t][i].p, 0x5a, 60000);
    memset(resident[t][i].guard, 0x5a, 60000);
    e->layout_ok &= guarded_layout_ok(&resident[t][i]);
    expect_free(e, chunk_size_of(resident[t][i].p));
    free_logged(resident[t][i].p, 60000, t, "resident");
  }
  for (int i = 0; i < n_plant_freed; i++) {
    e->layout_ok &= guarded_layout_ok(&plant_freed[t][i]);
    expect_free(e, chunk_size_of(plant_freed[t][i].p));
    free_logged(plant_freed[t][i].p, plant_freed[t][i].req, t, "plant");
  }
  /* Last: free() of an mmapped chunk munmaps it (and may raise mp_.mmap_threshold), or
   * from 2.43 puts it in a tcache bin when it is below tcache_max_bytes (raised with
   * glibc.malloc.tcache_max). Not predicted: that depends on the tunables. */
  for (int i = 0; i < 2; i++) {
    if (mm_freed[i]) free_logged(mm_freed[i], i == 0 ? 200000 : 300000, t, "mmapped-freed");
  }
}

/* ---------- threads ---------- */

static pthread_barrier_t parked_barrier;
static pid_t thread_tids[MAX_WORKERS + 1];
static pid_t heartbeat_tid;

/* Each thread's own tcache pointer: glibc's `static __thread tcache_perthread_struct
 * *tcache` in libc's static TLS block. dlinfo(RTLD_DI_TLS_DATA) gives where that block
 * lies from the thread pointer (the same for every thread: static TLS), the test gives
 * the variable's offset in it (--tcache-tls: its TLS symbol value in libc's debug file).
 * The pointer is NULL until the thread's first malloc (2.26-2.42), or points at libc's
 * const __tcache_dummy until its first small free (2.43+). */
static intptr_t libc_tls_from_tp;
static int have_tcache_tls;
static uintptr_t thread_tcache[MAX_WORKERS + 1];
static uintptr_t heartbeat_tcache;

static uintptr_t thread_pointer(void) {
  uintptr_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp)); /* x86-64: tcbhead_t.tcb, the TCB's own address */
  return tp;
}

static void setup_tcache_tls(void) {
  if (opt.tcache_tls < 0) return;
  /* libc's link map (a dlopen handle in glibc) from one of its functions: dladdr1 and
   * dlinfo allocate nothing, so the heap is the same with or without --tcache-tls. */
  Dl_info where;
  struct link_map *libc = NULL;
  void *block = NULL;
  if (!dladdr1((void *)gnu_get_libc_version, &where, (void **)&libc, RTLD_DL_LINKMAP) || !libc ||
      dlinfo(libc, RTLD_DI_TLS_DATA, &block) != 0 || !block)
    raw_die("cannot find libc's TLS block");
  libc_tls_from_tp = (intptr_t)block - (intptr_t)thread_pointer();
  have_tcache_tls = 1;
}

/* The calling thread's tcache pointer (0 when --tcache-tls was not given). */
static uintptr_t own_tcache(void) {
  if (!have_tcache_tls) return 0;
  return *(volatile uintptr_t *)(thread_pointer() + (uintptr_t)libc_tls_from_tp + (uintptr_t)opt.tcache_tls);
}

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void park_forever(void) {
  for (;;) pause();
}

/* Scenarios run one thread at a time, main (0) first, then workers in index order. That
 * makes heap layouts reproducible and fixes arena creation order: worker i's first malloc
 * creates the i-th arena, and since glibc links each new arena right after main_arena,
 * malloc_info's <heap nr="k"> (k >= 1) is the arena of worker N+1-k (when every worker
 * allocates and MALLOC_ARENA_MAX does not force sharing). */
static int scenario_turn;

static void run_scenario_in_turn(int t) {
  while (__atomic_load_n(&scenario_turn, __ATOMIC_ACQUIRE) != t) sched_yield();
  run_scenario(t);
  __atomic_store_n(&scenario_turn, t + 1, __ATOMIC_RELEASE);
}

static void *worker_main(void *arg) {
  int t = (int)(intptr_t)arg;
  recorder_thread_index = t;
  thread_tids[t] = current_tid();
  run_scenario_in_turn(t);
  thread_tcache[t] = own_tcache();
  pthread_barrier_wait(&parked_barrier);
  park_forever();
  return NULL;
}

/* Never allocates, so it gets neither an arena nor a tcache. */
static void *heartbeat_main(void *arg) {
  (void)arg;
  heartbeat_tcache = own_tcache();
  __atomic_store_n(&heartbeat_tid, current_tid(), __ATOMIC_RELEASE);
  int fd = open(opt.heartbeat, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) raw_die("heartbeat file");
  volatile uint64_t *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (counter == MAP_FAILED) raw_die("heartbeat mmap");
  for (;;) {
    __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* ---------- truth recording ---------- */

/* malloc_info writes to a FILE; a fopencookie stream with a static stdio buffer, created
 * before the scenario, lets it write into static memory without any allocation. */
static char xml_store[8 << 20];
static size_t xml_len;
static int xml_truncated;
static char xml_stdio_buffer[1 << 16];
static FILE *xml_stream;

static ssize_t xml_cookie_write(void *cookie, const char *buf, size_t size) {
  (void)cookie;
  size_t room = sizeof xml_store - xml_len;
  if (size > room) {
    xml_truncated = 1;
    size = room;
  }
  memcpy(xml_store + xml_len, buf, size);
  xml_len += size;
  return (ssize_t)size;
}

struct mallinfo2_layout { /* glibc >= 2.33 struct mallinfo2 */
  size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
static struct mallinfo2_layout (*mallinfo2_fn)(void);

static char out_store[1 << 16];
static char json_store[1 << 20];
static uint64_t calls_at_park;
static int snapshot_seq;
static int trim_result = -1;

/* Run through its own loader (as the tests run every glibc but the host's), the executable
 * and its .bss lie among the mappings mmap hands out, where an exec never puts them: an
 * mmapped chunk mapped right after .bss would merge into its VMA, where nothing tells it
 * from .bss. .bss's last page made MADV_DONTFORK has flags no chunk mapping has, so none
 * merges (as an exec'd program's .bss, followed by the brk heap, never meets them). */
extern char _end[];
static void fence_bss_end(void) {
  uintptr_t vs = 0, ve = 0;
  if (raw_find_vma((uintptr_t)_end - 1, &vs, &ve) != 0) raw_die(".bss not in maps");
  if (madvise((void *)(ve - 4096), 4096, MADV_DONTFORK) != 0) raw_die("madvise .bss end");
}

static void setup_truth(void) {
  if (mkdir(opt.out, 0755) != 0 && errno != EEXIST) raw_die("cannot create --out dir");
  cookie_io_functions_t io = {.write = xml_cookie_write};
  xml_stream = fopencookie(NULL, "w", io);
  if (!xml_stream) raw_die("fopencookie");
  if (setvbuf(xml_stream, xml_stdio_buffer, _IOFBF, sizeof xml_stdio_buffer) != 0) raw_die("setvbuf");
  /* mallinfo2 is in glibc 2.33+. Not looked up before: a failing dlsym leaves
     dlerror's message ("<this binary's path>: undefined symbol: mallinfo2") in
     a malloc'd buffer, a chunk whose size would follow the path the tests
     happen to run from. */
  const char *v = gnu_get_libc_version();
  char *end;
  long major = strtol(v, &end, 10);
  long minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
  if (major > 2 || minor >= 33) mallinfo2_fn = (struct mallinfo2_layout(*)(void))dlsym(RTLD_DEFAULT, "mallinfo2");
}

static void json_class_list(struct raw_out *o, const char *name, const struct class_list *l) {
  raw_str(o, "\"");
  raw_str(o, name);
  raw_str(o, "\":[");
  int first = 1;
  for (int i = 0; i < l->n; i++) {
    if (l->items[i].count == 0) continue;
    raw_str(o, first ? "{\"chunkSize\":" : ",{\"chunkSize\":");
    raw_u64(o, l->items[i].chunk);
    raw_str(o, ",\"count\":");
    raw_u64(o, (uint64_t)l->items[i].count);
    raw_str(o, "}");
    first = 0;
  }
  raw_str(o, "]");
}

static void json_kv_u64(struct raw_out *o, const char *k, uint64_t v, int comma) {
  raw_str(o, comma ? ",\"" : "\"");
  raw_str(o, k);
  raw_str(o, "\":");
  raw_u64(o, v);
}

static void write_mallinfo(void) {
  struct mallinfo2_layout m;
  const char *source;
  if (mallinfo2_fn) {
    m = mallinfo2_fn();
    source = "mallinfo2";
  } else {
    /* glibc < 2.33: int fields, wrap at 2 GiB (fine for these scenarios). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    struct mallinfo old = mallinfo();
#pragma GCC diagnostic pop
    m = (struct mallinfo2_layout){(unsigned)old.arena, (unsigned)old.ordblks, (unsigned)old.smblks,
                                  (unsigned)old.hblks, (unsigned)old.hblkhd, (unsigned)old.usmblks,
                                  (unsigned)old.fsmblks, (unsigned)old.uordblks, (unsigned)old.fordblks,
                                  (unsigned)old.keepcost};
    source = "mallinfo";
  }
  struct raw_out o = {json_store, 0, sizeof json_store, -1, 0, 0};
  raw_str(&o, "{\"source\":\"");
  raw_str(&o, source);
  raw_str(&o, "\"");
  json_kv_u64(&o, "arena", m.arena, 1);
  json_kv_u64(&o, "ordblks", m.ordblks, 1);
  json_kv_u64(&o, "smblks", m.smblks, 1);
  json_kv_u64(&o, "hblks", m.hblks, 1);
  json_kv_u64(&o, "hblkhd", m.hblkhd, 1);
  json_kv_u64(&o, "usmblks", m.usmblks, 1);
  json_kv_u64(&o, "fsmblks", m.fsmblks, 1);
  json_kv_u64(&o, "uordblks", m.uordblks, 1);
  json_kv_u64(&o, "fordblks", m.fordblks, 1);
  json_kv_u64(&o, "keepcost", m.keepcost, 1);
  raw_str(&o, "}\n");
  if (raw_write_file(opt.out, "mallinfo2.json", o.data, o.len) != 0) raw_die("write mallinfo2.json");
}

static void write_live(void) {
  int fd = raw_open_stream(opt.out, "live.tsv");
  if (fd < 0) raw_die("open live.tsv");
  struct raw_out o = {out_store, 0, sizeof out_store, fd, 0, 0};
  raw_str(&o, "ptr\trequested\tusable\tthread\tkind\n");
  recorder_lock();
  for (size_t i = 0; i < RECORDER_SLOTS; i++) {
    const struct alloc_record *r = &recorder_table[i];
    if (r->ptr == 0) continue;
    raw_hex(&o, r->ptr);
    raw_str(&o, "\t");
    raw_u64(&o, r->requested);
    raw_str(&o, "\t");
    raw_u64(&o, malloc_usable_size((void *)r->ptr));
    raw_str(&o, "\t");
    raw_i64(&o, r->thread);
    raw_str(&o, "\t");
    raw_str(&o, alloc_kind_names[r->kind]);
    raw_str(&o, "\n");
  }
  recorder_unlock();
  raw_flush(&o);
  if (o.write_error || raw_finish_stream(fd, opt.out, "live.tsv") != 0) raw_die("write live.tsv");
}

static void write_freed_and_plants(void) {
  int fd = raw_open_stream(opt.out, "freed.tsv");
  if (fd < 0) raw_die("open freed.tsv");
  struct raw_out o = {out_store, 0, sizeof out_store, fd, 0, 0};
  raw_str(&o, "ptr\trequested\tchunk\tthread\twhat\n");
  for (int i = 0; i < freed_count; i++) {
    raw_hex(&o, freed_log[i].ptr);
    raw_str(&o, "\t");
    raw_u64(&o, freed_log[i].requested);
    raw_str(&o, "\t");
    raw_u64(&o, freed_log[i].chunk);
    raw_str(&o, "\t");
    raw_i64(&o, freed_log[i].thread);
    raw_str(&o, "\t");
    raw_str(&o, freed_log[i].what);
    raw_str(&o, "\n");
  }
  raw_flush(&o);
  if (o.write_error || raw_finish_stream(fd, opt.out, "freed.tsv") != 0) raw_die("write freed.tsv");

  fd = raw_open_stream(opt.out, "plants.tsv");
  if (fd < 0) raw_die("open plants.tsv");
  o = (struct raw_out){out_store, 0, sizeof out_store, fd, 0, 0};
  raw_str(&o, "addr\tbytes\tencoding\tstate\tthread\tspec\tchunk\tvma_start\tvma_end\n");
  for (int i = 0; i < plant_count; i++) {
    const struct plant_record *p = &plant_log[i];
    raw_hex(&o, p->addr);
    raw_str(&o, "\t");
    raw_u64(&o, p->bytes);
    raw_str(&o, p->utf16 ? "\tutf16\t" : "\tascii\t");
    raw_str(&o, p->state);
    raw_str(&o, "\t");
    raw_i64(&o, p->thread);
    raw_str(&o, "\t");
    raw_i64(&o, p->spec);
    raw_str(&o, "\t");
    raw_hex(&o, p->chunk);
    raw_str(&o, "\t");
    raw_hex(&o, p->vma_start);
    raw_str(&o, "\t");
    raw_hex(&o, p->vma_end);
    raw_str(&o, "\n");
  }
  raw_flush(&o);
  if (o.write_error || raw_finish_stream(fd, opt.out, "plants.tsv") != 0) raw_die("write plants.tsv");
}

static void write_threads(void) {
  struct raw_out o = {out_store, 0, sizeof out_store, -1, 0, 0};
  raw_str(&o, "index\ttid\trole\ttcache\n");
  for (int t = 0; t <= opt.workers; t++) {
    raw_i64(&o, t);
    raw_str(&o, "\t");
    raw_i64(&o, thread_tids[t]);
    raw_str(&o, t == 0 ? "\tmain\t" : "\tworker\t");
    if (have_tcache_tls) raw_hex(&o, thread_tcache[t]);
    else raw_str(&o, "none");
    raw_str(&o, "\n");
  }
  if (opt.heartbeat) {
    raw_str(&o, "-1\t");
    raw_i64(&o, heartbeat_tid);
    raw_str(&o, "\theartbeat\t");
    if (have_tcache_tls) raw_hex(&o, heartbeat_tcache);
    else raw_str(&o, "none");
    raw_str(&o, "\n");
  }
  if (raw_write_file(opt.out, "threads.tsv", o.data, o.len) != 0) raw_die("write threads.tsv");
}

static void write_info(uint64_t calls_during) {
  struct raw_out o = {json_store, 0, sizeof json_store, -1, 0, 0};
  const char *version = gnu_get_libc_version();
  raw_str(&o, "{\"glibcVersion\":");
  raw_json_str(&o, version, strlen(version));
  json_kv_u64(&o, "pid", (uint64_t)getpid(), 1);
  json_kv_u64(&o, "snapshot", (uint64_t)snapshot_seq, 1);
  json_kv_u64(&o, "workers", (uint64_t)opt.workers, 1);
  json_kv_u64(&o, "tcacheFill", (uint64_t)tcache_fill, 1);
  json_kv_u64(&o, "fastbinMaxChunk", fastbin_max_chunk, 1);
  json_kv_u64(&o, "mmapTrailer", mmap_trailer, 1);
  json_kv_u64(&o, "mallocCallsDuringSnapshot", calls_during, 1);
  json_kv_u64(&o, "mallocCallsSinceParked", recorder_call_count() - calls_at_park, 1);
  json_kv_u64(&o, "foreignFrees", recorder_foreign_frees, 1);
  raw_str(&o, recorder_overflowed ? ",\"tableOverflow\":true" : ",\"tableOverflow\":false");
  json_kv_u64(&o, "liveCount", recorder_live, 1);
  raw_str(&o, xml_truncated ? ",\"mallocInfoTruncated\":true" : ",\"mallocInfoTruncated\":false");
  raw_str(&o, ",\"trimResult\":");
  if (trim_result < 0) raw_str(&o, "null");
  else raw_u64(&o, (uint64_t)trim_result);
  json_kv_u64(&o, "straddleMissed", (uint64_t)straddle_missed, 1);
  raw_str(&o, ",\"plantSpecs\":[");
  for (int s = 0; s < opt.n_plants; s++) {
    raw_str(&o, s ? ",{\"text\":" : "{\"text\":");
    raw_json_str(&o, opt.plants[s].text, opt.plants[s].len);
    raw_str(&o, opt.plants[s].utf16 ? ",\"encoding\":\"utf16\"" : ",\"encoding\":\"ascii\"");
    raw_str(&o, opt.plants[s].state == PLANT_FREED ? ",\"state\":\"freed\"" : ",\"state\":\"kept\"");
    json_kv_u64(&o, "count", (uint64_t)opt.plants[s].count, 1);
    raw_str(&o, "}");
  }
  raw_str(&o, "],\"expect\":[");
  for (int t = 0; t <= opt.workers; t++) {
    const struct thread_expect *e = &expects[t];
    raw_str(&o, t ? ",{" : "{");
    json_kv_u64(&o, "thread", (uint64_t)t, 0);
    json_kv_u64(&o, "keepCount", (uint64_t)e->keep_count, 1);
    json_kv_u64(&o, "keepBytes", e->keep_bytes, 1);
    json_kv_u64(&o, "mmappedCount", (uint64_t)e->mmapped_count, 1);
    json_kv_u64(&o, "mmappedRequested", e->mmapped_requested, 1);
    json_kv_u64(&o, "bulkBytes", e->bulk_bytes, 1);
    raw_str(&o, e->layout_ok ? ",\"layoutVerified\":true," : ",\"layoutVerified\":false,");
    json_class_list(&o, "tcache", &e->tcache);
    raw_str(&o, ",");
    json_class_list(&o, "fastbins", &e->fastbins);
    raw_str(&o, ",");
    json_class_list(&o, "unsorted", &e->unsorted);
    raw_str(&o, ",");
    json_class_list(&o, "smallbins", &e->smallbins);
    raw_str(&o, ",");
    json_class_list(&o, "largebins", &e->largebins);
    raw_str(&o, "}");
  }
  raw_str(&o, "]}\n");
  if (o.overflow) raw_die("info.json too large");
  if (raw_write_file(opt.out, "info.json", o.data, o.len) != 0) raw_die("write info.json");
}

static void snapshot(void) {
  uint64_t before = recorder_call_count();
  thread_tcache[0] = own_tcache();
  xml_len = 0;
  xml_truncated = 0;
  if (malloc_info(0, xml_stream) != 0) raw_die("malloc_info");
  fflush(xml_stream);
  write_mallinfo();
  write_live();
  uint64_t calls_during = recorder_call_count() - before;
  if (raw_write_file(opt.out, "malloc_info.xml", xml_store, xml_len) != 0) raw_die("write malloc_info.xml");
  write_freed_and_plants();
  write_threads();
  snapshot_seq++;
  write_info(calls_during);
}

static void serve_commands(void) {
  static char line[256];
  for (;;) {
    ssize_t n = raw_read_line(0, line, sizeof line);
    if (n < 0) _exit(0); /* stdin closed: the test runner is gone */
    if (strcmp(line, "trim") == 0) {
      trim_result = malloc_trim(0);
      snapshot();
      raw_say(trim_result ? "TRIMMED 1\n" : "TRIMMED 0\n");
    } else if (strcmp(line, "record") == 0) {
      snapshot();
      raw_say("RECORDED\n");
    } else if (strcmp(line, "exit") == 0) {
      _exit(0);
    } else if (n > 0) {
      raw_say("ERR unknown command\n");
    }
  }
}

int main(int argc, char **argv) {
  parse_options(argc, argv);
  set_glibc_facts();
  fence_bss_end();
  setup_truth();
  setup_tcache_tls();
  thread_tids[0] = current_tid();
  if (pthread_barrier_init(&parked_barrier, NULL, (unsigned)opt.workers + 1) != 0) raw_die("barrier");
  pthread_t th;
  if (opt.heartbeat && pthread_create(&th, NULL, heartbeat_main, NULL) != 0) raw_die("heartbeat thread");
  for (int t = 1; t <= opt.workers; t++) {
    if (pthread_create(&th, NULL, worker_main, (void *)(intptr_t)t) != 0) raw_die("pthread_create");
  }
  run_scenario_in_turn(0);
  pthread_barrier_wait(&parked_barrier);
  while (opt.heartbeat && __atomic_load_n(&heartbeat_tid, __ATOMIC_ACQUIRE) == 0) sched_yield();
  calls_at_park = recorder_call_count();
  snapshot();
  static char ready[64];
  struct raw_out o = {ready, 0, sizeof ready, -1, 0, 0};
  raw_str(&o, "READY ");
  raw_u64(&o, (uint64_t)getpid());
  raw_str(&o, "\n");
  raw_write_all(1, o.data, o.len, NULL);
  serve_commands();
  return 0;
}
