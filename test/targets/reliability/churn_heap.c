/* churn_heap: a heap that never holds still.
 *
 *   churn_heap THREADS
 *
 * THREADS threads (each soon on its own arena) replace random slots of a
 * 2048-slot pool forever: free one, malloc another of a random size (mostly
 * 16..1024 bytes, some up to 64 KiB), write into it. Every list of every arena
 * (tcache, fastbins, unsorted, small and large bins, top) changes thousands of
 * times a second, so a walk that does not stop the process reads it while it
 * moves. Prints "READY <pid>" once every thread has filled its pool; stdin EOF
 * ends it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 2048

static pthread_barrier_t filled;

static size_t pick_size(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  uint64_t r = *x;
  if (r % 64 == 0) return 4096 + (size_t)(r >> 8) % (60 * 1024);
  return 16 + (size_t)(r >> 8) % 1008;
}

static void *churn(void *arg) {
  uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)arg;
  void *pool[SLOTS];
  for (int i = 0; i < SLOTS; i++) {
    size_t n = pick_size(&x);
    pool[i] = malloc(n);
    if (!pool[i]) abort();
    memset(pool[i], 'a' + i % 26, n);
  }
  pthread_barrier_wait(&filled);
  for (;;) {
    size_t slot = (size_t)(x % SLOTS);
    free(pool[slot]);
    size_t n = pick_size(&x);
    pool[slot] = malloc(n);
    if (!pool[slot]) abort();
    memset(pool[slot], 'a' + (int)(n % 26), n < 64 ? n : 64);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 8;
  if (threads < 1 || threads > 64) return 2;
  pthread_barrier_init(&filled, NULL, (unsigned)threads + 1);
  for (int t = 0; t < threads; t++) {
    pthread_t th;
    if (pthread_create(&th, NULL, churn, (void *)(uintptr_t)(t + 1)) != 0) abort();
  }
  pthread_barrier_wait(&filled);
  printf("READY %d\n", getpid());
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
