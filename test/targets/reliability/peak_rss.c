// peak_rss OUT CMD [ARGS...]: runs CMD, reaps it with wait4 and writes the
// child's peak resident set (rusage ru_maxrss, KiB: the kernel's hiwater_rss,
// the same number as VmHWM) to OUT. Exits with the child's exit code, or
// 128 + signal. Signals sent to peak_rss itself are passed on to the child.
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: peak_rss OUT CMD [ARGS...]\n");
    return 2;
  }
  child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  signal(SIGINT, forward);
  signal(SIGTERM, forward);
  signal(SIGHUP, forward);
  int status = 0;
  struct rusage ru;
  while (wait4(child, &status, 0, &ru) < 0) {
  }
  FILE* out = fopen(argv[1], "w");
  if (!out) return 1;
  fprintf(out, "%ld\n", ru.ru_maxrss);
  fclose(out);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
