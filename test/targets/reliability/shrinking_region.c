// shrinking_region MIB: an anonymous region of MIB MiB whose first page of
// every MiB holds its own offset (the rest is never touched: it reads as zeros
// and costs no memory). Prints "READY <pid> <start> <end>", then serves stdin:
//   unmap   munmap the upper half, print "UNMAPPED <address>"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 512;
  size_t size = mib << 20;
  uint8_t* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (size_t off = 0; off < size; off += 1 << 20) *(uint64_t*)(p + off) = off ^ 0x5a5a5a5a00000000ull;
  printf("READY %d 0x%lx 0x%lx\n", getpid(), (unsigned long)p, (unsigned long)(p + size));
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "unmap", 5) == 0) {
      uint8_t* half = p + size / 2;
      munmap(half, size - size / 2);
      printf("UNMAPPED 0x%lx\n", (unsigned long)half);
      fflush(stdout);
    }
  }
  for (;;) pause();
}
