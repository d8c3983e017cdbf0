// Benchmark target for strings-scan.mjs: a second thread fills one non-main
// arena heap (64 MiB: HEAP_MAX_SIZE = 2 * DEFAULT_MMAP_THRESHOLD_MAX on
// x86-64) with a mix of text, binary structs and zeroed buffers, every page
// written so the heap is fully resident. Prints "heap <base-hex>" and parks.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAP_SPAN (64ul << 20)

static uintptr_t heap_base;
static uint64_t seed = 88172645463325252ull;

static uint64_t next_random(void) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return seed;
}

static const char* words[] = {
    "GET", "POST", "/api/v1/users", "/api/v1/orders", "HTTP/1.1", "200", "404", "session", "token",
    "user_id", "timestamp", "error", "warning", "connection reset by peer", "cache miss", "\"name\":",
    "\"value\":", "{\"id\":", "Content-Type: application/json", "retrying request", "SELECT * FROM",
    "WHERE id =", "ORDER BY created_at", "upstream timed out", "com.example.service.Handler",
};

static void fill_text(char* p, size_t n) {
  size_t at = 0;
  while (at + 1 < n) {
    const char* w = words[next_random() % (sizeof words / sizeof *words)];
    int len = (next_random() % 4 == 0) ? snprintf(p + at, n - at, "%s %lu ", w, (unsigned long)(next_random() % 100000))
                                       : snprintf(p + at, n - at, "%s ", w);
    if (len <= 0 || (size_t)len >= n - at) break;
    at += (size_t)len;
  }
  p[n - 1] = 0;
}

// Repeated strings are what usually fills a heap (the same log line, key or
// JSON fragment held many times), so part of the text is copies of a few
// hundred "hot" strings and the rest is unique.
#define HOT_STRINGS 400
static char hot[HOT_STRINGS][256];

static void* filler(void* arg) {
  (void)arg;
  for (int i = 0; i < HOT_STRINGS; i++) fill_text(hot[i], 24 + next_random() % 200);
  // The first allocation of this thread creates its arena and heap.
  char* first = malloc(64);
  heap_base = (uintptr_t)first & ~(HEAP_SPAN - 1);
  for (;;) {
    // Mostly small requests with a tail of larger ones, as in typical heaps.
    size_t n = 16 + ((next_random() % 4 == 0) ? next_random() % 2048 : next_random() % 160);
    uint64_t kind = next_random() % 100;
    const char* copy = NULL;
    if (kind < 25) {
      copy = hot[next_random() % HOT_STRINGS];
      n = strlen(copy) + 1;
    }
    char* p = malloc(n);
    if (!p) break;
    if ((uintptr_t)p < heap_base || (uintptr_t)p + n + 4096 >= heap_base + HEAP_SPAN) {
      free(p);  // the heap is full; glibc would start another one
      break;
    }
    if (copy) {
      memcpy(p, copy, n);
    } else if (kind < 55) {
      fill_text(p, n);
    } else if (kind < 85) {
      for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = (next_random() & 1) ? (uint64_t)(uintptr_t)p + (next_random() % 4096) : next_random() % 1000;
        memcpy(p + i, &v, 8);
      }
    } else {
      memset(p, 0, n);
    }
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, filler, NULL);
  pthread_join(t, NULL);
  printf("heap %lx\n", (unsigned long)heap_base);
  fflush(stdout);
  for (;;) pause();
}
