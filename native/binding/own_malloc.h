// The inspector's own malloc, held steady. arenascope runs beside services at
// their memory limit, and its jobs allocate and free buffers of a few MiB (walk
// windows, read-ahead blocks, bitmaps) on libuv's worker threads. Left to its
// defaults, glibc raises mmap_threshold to the largest chunk freed (up to 32
// MiB) and trim_threshold to twice that (malloc.c _int_free/munmap_chunk,
// "dynamic mmap threshold"), so after the first job those buffers come from
// per-thread arenas and stay resident as free top: measured on the TUI, 55 MiB
// of free top in nine arenas after a minute of sampling the demo.
#pragma once

namespace arenascope {

// Once, when the addon loads: fixes mmap_threshold and trim_threshold at glibc's
// defaults (mallopt turns the dynamic raise off), unless the user chose malloc
// settings of their own (MALLOC_*_ or GLIBC_TUNABLES with glibc.malloc.*).
void holdOwnMallocSteady();

// After each job, on its worker thread: returns what the job freed inside the
// arenas to the kernel (malloc_trim(0)).
void returnFreedMemory();

}  // namespace arenascope
