/* corrupt: a target that damages its own malloc state on purpose, then parks without
 * ever calling malloc/free again (glibc would abort on the damage).
 *
 *   corrupt --mode LIST [--arena main|thread]
 *
 * LIST is a comma list of:
 *   size-huge       a kept chunk's size field becomes 0x7ffffffffff0|PREV_INUSE
 *   size-zero       a kept chunk's size field becomes 0|PREV_INUSE
 *   smallbin-cycle  the 0x100 small bin's fd chain loops over 3 chunks, never back to the bin
 *   fastbin-wild    the 0x40 fastbin's second link points outside every mapping (0xdead0000)
 *   fastbin-cycle   the 0x60 fastbin's two chunks point at each other
 *                   (both fastbin modes up to glibc 2.42: 2.43 removed fastbins)
 *   tcache-wild     the 0x50 tcache bin's second link points at 0xdead0000
 *   lock-held       (--arena thread only) the worker's arena mutex is left taken, as if a
 *                   thread were inside malloc on it for good (READY lockedArena=0x...)
 *   unsorted-header (--arena main only) main_arena's own unsorted bin header loses its bk
 *                   (0) while its fd still lists a freed 0x500 chunk: the arena state
 *                   itself is inconsistent (READY unsortedHeader=0x... is bin_at(1), the
 *                   fake chunk whose fd/bk are main_arena's bins[0..1]; unsortedChunk=0x...)
 * Links in fastbin/tcache chunks are stored safe-linked on glibc >= 2.32 (malloc.c PROTECT_PTR), so
 * the *revealed* pointer is the one described above.
 *
 * --arena thread does all of it in a worker thread's arena (non-main arena).
 * Prints "READY <pid> key=0x..." with the damaged chunks (chunk header addresses; the
 * tcache entry is a user pointer, as tcache links are). stdin "exit" or EOF ends it.
 */
#define _GNU_SOURCE
#include <gnu/libc-version.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/park.h"

#define WILD_POINTER ((uintptr_t)0xdead0000u) /* 16-aligned, below every x86-64 PIE/lib mapping */

enum {
  MODE_SIZE_HUGE = 1,
  MODE_SIZE_ZERO = 2,
  MODE_SMALLBIN_CYCLE = 4,
  MODE_FASTBIN_WILD = 8,
  MODE_FASTBIN_CYCLE = 16,
  MODE_TCACHE_WILD = 32,
  MODE_LOCK_HELD = 64,
  MODE_UNSORTED_HEADER = 128,
};

/* A non-main heap is aligned to HEAP_MAX_SIZE (2 * DEFAULT_MMAP_THRESHOLD_MAX = 64 MiB on
 * 64-bit, arena.c) and starts with heap_info, whose first field is ar_ptr; malloc_state
 * starts with its mutex, a lll lock (0 free, 1 taken, 2 taken with waiters). */
#define HEAP_MAX ((uintptr_t)64 << 20)

static unsigned modes;
static int safe_linking;
/* mp_.tcache_count by default: TCACHE_FILL_COUNT, 7 up to glibc 2.42 and 16 from 2.43. */
#define MAX_TCACHE_FILL 16
static int tcache_fill = 7;
/* 2.43+ makes a thread's tcache at its first free of a small chunk, wherever malloc then
 * carves it; up to 2.42 at its first malloc, as the first chunk of its heap. */
static int tcache_at_first_free;

struct damage {
  uintptr_t size_huge, size_zero, smallbin_cycle, fastbin_wild, fastbin_cycle, tcache_wild, locked_arena;
  uintptr_t unsorted_header, unsorted_chunk;
};
static struct damage damage;
static volatile int damage_done;

/* PROTECT_PTR (glibc >= 2.32): stored = (address of the field >> 12) ^ pointer. */
static uintptr_t protect(const void *field, uintptr_t pointer) {
  return safe_linking ? (((uintptr_t)field >> 12) ^ pointer) : pointer;
}

static void *must_malloc(size_t n) {
  void *p = malloc(n);
  if (!p) raw_die("malloc");
  return p;
}

static void do_damage(void) {
  char *keep_a = 0, *keep_b = 0;
  /* The tcache first, before every chunk the modes damage (as up to 2.42): arenascope
   * finds a 2.43 tcache by its size as the chunk walk passes it, which stops at a
   * damaged size. The freed chunk (0x90) is of a size nothing below asks for, so it
   * stays in the tcache instead of becoming a guard out of place. */
  if (tcache_at_first_free) free(must_malloc(0x90 - 8));
  /* lock-held: any chunk of this thread's heap leads to its arena (heap_info.ar_ptr) */
  char *probe = (modes & MODE_LOCK_HELD) ? must_malloc(64) : 0;
  char *small[MAX_TCACHE_FILL + 3], *fast40[9], *fast60[9], *tc50[2], *unsorted = 0;
  /* Phase 1: every allocation; a 24-byte guard after each chunk that will be freed keeps
   * freed chunks from coalescing. */
  if (modes & (MODE_SIZE_HUGE | MODE_SIZE_ZERO)) {
    keep_a = must_malloc(0x200 - 8);
    keep_b = must_malloc(0x200 - 8);
    must_malloc(24);
  }
  if (modes & MODE_SMALLBIN_CYCLE) {
    for (int i = 0; i < tcache_fill + 3; i++) {
      small[i] = must_malloc(0x100 - 8);
      must_malloc(24);
    }
  }
  if (modes & MODE_FASTBIN_WILD) {
    for (int i = 0; i < 9; i++) {
      fast40[i] = must_malloc(0x40 - 8);
      must_malloc(24);
    }
  }
  if (modes & MODE_FASTBIN_CYCLE) {
    for (int i = 0; i < 9; i++) {
      fast60[i] = must_malloc(0x60 - 8);
      must_malloc(24);
    }
  }
  if (modes & MODE_TCACHE_WILD) {
    for (int i = 0; i < 2; i++) {
      tc50[i] = must_malloc(0x50 - 8);
      must_malloc(24);
    }
  }
  if (modes & MODE_UNSORTED_HEADER) {
    /* chunk 0x500: above the tcache's largest (0x410) and the fastbins: free() puts it in
     * the unsorted bin; the guard keeps it from merging into top. */
    unsorted = must_malloc(0x500 - 8);
    must_malloc(24);
  }
  /* Phase 2: frees. tcache_fill of a size fill its tcache bin; later frees of that size
   * reach the fastbins (<= 0x80, up to 2.42) or the unsorted bin. */
  if (modes & MODE_SMALLBIN_CYCLE) {
    for (int i = 0; i < tcache_fill + 3; i++) free(small[i]);
    /* A large request sorts the unsorted bin: the 3 extra 0x100 chunks land in small bin 16. */
    must_malloc(0x3000);
  }
  if (modes & MODE_FASTBIN_WILD) for (int i = 0; i < 9; i++) free(fast40[i]);
  if (modes & MODE_FASTBIN_CYCLE) for (int i = 0; i < 9; i++) free(fast60[i]);
  if (modes & MODE_TCACHE_WILD) for (int i = 0; i < 2; i++) free(tc50[i]);
  if (modes & MODE_UNSORTED_HEADER) free(unsorted);

  /* Phase 3: damage. No malloc-family call may follow. */
  if (modes & MODE_SIZE_HUGE) {
    ((size_t *)keep_a)[-1] = (size_t)0x7ffffffffff0ull | 1;
    damage.size_huge = (uintptr_t)keep_a - 16;
  }
  if (modes & MODE_SIZE_ZERO) {
    ((size_t *)keep_b)[-1] = 1;
    damage.size_zero = (uintptr_t)keep_b - 16;
  }
  if (modes & MODE_SMALLBIN_CYCLE) {
    /* The last 3 freed are the small-bin chunks. Their fd (user+0) chain ends at the bin
     * header; point the last one back at the first one instead. */
    char **binned = small + tcache_fill;
    uintptr_t headers[3] = {(uintptr_t)binned[0] - 16, (uintptr_t)binned[1] - 16, (uintptr_t)binned[2] - 16};
    int last = -1, first = -1;
    for (int i = 0; i < 3; i++) {
      uintptr_t fd = *(uintptr_t *)binned[i];
      int points_inside = fd == headers[0] || fd == headers[1] || fd == headers[2];
      if (!points_inside) last = i;
      int pointed_to = 0;
      for (int j = 0; j < 3; j++) pointed_to |= *(uintptr_t *)binned[j] == headers[i];
      if (!pointed_to) first = i;
    }
    if (last < 0 || first < 0) raw_die("small bin chain not as expected");
    *(uintptr_t *)binned[last] = headers[first];
    damage.smallbin_cycle = headers[last];
  }
  if (modes & MODE_FASTBIN_WILD) {
    /* fast40[7] then fast40[8] went to the fastbin; the head is fast40[8]. */
    *(uintptr_t *)fast40[8] = protect(fast40[8], WILD_POINTER);
    damage.fastbin_wild = (uintptr_t)fast40[8] - 16;
  }
  if (modes & MODE_FASTBIN_CYCLE) {
    /* head fast60[8] -> fast60[7]; make fast60[7] point back at fast60[8]. Fastbin links
     * point at chunk headers. */
    *(uintptr_t *)fast60[7] = protect(fast60[7], (uintptr_t)fast60[8] - 16);
    damage.fastbin_cycle = (uintptr_t)fast60[7] - 16;
  }
  if (modes & MODE_TCACHE_WILD) {
    /* head tc50[1] -> tc50[0]; tcache links point at user memory. */
    *(uintptr_t *)tc50[1] = protect(tc50[1], WILD_POINTER);
    damage.tcache_wild = (uintptr_t)tc50[1];
  }
  if (modes & MODE_UNSORTED_HEADER) {
    /* Alone in the unsorted bin, the chunk's fd and bk both point at the bin header
     * (bin_at(av, 1), a fake chunk whose fd/bk fields are av->bins[0] and av->bins[1]). */
    uintptr_t header = ((uintptr_t *)unsorted)[0];
    if (((uintptr_t *)unsorted)[1] != header) raw_die("unsorted chunk not alone in its bin");
    if (((uintptr_t *)header)[2] != (uintptr_t)unsorted - 16) raw_die("unsorted header does not list the chunk");
    ((uintptr_t *)header)[3] = 0;
    damage.unsorted_header = header;
    damage.unsorted_chunk = (uintptr_t)unsorted - 16;
  }
  if (modes & MODE_LOCK_HELD) {
    uintptr_t arena = *(uintptr_t *)((uintptr_t)probe & ~(HEAP_MAX - 1));
    __atomic_store_n((int *)arena, 1, __ATOMIC_RELEASE);
    damage.locked_arena = arena;
  }
}

static void *worker(void *arg) {
  (void)arg;
  do_damage();
  __atomic_store_n(&damage_done, 1, __ATOMIC_RELEASE);
  for (;;) pause();
  return NULL;
}

static unsigned parse_modes(char *list) {
  unsigned m = 0;
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (strcmp(tok, "size-huge") == 0) m |= MODE_SIZE_HUGE;
    else if (strcmp(tok, "size-zero") == 0) m |= MODE_SIZE_ZERO;
    else if (strcmp(tok, "smallbin-cycle") == 0) m |= MODE_SMALLBIN_CYCLE;
    else if (strcmp(tok, "fastbin-wild") == 0) m |= MODE_FASTBIN_WILD;
    else if (strcmp(tok, "fastbin-cycle") == 0) m |= MODE_FASTBIN_CYCLE;
    else if (strcmp(tok, "tcache-wild") == 0) m |= MODE_TCACHE_WILD;
    else if (strcmp(tok, "lock-held") == 0) m |= MODE_LOCK_HELD;
    else if (strcmp(tok, "unsorted-header") == 0) m |= MODE_UNSORTED_HEADER;
    else raw_die("unknown --mode");
  }
  return m;
}

int main(int argc, char **argv) {
  int in_thread = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--mode") == 0) modes = parse_modes(argv[i + 1]);
    else if (strcmp(argv[i], "--arena") == 0) in_thread = strcmp(argv[i + 1], "thread") == 0;
    else raw_die("usage: corrupt --mode LIST [--arena main|thread]");
  }
  if (modes == 0) raw_die("--mode is required");
  if ((modes & MODE_LOCK_HELD) && !in_thread) raw_die("lock-held needs --arena thread");
  if ((modes & MODE_UNSORTED_HEADER) && in_thread) raw_die("unsorted-header needs --arena main");
  const char *v = gnu_get_libc_version();
  int major = atoi(v);
  const char *dot = strchr(v, '.');
  int minor = dot ? atoi(dot + 1) : 0;
  safe_linking = major > 2 || (major == 2 && minor >= 32);
  if (major > 2 || minor >= 43) {
    tcache_fill = 16; /* glibc 2.43 malloc.c: TCACHE_FILL_COUNT 16 */
    tcache_at_first_free = 1; /* glibc 2.43 tcache_free_init */
    if (modes & (MODE_FASTBIN_WILD | MODE_FASTBIN_CYCLE)) raw_die("fastbin modes need fastbins: glibc 2.43 removed them");
  }
  if (in_thread) {
    pthread_t th;
    if (pthread_create(&th, NULL, worker, NULL) != 0) raw_die("pthread_create");
    while (!__atomic_load_n(&damage_done, __ATOMIC_ACQUIRE)) sched_yield();
  } else {
    do_damage();
  }
  ready_begin();
  ready_word("arena", in_thread ? "thread" : "main");
  ready_word("safeLinking", safe_linking ? "1" : "0");
  ready_hex("wild", WILD_POINTER);
  if (damage.size_huge) ready_hex("sizeHuge", damage.size_huge);
  if (damage.size_zero) ready_hex("sizeZero", damage.size_zero);
  if (damage.smallbin_cycle) ready_hex("smallbinCycle", damage.smallbin_cycle);
  if (damage.fastbin_wild) ready_hex("fastbinWild", damage.fastbin_wild);
  if (damage.fastbin_cycle) ready_hex("fastbinCycle", damage.fastbin_cycle);
  if (damage.tcache_wild) ready_hex("tcacheWild", damage.tcache_wild);
  if (damage.locked_arena) ready_hex("lockedArena", damage.locked_arena);
  if (damage.unsorted_header) {
    ready_hex("unsortedHeader", damage.unsorted_header);
    ready_hex("unsortedChunk", damage.unsorted_chunk);
  }
  ready_send();
  park_until_exit();
  return 0;
}
