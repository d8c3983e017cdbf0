// A region of PAGES pages filled with a position-dependent pattern, with page
// HOLE made PROT_NONE (no hole when HOLE < 0). Prints "READY <pid> <start> <end> <hole>".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long pages = argc > 1 ? atol(argv[1]) : 16;
  long hole = argc > 2 ? atol(argv[2]) : -1;
  long ps = sysconf(_SC_PAGESIZE);
  uint8_t* p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (long i = 0; i < pages * ps; i += 8) *(uint64_t*)(p + i) = (uint64_t)i * 0x9e3779b97f4a7c15ull;
  if (hole >= 0) mprotect(p + hole * ps, ps, PROT_NONE);
  printf("READY %d 0x%lx 0x%lx 0x%lx\n", getpid(), (unsigned long)p, (unsigned long)(p + pages * ps),
         hole >= 0 ? (unsigned long)(p + hole * ps) : 0ul);
  fflush(stdout);
  for (;;) pause();
}
