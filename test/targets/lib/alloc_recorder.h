/* Records every live allocation of the process by interposing the malloc family.
 *
 * Why interposition sees everything: the executable comes first in the global symbol
 * scope, so libc's own internal calls (fopen, pthread_create's DTV, dlerror, ...) and
 * ld.so after its self-relocation bind `malloc`/`free`/... to the definitions below.
 * The definitions forward to glibc's exported __libc_* entry points (GLIBC_2.2.5 in every
 * release this project tests: 2.31, 2.36, 2.41). The one in-use chunk kind this cannot see
 * is tcache_perthread_struct: tcache_init() takes it straight from _int_malloc.
 *
 * The recorder itself never allocates: a fixed open-addressing hash table in .bss,
 * guarded by a spinlock (no futex, no malloc, safe before and inside pthread code).
 *
 * Include this header in exactly one translation unit of a target. */
#ifndef ARENASCOPE_TARGET_ALLOC_RECORDER_H
#define ARENASCOPE_TARGET_ALLOC_RECORDER_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* What the target meant an allocation for; tests sum by kind (live.tsv column 5). */
enum alloc_kind {
  KIND_OTHER = 0, /* glibc/ld.so internal, or target plumbing (FILEs) */
  KIND_KEEP,      /* --keep chunks */
  KIND_GUARD,     /* separators that stop freed chunks from coalescing */
  KIND_PATTERN,   /* chunks a --free-pattern keeps (e.g. mmapped ones) */
  KIND_BULK,      /* --second-heap filler */
  KIND_PLANT,     /* chunks holding planted strings */
  KIND_FILLER,    /* chunks that position straddling strings */
  KIND_COUNT
};
static const char *const alloc_kind_names[KIND_COUNT] = {
    "other", "keep", "guard", "pattern", "bulk", "plant", "filler"};

struct alloc_record {
  uintptr_t ptr; /* 0 = empty slot */
  size_t requested;
  int32_t thread;
  int32_t kind;
};

/* 2^18 slots (6 MiB of .bss, only touched slots become resident). The largest scenario
 * (--second-heap) keeps ~700 chunks, so the load factor stays tiny. */
#define RECORDER_SLOT_BITS 18
#define RECORDER_SLOTS (1u << RECORDER_SLOT_BITS)
#define RECORDER_MAX_LIVE (RECORDER_SLOTS / 2)

static struct alloc_record recorder_table[RECORDER_SLOTS];
static __attribute__((unused)) int recorder_lock_word;
static size_t recorder_live;
static __attribute__((unused)) uint64_t recorder_calls;         /* every entry into an interposed function */
static __attribute__((unused)) uint64_t recorder_foreign_frees; /* free/realloc of a pointer never recorded */
static __attribute__((unused)) int recorder_overflowed;

/* Thread identity for attribution: 0 = main thread; workers set their own index. */
static __thread int32_t recorder_thread_index;
/* Kind given to the next allocation made by this thread (reset by alloc_tagged). */
static __thread int32_t recorder_current_kind;

static __attribute__((unused)) void recorder_lock(void) {
  while (__atomic_exchange_n(&recorder_lock_word, 1, __ATOMIC_ACQUIRE)) {
    while (__atomic_load_n(&recorder_lock_word, __ATOMIC_RELAXED)) __builtin_ia32_pause();
  }
}

static __attribute__((unused)) void recorder_unlock(void) { __atomic_store_n(&recorder_lock_word, 0, __ATOMIC_RELEASE); }

static size_t recorder_slot_of(uintptr_t ptr) {
  /* Fibonacci hashing of the 16-byte-aligned address. */
  return (size_t)(((uint64_t)(ptr >> 4) * 0x9e3779b97f4a7c15ull) >> (64 - RECORDER_SLOT_BITS));
}

static __attribute__((unused)) void recorder_insert_locked(uintptr_t ptr, size_t requested, int32_t thread, int32_t kind) {
  if (recorder_live >= RECORDER_MAX_LIVE) {
    recorder_overflowed = 1;
    return;
  }
  size_t i = recorder_slot_of(ptr);
  while (recorder_table[i].ptr != 0 && recorder_table[i].ptr != ptr) i = (i + 1) & (RECORDER_SLOTS - 1);
  if (recorder_table[i].ptr == 0) recorder_live++;
  recorder_table[i].ptr = ptr;
  recorder_table[i].requested = requested;
  recorder_table[i].thread = thread;
  recorder_table[i].kind = kind;
}

/* Removes ptr; copies its record to *out when found. Returns 1 if it was recorded. */
static __attribute__((unused)) int recorder_remove_locked(uintptr_t ptr, struct alloc_record *out) {
  size_t i = recorder_slot_of(ptr);
  while (recorder_table[i].ptr != ptr) {
    if (recorder_table[i].ptr == 0) return 0;
    i = (i + 1) & (RECORDER_SLOTS - 1);
  }
  if (out) *out = recorder_table[i];
  /* Backward-shift deletion keeps linear probing correct without tombstones. */
  size_t hole = i;
  size_t j = i;
  for (;;) {
    j = (j + 1) & (RECORDER_SLOTS - 1);
    if (recorder_table[j].ptr == 0) break;
    size_t home = recorder_slot_of(recorder_table[j].ptr);
    /* Entry j may move into the hole if its home is not cyclically in (hole, j]. */
    int home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_in_range) {
      recorder_table[hole] = recorder_table[j];
      hole = j;
    }
  }
  recorder_table[hole].ptr = 0;
  recorder_live--;
  return 1;
}

static __attribute__((unused)) void recorder_add(void *p, size_t requested) {
  recorder_lock();
  recorder_insert_locked((uintptr_t)p, requested, recorder_thread_index, recorder_current_kind);
  recorder_unlock();
}

static __attribute__((unused)) void recorder_count_call(void) { __atomic_add_fetch(&recorder_calls, 1, __ATOMIC_RELAXED); }

void *malloc(size_t size) {
  recorder_count_call();
  void *p = __libc_malloc(size);
  if (p) recorder_add(p, size);
  return p;
}

void free(void *ptr) {
  recorder_count_call();
  if (!ptr) return;
  /* Forget before freeing: once freed, another thread may be handed the same address. */
  recorder_lock();
  if (!recorder_remove_locked((uintptr_t)ptr, NULL)) recorder_foreign_frees++;
  recorder_unlock();
  __libc_free(ptr);
}

void *calloc(size_t n, size_t size) {
  recorder_count_call();
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = __libc_calloc(n, size);
  if (p) recorder_add(p, total);
  return p;
}

void *realloc(void *ptr, size_t size) {
  recorder_count_call();
  if (!ptr) {
    void *p = __libc_malloc(size);
    if (p) recorder_add(p, size);
    return p;
  }
  struct alloc_record old;
  recorder_lock();
  int had = recorder_remove_locked((uintptr_t)ptr, &old);
  if (!had) recorder_foreign_frees++;
  recorder_unlock();
  void *p = __libc_realloc(ptr, size);
  recorder_lock();
  if (p) {
    recorder_insert_locked((uintptr_t)p, size, recorder_thread_index, had ? old.kind : recorder_current_kind);
  } else if (had && size != 0) {
    /* Failed realloc leaves the old block live. (size 0 frees it: REALLOC_ZERO_BYTES_FREES.) */
    recorder_insert_locked(old.ptr, old.requested, old.thread, old.kind);
  }
  recorder_unlock();
  return p;
}

void *reallocarray(void *ptr, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(ptr, total);
}

void *memalign(size_t alignment, size_t size) {
  recorder_count_call();
  void *p = __libc_memalign(alignment, size);
  if (p) recorder_add(p, size);
  return p;
}

void *aligned_alloc(size_t alignment, size_t size) {
  /* glibc >= 2.38 rejects non-power-of-two alignments; do so everywhere. */
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    errno = EINVAL;
    return NULL;
  }
  return memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment % sizeof(void *) != 0 || alignment == 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  recorder_count_call();
  void *p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  recorder_add(p, size);
  *out = p;
  return 0;
}

void *valloc(size_t size) {
  recorder_count_call();
  void *p = __libc_valloc(size);
  if (p) recorder_add(p, size);
  return p;
}

void *pvalloc(size_t size) {
  recorder_count_call();
  void *p = __libc_pvalloc(size);
  if (p) recorder_add(p, size);
  return p;
}

/* malloc with an explicit kind for this thread's bookkeeping. */
static __attribute__((unused)) void *alloc_tagged(size_t size, int32_t kind) {
  recorder_current_kind = kind;
  void *p = malloc(size);
  recorder_current_kind = KIND_OTHER;
  if (!p) {
    static const char msg[] = "target error: malloc failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
  }
  return p;
}

static __attribute__((unused)) uint64_t recorder_call_count(void) { return __atomic_load_n(&recorder_calls, __ATOMIC_RELAXED); }

#endif
