// The part of not_elf_exe that runs after its executable is unmapped.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <linux/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static void die(const char* what) {
  char msg[256];
  int n = snprintf(msg, sizeof msg, "not_elf_exe: %s failed\n", what);
  write(2, msg, (size_t)n);
  _exit(1);
}

// PR_SET_MM_EXE_FILE wants CAP_SYS_RESOURCE in the initial namespace, which
// containers often drop. PR_SET_MM_MAP (the checkpoint/restore interface)
// accepts CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the caller's own user
// namespace, which a fresh user namespace grants; it takes the whole
// prctl_mm_map, filled here with the values the kernel already has
// (/proc/self/stat fields 26-28 and 45-51, and the current brk).
static int replace_exe_file(int exe) {
  char stat[4096];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, stat, sizeof stat - 1);
  close(fd);
  if (n <= 0) return 0;
  stat[n] = 0;
  unsigned long long field[64] = {0};
  char* p = strrchr(stat, ')');  // comm may contain spaces; fields restart after it at field 3
  if (!p) return 0;
  int index = 3;
  for (char* tok = strtok(p + 2, " "); tok && index < 64; tok = strtok(NULL, " ")) {
    if (index > 3) field[index] = strtoull(tok, NULL, 10);
    ++index;
  }
  struct prctl_mm_map map;
  memset(&map, 0, sizeof map);
  map.start_code = field[26];
  map.end_code = field[27];
  map.start_stack = field[28];
  map.start_data = field[45];
  map.end_data = field[46];
  map.start_brk = field[47];
  map.brk = (unsigned long long)(unsigned long)sbrk(0);
  map.arg_start = field[48];
  map.arg_end = field[49];
  map.env_start = field[50];
  map.env_end = field[51];
  map.exe_fd = (unsigned)exe;
  if (prctl(PR_SET_MM, PR_SET_MM_EXE_FILE, exe, 0, 0) == 0) return 1;
  if (unshare(CLONE_NEWUSER) != 0) return 0;
  return prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&map, sizeof map, 0) == 0;
}

void become_not_elf(const char* path) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) die("readlink /proc/self/exe");
  self[n] = 0;
  int exe = open(path, O_RDONLY | O_CLOEXEC);
  if (exe < 0) die("open FILE");
  // Collect the executable's mappings first: /proc/self/maps changes as we unmap.
  static unsigned long starts[64], ends[64];
  int count = 0;
  FILE* maps = fopen("/proc/self/maps", "re");
  if (!maps) die("open /proc/self/maps");
  char line[8192];
  while (fgets(line, sizeof line, maps) && count < 64) {
    unsigned long s, e;
    char file[4096] = "";
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095[^\n]", &s, &e, file) >= 2 && strcmp(file, self) == 0) {
      starts[count] = s;
      ends[count] = e;
      ++count;
    }
  }
  fclose(maps);
  if (count == 0) die("finding the executable's mappings");
  for (int i = 0; i < count; ++i) {
    if (munmap((void*)starts[i], ends[i] - starts[i]) != 0) die("munmap");
  }
  if (!replace_exe_file(exe)) die("replacing the exe file (prctl PR_SET_MM_MAP)");
  close(exe);
  // Some heap so the process looks like an ordinary glibc program.
  void* volatile keep = malloc(1000);
  (void)keep;
  char ready[64];
  int len = snprintf(ready, sizeof ready, "READY %d\n", getpid());
  write(1, ready, (size_t)len);
  for (;;) pause();
}
