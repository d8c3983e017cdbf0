// Threads whose tcaches are full: each of N workers and then main, one at a time,
// mallocs --per-size chunks of every tcache size (0x20 to 0x410, the 64 bins under
// the default tcache_max) and frees them all. A free goes to the thread's tcache
// while its bin has room (mp_.tcache_count: 16 from glibc 2.43, 7 before), else to
// a fastbin or bin (malloc.c _int_free).
//
// The target counts what went into its tcache itself, with mallinfo2(): fordblks
// counts the free bytes in top, the fastbins and the bins of every arena, not
// tcache chunks (malloc.c int_mallinfo), so a free that leaves fordblks unchanged
// put its chunk in the tcache. Threads run their turn alone, so nothing else moves
// fordblks meanwhile; a kept guard chunk after each thread's chunks keeps frees
// from merging into top (a merge there could trim the heap and shrink fordblks).
//
// --keep-kib K: each thread first takes K KiB of live memory (64 KiB chunks, touched).
//
// Prints "tcache <thread> <chunks> <bytes>" per thread (workers 1..N, main 0),
// then "ready", and parks (stdin "exit" or EOF ends it).
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/park.h"

#define MAX_THREADS 256

struct counts {
  uint64_t chunks, bytes;
};

static int per_size = 17;  // more than any default fill count, so every bin is full
static size_t keep_kib = 0;
static struct counts counts[MAX_THREADS + 1];
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_done = PTHREAD_COND_INITIALIZER;
static int finished;
// Kept where the compiler must assume they are read.
void *volatile sink;

static size_t chunk_size(void *p) { return ((size_t *)p)[-1] & ~(size_t)7; }

static void fill(struct counts *c) {
  for (size_t k = 0; k < keep_kib / 64; k++) {
    char *p = malloc(64 * 1024 - 16);
    memset(p, 0x4b, 64 * 1024 - 16);
    sink = p;
  }
  static void *chunks[64 * 1024];
  int n = 0;
  if (64 * per_size > (int)(sizeof chunks / sizeof chunks[0])) raw_die("--per-size too large");
  for (size_t csize = 0x20; csize <= 0x410; csize += 0x10)
    for (int i = 0; i < per_size; i++) chunks[n++] = malloc(csize - 8);  // request2size(csize - 8) == csize
  sink = malloc(64 * 1024);  // the guard: from top, after every chunk above
  for (int i = 0; i < n; i++) {
    size_t size = chunk_size(chunks[i]);
    size_t before = mallinfo2().fordblks;
    free(chunks[i]);
    if (mallinfo2().fordblks == before) {
      c->chunks++;
      c->bytes += size;
    }
  }
}

static void *worker(void *arg) {
  struct counts *c = arg;
  fill(c);
  pthread_mutex_lock(&turn_lock);
  finished = 1;
  pthread_cond_signal(&turn_done);
  pthread_mutex_unlock(&turn_lock);
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  int threads = 4;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--per-size") && i + 1 < argc) per_size = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--keep-kib") && i + 1 < argc) keep_kib = (size_t)atol(argv[++i]);
    else raw_die("usage: tcache_fill [--threads N] [--per-size M] [--keep-kib K]");
  }
  if (threads < 0 || threads > MAX_THREADS) raw_die("--threads out of range");
  // One turn at a time: the next thread is created (pthread_create allocates in main's
  // arena) only once the previous one has counted its frees.
  for (int t = 1; t <= threads; t++) {
    pthread_t id;
    pthread_mutex_lock(&turn_lock);
    finished = 0;
    if (pthread_create(&id, NULL, worker, &counts[t]) != 0) raw_die("pthread_create");
    while (!finished) pthread_cond_wait(&turn_done, &turn_lock);
    pthread_mutex_unlock(&turn_lock);
  }
  fill(&counts[0]);
  static char buf[64 * (MAX_THREADS + 2)];
  struct raw_out out = {buf, 0, sizeof buf, -1, 0, 0};
  for (int t = 0; t <= threads; t++) {
    raw_str(&out, "tcache ");
    raw_u64(&out, (uint64_t)t);
    raw_str(&out, " ");
    raw_u64(&out, counts[t].chunks);
    raw_str(&out, " ");
    raw_u64(&out, counts[t].bytes);
    raw_str(&out, "\n");
  }
  raw_str(&out, "ready\n");
  raw_write_all(1, out.data, out.len, NULL);
  park_until_exit();
  return 0;
}
