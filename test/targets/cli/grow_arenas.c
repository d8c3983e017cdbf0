/* grow_arenas: worker threads, each with its own arena, that hold known amounts of
 * touched memory and grow on request.
 *
 *   grow_arenas MIB1 [MIB2 ...]
 *
 * Worker i (1-based) mallocs MIBi MiB in 64 KiB blocks (below the mmap threshold, so
 * they come from its arena's heap), each block zeroed (resident) and starting with the
 * text "GROW-WORKER-<i>". Prints "READY <pid> heap1=0x... heap2=0x..." (the base of
 * each worker's first heap: its first block rounded down to 64 MiB, where heap_info
 * sits) once every worker holds its memory. stdin lines:
 *   grow I MIB   worker I mallocs MIB MiB more, the same way; prints "GROWN I"
 *   exit / EOF   ends it
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define BLOCK (64 * 1024)
#define HEAP_MAX ((uintptr_t)64 << 20)

struct worker {
  int index;
  long pending_mib; /* work for the thread; -1 = none */
  uintptr_t heap;
  pthread_mutex_t lock;
  pthread_cond_t cond;
};

static struct worker workers[MAX_WORKERS + 1];

static void fill(struct worker *w, long mib) {
  for (long i = 0; i < mib * (1024 * 1024 / BLOCK); i++) {
    char *p = malloc(BLOCK - 16);
    if (!p) abort();
    memset(p, 0, BLOCK - 16);
    snprintf(p, 32, "GROW-WORKER-%d", w->index);
    if (!w->heap) w->heap = (uintptr_t)p & ~(HEAP_MAX - 1);
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  pthread_mutex_lock(&w->lock);
  for (;;) {
    while (w->pending_mib < 0) pthread_cond_wait(&w->cond, &w->lock);
    fill(w, w->pending_mib);
    w->pending_mib = -1;
    pthread_cond_broadcast(&w->cond);
  }
  return NULL;
}

/* Gives worker i mib MiB to allocate and waits until it has. */
static void run(int i, long mib) {
  struct worker *w = &workers[i];
  pthread_mutex_lock(&w->lock);
  w->pending_mib = mib;
  pthread_cond_broadcast(&w->cond);
  while (w->pending_mib >= 0) pthread_cond_wait(&w->cond, &w->lock);
  pthread_mutex_unlock(&w->lock);
}

int main(int argc, char **argv) {
  int n = argc - 1;
  if (n < 1 || n > MAX_WORKERS) {
    fprintf(stderr, "usage: grow_arenas MIB1 [MIB2 ...] (at most %d)\n", MAX_WORKERS);
    return 2;
  }
  for (int i = 1; i <= n; i++) {
    struct worker *w = &workers[i];
    w->index = i;
    w->pending_mib = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, worker_main, w) != 0) return 1;
  }
  /* One worker at a time: worker i's first malloc creates the i-th arena. */
  for (int i = 1; i <= n; i++) run(i, atol(argv[i]));
  printf("READY %d", (int)getpid());
  for (int i = 1; i <= n; i++) printf(" heap%d=0x%lx", i, (unsigned long)workers[i].heap);
  printf("\n");
  fflush(stdout);
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    int i;
    long mib;
    if (sscanf(line, "grow %d %ld", &i, &mib) == 2 && i >= 1 && i <= n && mib > 0) {
      run(i, mib);
      printf("GROWN %d\n", i);
      fflush(stdout);
    } else if (strncmp(line, "exit", 4) == 0) {
      break;
    } else {
      printf("ERR %s", line);
      fflush(stdout);
    }
  }
  return 0;
}
