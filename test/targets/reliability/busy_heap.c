// busy_heap MIB [THREADS [shuffled [small]]]: fills MIB MiB of glibc heap with small chunks of
// text in the main arena and in THREADS thread arenas (default 1; 0: the main
// arena alone), then frees
// every fourth chunk (7 per size into the tcache, the rest into fastbins:
// long free lists spread over the whole heap; "shuffled" frees them in a
// random order, so each list jumps all over its heap), and parks. A walk or a string scan of it takes a while: long enough to kill
// the target while arenascope is inside one. "small" makes the chunks 0x20..0x50
// (requests of 24..72 bytes, about 11 million chunks in 626 MiB: the
// inspector-cost bench's target, scripts/bench/cost.mjs) instead of 0x40..0x80.
// Prints "READY <pid>".
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t bytes_per_arena;
static int shuffled;
static int small;
static pthread_barrier_t filled;

static void fill(unsigned seed) {
  // 48..112-byte requests: 0x40..0x80 chunks, five size classes; small:
  // 24..72-byte requests, 0x20..0x50 chunks, four classes.
  size_t classes = small ? 4 : 5;
  size_t count = bytes_per_arena / (small ? 56 : 96);
  // The pointer list is one big allocation: an mmapped chunk, outside the heap.
  char** chunks = malloc(count * sizeof *chunks);
  if (!chunks) abort();
  for (size_t i = 0; i < count; ++i) {
    size_t req = (small ? 24 : 48) + 16 * ((i * 7 + seed) % classes);
    chunks[i] = malloc(req);
    if (!chunks[i]) abort();
    snprintf(chunks[i], req, "busy heap text %zu of thread %u, padding....", i, seed);
  }
  // Freed only now, so no later malloc takes them back.
  size_t nfree = count / 4;
  if (shuffled) {
    // Fisher-Yates over the chunks to free, with a fixed xorshift generator.
    uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;
    for (size_t k = nfree; k > 1; --k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      size_t j = (size_t)(x % k);
      char* t = chunks[4 * (k - 1) + 3];
      chunks[4 * (k - 1) + 3] = chunks[4 * j + 3];
      chunks[4 * j + 3] = t;
    }
  }
  for (size_t k = 0; k < nfree; ++k) free(chunks[4 * k + 3]);
}

static void* worker(void* arg) {
  fill((unsigned)(size_t)arg);
  pthread_barrier_wait(&filled);
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  shuffled = argc > 3 && strcmp(argv[3], "shuffled") == 0;
  small = argc > 4 && strcmp(argv[4], "small") == 0;
  bytes_per_arena = (mib << 20) / (size_t)(threads + 1);
  pthread_barrier_init(&filled, NULL, (unsigned)threads + 1);
  for (int t = 0; t < threads; ++t) {
    pthread_t th;
    if (pthread_create(&th, NULL, worker, (void*)(size_t)(t + 1)) != 0) abort();
  }
  fill(0);
  pthread_barrier_wait(&filled);
  printf("READY %d\n", getpid());
  fflush(stdout);
  for (;;) pause();
}
