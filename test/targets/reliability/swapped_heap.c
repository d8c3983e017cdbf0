// swapped_heap N NEEDLE: a worker thread (its own arena) mallocs N chunks of
// 64 KiB, fills each with a byte pattern and NEEDLE, keeps them, then pages
// out (MADV_PAGEOUT, Linux 5.4) the whole pages inside each chunk's user
// data, so every chunk header stays resident and the walk stays exact while
// the strings and the pattern are in swap. Prints
//   READY <pid> <arena heap start> <first chunk user> <last chunk user end> <paged-out bytes>
// and then sleeps; stdin "pageout" pages the same ranges out again and prints PAGED.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21 /* include/uapi/asm-generic/mman-common.h, Linux 5.4 */
#endif

#define CHUNK (64 * 1024)
#define PAGE 4096UL

static int n_chunks;
static const char* needle;
static uint8_t** chunks;
static size_t paged;

static void page_out(void) {
  paged = 0;
  for (int i = 0; i < n_chunks; i++) {
    uintptr_t lo = ((uintptr_t)chunks[i] + PAGE - 1) & ~(PAGE - 1);
    uintptr_t hi = ((uintptr_t)chunks[i] + CHUNK) & ~(PAGE - 1);
    if (hi > lo && madvise((void*)lo, hi - lo, MADV_PAGEOUT) == 0) paged += hi - lo;
  }
}

static void* worker(void* arg) {
  (void)arg;
  chunks = malloc(sizeof *chunks * n_chunks);
  for (int i = 0; i < n_chunks; i++) {
    chunks[i] = malloc(CHUNK);
    for (size_t j = 0; j < CHUNK; j++) chunks[i][j] = (uint8_t)(0x80 | ((j * 7 + i) & 0x7f));
    // the needle sits in the middle of the chunk: a page that will be swapped out
    memcpy(chunks[i] + CHUNK / 2, needle, strlen(needle));
  }
  page_out();
  return NULL;
}

int main(int argc, char** argv) {
  n_chunks = argc > 1 ? atoi(argv[1]) : 64;
  needle = argc > 2 ? argv[2] : "SWAPPED-NEEDLE-0123456789";
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  uintptr_t heap = (uintptr_t)chunks[0] & ~((uintptr_t)64 * 1024 * 1024 - 1);
  printf("READY %d 0x%lx 0x%lx 0x%lx %zu\n", getpid(), (unsigned long)heap, (unsigned long)chunks[0],
         (unsigned long)(chunks[n_chunks - 1] + CHUNK), paged);
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "pageout", 7) == 0) {
      page_out();
      printf("PAGED %zu\n", paged);
      fflush(stdout);
    }
  }
  for (;;) pause();
}
