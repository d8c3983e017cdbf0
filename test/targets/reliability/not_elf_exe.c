// A live process whose /proc/PID/exe is not an ELF file: the executable's
// mappings are removed and the mm's exe file is replaced with FILE through
// prctl(PR_SET_MM, PR_SET_MM_EXE_FILE or PR_SET_MM_MAP; see libnot_elf_exe.c; the kernel
// refuses while the old executable is still mapped, see replace_mm_exe_file).
// Everything after the unmapping runs in libnot_elf_exe.so, never in this
// file's (unmapped) code. This file must not reference libc data symbols
// (stdout, environ...): copy relocations would put them in the executable's
// own data, which goes away too.
//
//   not_elf_exe FILE     FILE: a regular, executable, non-ELF file
// Prints "READY <pid>" once /proc/self/exe is FILE, then parks until killed.
void become_not_elf(const char* path);

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  become_not_elf(argv[1]);  // does not return
  return 1;
}
