/* beat_heap: a heap that takes a while to walk, and a heartbeat.
 *
 *   beat_heap MIB FILE
 *
 * Fills MIB MiB of the main arena with 0x40..0x80 chunks and frees every fourth one
 * (tcache, then fastbins: long free lists), so a full arena walk reads millions of
 * chunks. Then a thread that never allocates increments a u64 at FILE offset 0
 * (a shared file mapping, read by the test) about every millisecond: while the
 * process is stopped the value stands still. Prints "READY <pid>" once the counter
 * has moved; stdin EOF ends it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t *counter;

static void *beat(void *arg) {
  (void)arg;
  struct timespec ms = {0, 1000000};
  for (;;) {
    __atomic_add_fetch(counter, 1, __ATOMIC_RELEASE);
    nanosleep(&ms, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: beat_heap MIB FILE\n");
    return 2;
  }
  size_t count = (size_t)atol(argv[1]) * 1024 * 1024 / 96;
  /* one big allocation: an mmapped chunk, outside the heap */
  char **chunks = malloc(count * sizeof *chunks);
  if (!chunks) return 1;
  for (size_t i = 0; i < count; i++) {
    size_t req = 48 + 16 * (i % 5);
    chunks[i] = malloc(req);
    if (!chunks[i]) return 1;
    snprintf(chunks[i], req, "beat heap chunk %zu", i);
  }
  for (size_t i = 0; i < count; i += 4) free(chunks[i]);

  int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (counter == MAP_FAILED) return 1;
  pthread_t th;
  if (pthread_create(&th, NULL, beat, NULL) != 0) return 1;
  while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) == 0) sched_yield();
  printf("READY %d\n", (int)getpid());
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}
