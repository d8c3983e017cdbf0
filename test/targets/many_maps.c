/* many_maps: address-space shapes for region-map and dump tests, then parks.
 *
 *   many_maps [--maps N] [--hole PAGES]
 *
 * --maps N     N single-page VMAs carved out of one reservation by alternating
 *              PROT_READ (even pages) and PROT_READ|PROT_WRITE (odd pages, touched); adjacent
 *              VMAs with equal flags would be merged by the kernel, alternating protections
 *              keep all N apart, and a PROT_NONE page on each side isolates the run.
 *              Default 20000 (pass --maps 0 for none). The kernel caps a process at vm.max_map_count (65530 by default).
 * --hole PAGES a PAGES-page anonymous region (default 8, minimum 3) whose page i is filled
 *              with byte (i + 1) & 0xff, with its middle page (PAGES / 2) then made PROT_NONE:
 *              /proc/PID/maps shows it as rw-p, ---p, rw-p (with a ---p guard page on
 *              each side). Note: process_vm_readv fails on the hole (EFAULT), but root's
 *              /proc/PID/mem reads it anyway (FOLL_FORCE) and returns the old fill bytes.
 *              Also a file-backed region: a 4-page MAP_SHARED mapping of a 2-page (unlinked)
 *              file; pages 2..3 lie beyond EOF, so reading them fails (EIO/EFAULT) although
 *              they are one readable VMA with the first two pages. Page i of the file holds
 *              byte (0x41 + i).
 *
 * READY line: "READY <pid> pageSize=4096 [mapsFirst=0x.. mapsEnd=0x.. maps=N]
 *              [region=0x.. regionEnd=0x.. hole=0x.. holeEnd=0x..
 *               fileRegion=0x.. fileRegionEnd=0x.. fileHole=0x..]"
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/park.h"

static long parse_count(const char *s) {
  char *end;
  long v = strtol(s, &end, 0);
  if (*end != '\0' || v < 0) raw_die("bad number");
  return v;
}

int main(int argc, char **argv) {
  long maps = 20000, hole_pages = 0; /* default: tens of thousands of VMAs */
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--maps") == 0) maps = parse_count(argv[i + 1]);
    else if (strcmp(argv[i], "--hole") == 0) hole_pages = parse_count(argv[i + 1]);
    else raw_die("usage: many_maps [--maps N] [--hole PAGES]");
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  ready_begin();
  ready_dec("pageSize", page);

  if (maps > 0) {
    /* One PROT_NONE guard page on each side, so the first and last page cannot merge with
     * whatever anonymous mapping happens to be adjacent. */
    char *reservation = mmap(NULL, (size_t)(maps + 2) * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reservation == MAP_FAILED) raw_die("mmap maps");
    char *base = reservation + page;
    for (long i = 0; i < maps; i++) {
      int prot = (i % 2 == 0) ? PROT_READ : PROT_READ | PROT_WRITE;
      if (mprotect(base + (size_t)i * page, page, prot) != 0) raw_die("mprotect (vm.max_map_count?)");
      if (prot & PROT_WRITE) base[(size_t)i * page] = 1; /* make the writable pages resident */
    }
    ready_hex("mapsFirst", (uintptr_t)base);
    ready_hex("mapsEnd", (uintptr_t)base + (size_t)maps * page);
    ready_dec("maps", (uint64_t)maps);
  }

  if (hole_pages > 0) {
    if (hole_pages < 3) hole_pages = 3;
    size_t len = (size_t)hole_pages * page;
    /* PROT_NONE guard pages around the region keep its rw-p parts from merging with
     * neighbouring anonymous mappings. */
    unsigned char *guarded = mmap(NULL, len + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guarded == MAP_FAILED) raw_die("mmap hole region");
    unsigned char *region = guarded + page;
    if (mprotect(region, len, PROT_READ | PROT_WRITE) != 0) raw_die("mprotect hole region");
    for (long i = 0; i < hole_pages; i++) memset(region + (size_t)i * page, (int)((i + 1) & 0xff), page);
    unsigned char *hole = region + (size_t)(hole_pages / 2) * page;
    if (mprotect(hole, page, PROT_NONE) != 0) raw_die("mprotect hole");
    ready_hex("region", (uintptr_t)region);
    ready_hex("regionEnd", (uintptr_t)region + len);
    ready_hex("hole", (uintptr_t)hole);
    ready_hex("holeEnd", (uintptr_t)hole + page);

    char path[] = "/tmp/arenascope-many-maps-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) raw_die("mkstemp");
    unlink(path);
    static unsigned char file_page[65536];
    for (int i = 0; i < 2; i++) {
      memset(file_page, 0x41 + i, page);
      raw_write_all(fd, (const char *)file_page, page, NULL);
    }
    unsigned char *file_region = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (file_region == MAP_FAILED) raw_die("mmap file region");
    close(fd);
    ready_hex("fileRegion", (uintptr_t)file_region);
    ready_hex("fileRegionEnd", (uintptr_t)file_region + 4 * page);
    ready_hex("fileHole", (uintptr_t)file_region + 2 * page);
  }
  ready_send();
  park_until_exit();
  return 0;
}
