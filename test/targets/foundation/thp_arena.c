// A thread arena whose heap is partly backed by transparent huge pages, as a
// glibc 2.43+ arena heap can be (malloc.c madvise_thp; arena.c alloc_new_heap
// advises a new heap's usable range when mp_.thp_pagesize is set).
//
// One worker thread creates its arena (first malloc), then takes MIB MiB in one
// chunk from that arena (the mmap threshold is raised so the request is not
// mmapped: sysmalloc grows the heap with one mprotect), advises the 2 MiB-aligned
// range [heap + 2 MiB, heap + 4 MiB) with MADV_HUGEPAGE and touches the chunk.
// The range lies wholly inside the chunk and nothing touched it before the
// advice, so under THP "madvise" or "always" its first fault maps one 2 MiB page.
// Only that range is advised: the heap's rw part becomes three mappings (the
// kernel splits a VMA at a flag change), as glibc's own advice on a heap that
// later grows makes it two.
//
// Prints "READY <pid> heap=0x... advised=0x... advisedLength=N madvise=RC" and parks.
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <malloc.h>

#include "../lib/park.h"

#define MiB ((size_t)1 << 20)
// HEAP_MAX_SIZE on 64-bit (arena.c: 2 * DEFAULT_MMAP_THRESHOLD_MAX).
#define HEAP_MAX ((uintptr_t)64 << 20)

static size_t mib = 6;
static uintptr_t heap_base, advised;
static int madvise_rc;
// Kept where the compiler must assume it is read: the memset below is not a dead store.
char *volatile kept;
static pthread_barrier_t ready;

static void *worker(void *arg) {
  (void)arg;
  void *first = malloc(64);  // creates this thread's arena (arena_get2 -> _int_new_arena)
  heap_base = (uintptr_t)first & ~(HEAP_MAX - 1);  // heap_for_ptr
  char *big = malloc(mib * MiB);
  if (((uintptr_t)big & ~(HEAP_MAX - 1)) != heap_base) raw_die("the big chunk is not in the thread's heap");
  advised = heap_base + 2 * MiB;
  if ((uintptr_t)big > advised || (uintptr_t)big + mib * MiB < advised + 2 * MiB) raw_die("the advised range is not inside the chunk");
  madvise_rc = madvise((void *)advised, 2 * MiB, MADV_HUGEPAGE);
  memset(big, 0x5a, mib * MiB);
  kept = big;
  pthread_barrier_wait(&ready);
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) mib = (size_t)atoi(argv[1]);
  if (mib < 5) raw_die("need at least 5 MiB so [heap+2 MiB, heap+4 MiB) lies inside the chunk");
  // A request of MIB MiB must come from the arena, not its own mapping (mp_.mmap_threshold).
  if (mallopt(M_MMAP_THRESHOLD, (int)(16 * MiB)) != 1) raw_die("mallopt");
  pthread_barrier_init(&ready, NULL, 2);
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) raw_die("pthread_create");
  pthread_barrier_wait(&ready);
  ready_begin();
  ready_hex("heap", heap_base);
  ready_hex("advised", advised);
  ready_dec("advisedLength", 2 * MiB);
  ready_dec("madvise", (uint64_t)(madvise_rc == 0 ? 0 : 1));
  ready_send();
  park_until_exit();
  return 0;
}
