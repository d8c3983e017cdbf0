// N threads, each mallocs (so each gets its own arena) and parks in a syscall.
// Prints "READY <pid>" once every thread has allocated.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t barrier;

static void* worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 64; i++) {
    char* p = malloc(512);
    memset(p, 'x', 511);
    p[511] = 0;
  }
  pthread_barrier_wait(&barrier);
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  pthread_barrier_init(&barrier, NULL, (unsigned)n + 1);
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
  }
  pthread_barrier_wait(&barrier);
  printf("READY %d\n", getpid());
  fflush(stdout);
  for (;;) pause();
}
