// Minimal target for allocator detection: allocates and touches a little
// memory, says "ready", and waits for stdin to close. Builds with gcc, gcc
// -static and musl-gcc alike (no glibc-only calls).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char *p = malloc(1 << 20);
  memset(p, 1, 1 << 20);
  write(1, "ready\n", 6);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  free(p);
  return 0;
}
