// Benchmark target: one thread fills its own arena heap with ~63 MiB of text
// (fully resident), another ticks a heartbeat so the benchmark can see how
// long anything stopped the process: it records the largest gap between two
// ticks in a shared file, which the benchmark resets and reads.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

struct heartbeat { volatile uint64_t maxGapNs; volatile uint64_t ticks; volatile uint64_t reset; };
static struct heartbeat* hb;
static pthread_barrier_t ready;

static uint64_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void* beat(void* a) {
  (void)a;
  uint64_t last = now();
  for (;;) {
    usleep(200);
    uint64_t t = now();
    if (hb->reset) { hb->reset = 0; hb->maxGapNs = 0; last = t; continue; }
    if (t - last > hb->maxGapNs) hb->maxGapNs = t - last;
    last = t;
    hb->ticks++;
  }
  return NULL;
}

static const char* words[] = {"GET /api/v1/orders?id=", "SELECT * FROM accounts WHERE id = ", "{\"user\":\"alice\",\"items\":[", "INFO  request handled in ms=", "ERROR connection reset by peer host="};

static void* fill(void* a) {
  long target = (long)(intptr_t)a;
  long used = 0;
  unsigned n = 0;
  while (used < target) {
    char* p = malloc(1000);
    int len = snprintf(p, 1000, "%s%u %s%u ", words[n % 5], n, words[(n + 2) % 5], n * 7);
    memset(p + len, 'a' + (n % 26), 990 - len);
    p[990] = 0;
    used += 1008;
    n++;
  }
  pthread_barrier_wait(&ready);
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  const char* hbPath = argc > 1 ? argv[1] : "/dev/shm/arenascope-bench-heartbeat";
  long mib = argc > 2 ? atol(argv[2]) : 63;
  int fd = open(hbPath, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  hb = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  pthread_barrier_init(&ready, NULL, 2);
  pthread_t t1, t2;
  pthread_create(&t1, NULL, fill, (void*)(intptr_t)(mib << 20));
  pthread_create(&t2, NULL, beat, NULL);
  pthread_barrier_wait(&ready);
  printf("READY %d\n", getpid());
  fflush(stdout);
  for (;;) pause();
}
