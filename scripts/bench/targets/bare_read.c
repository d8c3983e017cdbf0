// bare_read PID START END [START END ...]: the floor every inspector cost is
// measured against. Reads each range of the target with process_vm_readv into
// one reused 16 MiB buffer, as fast as the kernel copies, and prints
//   <bytes> <nanoseconds>
// of the whole pass. No parsing, no pagemap, nothing kept.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>

#define BUF (16u << 20)

int main(int argc, char** argv) {
  if (argc < 4 || argc % 2 != 0) {
    fprintf(stderr, "usage: bare_read PID START END [START END ...]\n");
    return 2;
  }
  int pid = atoi(argv[1]);
  char* buf = malloc(BUF);
  if (!buf) return 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint64_t total = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    uint64_t at = strtoull(argv[i], NULL, 0), end = strtoull(argv[i + 1], NULL, 0);
    while (at < end) {
      size_t n = end - at < BUF ? (size_t)(end - at) : BUF;
      struct iovec local = {buf, n}, remote = {(void*)at, n};
      ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
      if (r <= 0) {
        perror("process_vm_readv");
        return 1;
      }
      total += (uint64_t)r;
      at += (uint64_t)r;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%llu %llu\n", (unsigned long long)total, (unsigned long long)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec)));
  return 0;
}
