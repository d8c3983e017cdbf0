// Test target for residency / malloc_trim estimates. It builds known heap
// shapes in the main arena and in thread arenas, keeps the memory resident,
// and on request reports its own chunk table (walked from inside, as glibc
// lays chunks out: malloc.c's boundary tags, arena.c's heap_info) and calls
// malloc_trim(0).
//
// Run it with GLIBC_TUNABLES=glibc.malloc.tcache_count=0 so no chunk sits in a
// tcache: then every free chunk is either one this program freed into a
// fastbin (it knows which) or is marked free by the next chunk's PREV_INUSE.
//
// Options (any order, repeatable where it makes sense):
//   --main-alt K      K chunks of 60000 bytes in the main arena, every odd one freed
//   --main-top B      B bytes malloc'd, touched and freed next to the main top
//   --thread-alt K    a thread whose arena gets the --main-alt shape
//   --thread-fast M   a thread: big A, M fastbin-sized chunks, big C, guard; A, smalls, C freed
//   --thread-frag N   a thread: N chunks of 0x100, every other one freed (fragmentation)
//   --idle N          N more threads that each malloc and touch 64 KiB and keep it
//   --raise-threshold B  malloc, touch and free B bytes (mmapped): raises mmap_threshold
// stdin commands (one per line): dump, trim, quit. Output: "ready", then for
// dump "arena IDX MAIN START END TOPATBRK" lines, "c IDX START SIZE STATE"
// lines, "mmapfreed SIZE" after --raise-threshold, and "end"; for trim
// "trimmed RET".
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define BIG 60000
#define SMALL 112 /* chunk 0x80: the largest default fastbin size */
#define MAX_ARENAS 64
#define MAX_FREED 100000
#define HEAP_MAX (64UL * 1024 * 1024)
#define HEAP_INFO_SIZE 0x30 /* 2.35+ */
#define FIRST_CHUNK_OFFSET 0x8d0 /* 2.35-2.42: heap_info + malloc_state, 16-aligned */

enum { S_INUSE = 0, S_BIN = 1, S_FAST = 2, S_TCACHE = 3, S_TOP = 4, S_INTERNAL = 5 };

struct arena_rec {
  int main;
  uintptr_t sample; /* any chunk of the arena */
};

static struct arena_rec arenas[MAX_ARENAS];
static int n_arenas;
static uintptr_t fast_freed[MAX_FREED];
static int n_fast_freed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready_barrier;
static size_t mmapped_freed; /* chunk size of the mmapped block freed by --raise-threshold */

static void out(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w <= 0) _exit(2);
    s += w;
    n -= (size_t)w;
  }
}

/* The asm barrier makes the pointer escape, so the compiler can neither drop
   the stores as dead before free() nor elide a malloc/free pair. */
static void touch(void *p, size_t n) {
  memset(p, 0xa5, n);
  __asm__ volatile("" : : "r"(p) : "memory");
}

/* heap_info.ar_ptr of the heap holding a non-main chunk. */
static uintptr_t arena_of(uintptr_t chunk) { return *(uintptr_t *)(chunk & ~(HEAP_MAX - 1)); }

static void add_arena(int is_main, void *sample) {
  uintptr_t chunk = (uintptr_t)sample - 16;
  /* Under an arena cap a thread may be handed the main arena: an in-use
     chunk carries NON_MAIN_ARENA (0x4) exactly when it is not from main. */
  if (!(*(size_t *)(chunk + 8) & 4)) is_main = 1;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < n_arenas; i++) {
    if (!is_main && !arenas[i].main && arena_of(arenas[i].sample) == arena_of(chunk)) {
      pthread_mutex_unlock(&lock);
      return;
    }
    if (is_main && arenas[i].main) {
      pthread_mutex_unlock(&lock);
      return;
    }
  }
  if (n_arenas < MAX_ARENAS) {
    arenas[n_arenas].main = is_main;
    arenas[n_arenas].sample = chunk;
    n_arenas++;
  }
  pthread_mutex_unlock(&lock);
}

static void alt_pattern(int k, int is_main) {
  void **p = calloc((size_t)k, sizeof(void *));
  for (int i = 0; i < k; i++) {
    p[i] = malloc(BIG);
    touch(p[i], BIG);
  }
  add_arena(is_main, p[0]);
  /* Every odd chunk but the last: neighbours stay in use, so nothing coalesces
     and nothing merges into top. */
  for (int i = 1; i < k - 1; i += 2) free(p[i]);
  /* p and the even chunks stay allocated on purpose. */
}

static void fast_pattern(int m) {
  /* Layout: [s array] A s0..s(m-1) C guard, so consolidation can merge A, the smalls and C. */
  void **s = malloc((size_t)m * sizeof(void *));
  void *a = malloc(BIG);
  touch(a, BIG);
  for (int i = 0; i < m; i++) {
    s[i] = malloc(SMALL);
    touch(s[i], SMALL);
  }
  void *c = malloc(BIG);
  touch(c, BIG);
  void *guard = malloc(BIG);
  touch(guard, BIG);
  add_arena(0, a);
  free(a);
  pthread_mutex_lock(&lock);
  for (int i = 0; i < m; i++) {
    if (n_fast_freed < MAX_FREED) fast_freed[n_fast_freed++] = (uintptr_t)s[i] - 16;
    free(s[i]); /* tcache disabled: straight into the fastbin */
  }
  pthread_mutex_unlock(&lock);
  /* C's previous chunk is a fastbin chunk (looks in use) and C < 64 KiB, so
     this free neither coalesces nor triggers malloc_consolidate. */
  free(c);
}

/* N chunks of 0x100 (above the fastbin sizes), every other one freed: the
   free ones sit in small bins between live neighbours on shared pages, so no
   page can be trimmed: fragmentation. */
static void frag_pattern(int n) {
  if (n <= 0) return;
  void **p = malloc((size_t)n * sizeof(void *));
  for (int i = 0; i < n; i++) {
    p[i] = malloc(240);
    touch(p[i], 240);
  }
  add_arena(0, p[0]);
  for (int i = 0; i < n; i += 2) free(p[i]);
}

struct job {
  int kind; /* 0 alt, 1 fast, 2 idle, 3 frag */
  int n;
};

static void *thread_main(void *arg) {
  struct job *j = arg;
  if (j->kind == 0) alt_pattern(j->n, 0);
  else if (j->kind == 1) fast_pattern(j->n);
  else if (j->kind == 3) frag_pattern(j->n);
  else {
    void *p = malloc(64 * 1024 - 64);
    touch(p, 64 * 1024 - 64);
    add_arena(0, p);
  }
  pthread_barrier_wait(&ready_barrier);
  for (;;) pause();
  return NULL;
}

static int is_fast_freed(uintptr_t c) {
  for (int i = 0; i < n_fast_freed; i++)
    if (fast_freed[i] == c) return 1;
  return 0;
}

static size_t csize(uintptr_t c) { return *(size_t *)(c + 8) & ~(size_t)7; }
static int prev_inuse(uintptr_t c) { return (int)(*(size_t *)(c + 8) & 1); }

/* Reads /proc/self/maps with raw syscalls into a static buffer: stdio would
   malloc (and free) in the very heap being described. */
static char maps_buf[1 << 20];
static void heap_bounds(uintptr_t *start, uintptr_t *end) {
  *start = *end = 0;
  int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) return;
  size_t len = 0;
  ssize_t r;
  while (len + 1 < sizeof maps_buf && (r = read(fd, maps_buf + len, sizeof maps_buf - 1 - len)) > 0) len += (size_t)r;
  close(fd);
  maps_buf[len] = 0;
  char *h = strstr(maps_buf, "[heap]");
  if (!h) return;
  while (h > maps_buf && h[-1] != '\n') h--;
  sscanf(h, "%lx-%lx", start, end);
}

static void walk(int idx, uintptr_t first, uintptr_t top_end) {
  char buf[160];
  uintptr_t c = first;
  int guard = 0;
  while (c < top_end && guard++ < 10000000) {
    size_t sz = csize(c);
    if (sz < 0x10) break;
    int state;
    if (c + sz == top_end) state = S_TOP;
    else if (c == first && sz == 0x290) state = S_INTERNAL; /* tcache_perthread_struct */
    else if (is_fast_freed(c)) state = S_FAST;
    else state = prev_inuse(c + sz) ? S_INUSE : S_BIN;
    snprintf(buf, sizeof buf, "c %d %lu %lu %d\n", idx, (unsigned long)c, (unsigned long)sz, state);
    out(buf);
    c += sz;
  }
}

static void dump(void) {
  char buf[200];
  uintptr_t hs, he;
  heap_bounds(&hs, &he);
  for (int i = 0; i < n_arenas; i++) {
    if (arenas[i].main) {
      uintptr_t brk_now = (uintptr_t)sbrk(0);
      snprintf(buf, sizeof buf, "arena %d 1 %lu %lu %d\n", i, (unsigned long)hs, (unsigned long)he, 1);
      out(buf);
      walk(i, hs, brk_now);
    } else {
      uintptr_t base = arenas[i].sample & ~(HEAP_MAX - 1);
      size_t size = *(size_t *)(base + 0x10);
      size_t mprotect_size = *(size_t *)(base + 0x18);
      snprintf(buf, sizeof buf, "arena %d 0 %lu %lu %d\n", i, (unsigned long)base, (unsigned long)(base + mprotect_size), 0);
      out(buf);
      walk(i, base + FIRST_CHUNK_OFFSET, base + size);
    }
  }
  if (mmapped_freed) {
    snprintf(buf, sizeof buf, "mmapfreed %lu\n", (unsigned long)mmapped_freed);
    out(buf);
  }
  out("end\n");
}

int main(int argc, char **argv) {
  struct job jobs[256];
  int n_jobs = 0, main_alt = 0, main_top = 0, raise = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    int v = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--main-alt")) main_alt = v;
    else if (!strcmp(argv[i], "--main-top")) main_top = v;
    else if (!strcmp(argv[i], "--raise-threshold")) raise = v;
    else if (!strcmp(argv[i], "--thread-alt") && n_jobs < 256) jobs[n_jobs++] = (struct job){0, v};
    else if (!strcmp(argv[i], "--thread-fast") && n_jobs < 256) jobs[n_jobs++] = (struct job){1, v};
    else if (!strcmp(argv[i], "--thread-frag") && n_jobs < 256) jobs[n_jobs++] = (struct job){3, v};
    else if (!strcmp(argv[i], "--idle"))
      for (int k = 0; k < v && n_jobs < 256; k++) jobs[n_jobs++] = (struct job){2, 0};
  }
  /* The main arena always exists; record it first. */
  void *first = malloc(32);
  add_arena(1, first);
  if (main_alt) alt_pattern(main_alt, 1);
  if (raise) {
    /* Above the 128 KiB default, so it is mmapped; freeing it makes glibc
       raise mmap_threshold to its chunk size (malloc.c munmap_chunk's caller
       __libc_free: the dynamic threshold). */
    char *big = malloc((size_t)raise);
    touch(big, (size_t)raise);
    mmapped_freed = *(size_t *)(big - 8) & ~(size_t)7;
    free(big);
  }
  pthread_barrier_init(&ready_barrier, NULL, (unsigned)n_jobs + 1);
  pthread_t tids[256];
  for (int i = 0; i < n_jobs; i++) pthread_create(&tids[i], NULL, thread_main, &jobs[i]);
  pthread_barrier_wait(&ready_barrier);
  if (main_top) {
    /* Touched, then freed into top: below the trim threshold, so it stays resident. */
    void *t = malloc((size_t)main_top);
    touch(t, (size_t)main_top);
    free(t);
  }
  out("ready\n");
  char cmd[64];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(0, cmd + len, 1);
    if (r <= 0) return 0;
    if (cmd[len] != '\n' && len + 1 < sizeof cmd) {
      len++;
      continue;
    }
    cmd[len] = 0;
    len = 0;
    if (!strcmp(cmd, "dump")) dump();
    else if (!strcmp(cmd, "trim")) {
      char buf[32];
      snprintf(buf, sizeof buf, "trimmed %d\n", malloc_trim(0));
      out(buf);
    } else if (!strcmp(cmd, "quit")) return 0;
  }
}
