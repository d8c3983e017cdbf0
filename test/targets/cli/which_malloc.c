/* which_malloc: says which shared object its malloc comes from, then waits.
 *
 *   which_malloc
 *
 * Allocates and touches 1 MiB through malloc (so a preloaded allocator is set
 * up and holds memory), asks the dynamic linker (dladdr) which object defines
 * the malloc it called, and prints "READY <pid> malloc=<path>". stdin EOF ends it.
 * Run with LD_PRELOAD=libjemalloc.so.2 (or tcmalloc, mimalloc) it names that
 * library: the target's own account of its allocator.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  void *(*volatile m)(size_t) = malloc;
  char *p = m(1 << 20);
  if (!p) return 1;
  memset(p, 1, 1 << 20);
  Dl_info info;
  if (!dladdr((void *)m, &info) || !info.dli_fname) return 2;
  printf("READY %d malloc=%s\n", (int)getpid(), info.dli_fname);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}
