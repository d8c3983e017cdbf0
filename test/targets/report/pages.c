// Target for the pagemap reader: maps PAGES anonymous pages, writes every
// page whose index is a multiple of 3, only reads every page whose index is
// 1 more (which maps the shared zero page there: present in pagemap, not in
// RSS), prints the mapping's address, and waits for stdin to close.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long pages = argc > 1 ? atol(argv[1]) : 1000;
  long ps = sysconf(_SC_PAGESIZE);
  volatile char *m = mmap(NULL, (size_t)(pages * ps), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 1;
  /* No transparent huge pages: each 4 KiB page must stay individually absent or present. */
  madvise((void *)m, (size_t)(pages * ps), MADV_NOHUGEPAGE);
  for (long i = 0; i < pages; i += 3) m[i * ps] = 1;
  long sum = 0;
  for (long i = 1; i < pages; i += 3) sum += m[i * ps];
  if (sum != 0) return 2;
  printf("%lu %ld\n", (unsigned long)m, ps);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}
