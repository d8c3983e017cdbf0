// Inputs and outputs of the arena walk, as plain C++ data. The binding turns
// them into JS objects; tests and fuzzers use them directly.
//
// Nothing here grows with the number of chunks: totals, per-bin and per-size
// aggregates (bounded), a heap map of a fixed number of cells, anomaly counts
// with a few examples per kind. What needs chunk identity gets a ChunkMap
// (1/64 of the heaps) or a ChunkSink that streams every chunk out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "anomaly_log.h"
#include "chunk_map.h"
#include "chunk_sink.h"
#include "memory/cancel_token.h"
#include "residency.h"

namespace arenascope {
namespace ptmalloc {

struct WalkOptions {
  uint64_t mainArena = 0;
  uint64_t mp = 0;
  // heap_max for non-main arenas; 0 = derive from mp_ (64 MiB, or
  // 4 * hp_pagesize on 2.35-2.41 when hugetlb pages are configured).
  uint64_t heapMaxSize = 0;
  uint64_t globalMaxFast = 0;  // 0 = unknown
  bool withBins = false;
  bool withHistogram = false;
  bool withTcacheDetail = false;
  // Join page residency (pagemap) per arena and estimate malloc_trim(0).
  bool residency = false;
  TrimRules trim;
  // [heap] of the process (brk start and end, 0 when none): the main arena's
  // residency covers it whole, and systrim can cut top only when top ends at it.
  uint64_t brkStart = 0, brkEnd = 0;
  // Heap map of one arena (its address; 0: none) in this many cells.
  uint64_t heapMapArena = 0;
  uint32_t heapMapCells = 0;
  // Build a ChunkMap of every span (for the string scanner).
  bool chunkMap = false;
  // Every chunk streamed out as met (not owned; null: none).
  ChunkSink* chunkSink = nullptr;
  // Read an arena again when its walk found anomalies: those the second read
  // does not confirm were torn reads of a moving heap, not corruption. Off
  // when the target is frozen (nothing moves).
  bool confirm = true;
  CancelFlag cancel;
  // The walk is for this arena (nonzero): when the ring has no such arena
  // the walk stops with EINVAL before reading any chunk.
  uint64_t requireArena = 0;
  uint32_t maxArenas = 4096;
  uint64_t maxChunksPerHeap = 1ull << 27;
  std::vector<uint64_t> tcacheStructs;  // user pointers of known tcache_perthread_structs
};

struct MpValues {
  uint64_t trimThreshold = 0, topPad = 0, mmapThreshold = 0, arenaTest = 0, arenaMax = 0;
  int64_t noDynThreshold = 0, nMmaps = 0, nMmapsMax = 0, maxNMmaps = 0;
  uint64_t mmappedMem = 0, maxMmappedMem = 0, sbrkBase = 0;
  // -1 when the layout has no such field.
  int64_t hpPagesize = -1, thpPagesize = -1, hpFlags = -1, maxTotalMem = -1;
  int64_t tcacheBins = -1, tcacheMaxBytes = -1, tcacheCount = -1, tcacheUnsortedLimit = -1;
  bool readable = false;
};

struct CountBytes {
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  void add(uint64_t size) {
    ++chunks;
    bytes += size;
  }
};

struct HeapReport {
  uint64_t start = 0;         // heap_info address (main: first segment byte)
  uint64_t size = 0;          // heap_info.size (main: segment length)
  uint64_t mprotectSize = 0;  // heap_info.mprotect_size (main: = size)
  uint64_t reserved = 0;      // heap_max (main: = size)
  uint64_t firstChunk = 0;
  uint64_t chunksWalked = 0;
};

enum class BinKind : uint8_t { kFast, kUnsorted, kSmall, kLarge };

struct BinReport {
  BinKind kind;
  unsigned index;
  uint64_t chunks = 0, bytes = 0, minSize = UINT64_MAX, maxSize = 0, rawSizeSum = 0;
  // Size fields with flag bits, as malloc_info() prints from/to for bins.
  uint64_t minRawSize = UINT64_MAX, maxRawSize = 0;
  void add(uint64_t size, uint64_t raw) {
    ++chunks;
    bytes += size;
    rawSizeSum += raw;
    if (size < minSize) minSize = size;
    if (size > maxSize) maxSize = size;
    if (raw < minRawSize) minRawSize = raw;
    if (raw > maxRawSize) maxRawSize = raw;
  }
};

struct TcacheReport {
  uint64_t address = 0;  // user pointer of the tcache_perthread_struct
  std::string foundBy;   // "first-chunk", "sbrk-base", "hint", "scan"
  uint64_t chunks = 0, bytes = 0;  // every chunk it holds
  // Of those, mmapped chunks (2.43+: free() puts them in tcache bins too):
  // they lie in their own mappings, in no arena's heaps.
  uint64_t mmappedChunks = 0, mmappedBytes = 0;
  std::vector<uint32_t> counts;  // per bin, withTcacheDetail only
};

struct HistogramRow {
  uint64_t size = 0;
  uint64_t inUseChunks = 0, inUseBytes = 0, freeChunks = 0, freeBytes = 0;
};

// What the walk met that did not add up, after the re-read when there was one.
struct AnomalyReport {
  std::vector<Anomaly> examples;     // a few per kind, root causes first
  std::vector<AnomalyCount> counts;  // every one, by kind, root causes first
  uint64_t total = 0;
  // Seen on the first read only: the heap moved under it (torn reads).
  std::vector<AnomalyCount> tornCounts;
  uint64_t torn = 0;
};

struct HeapMapReport {
  uint64_t cellBytes = 0;
  std::vector<double> bytes;  // used, free, top bytes per cell
};

struct ArenaReport {
  uint64_t address = 0;
  bool main = false;
  uint32_t mutex = 0;
  uint32_t flags = 0;
  uint64_t next = 0, nextFree = 0;
  int64_t attachedThreads = -1;  // -1: field absent in this version
  std::vector<HeapReport> heaps;
  uint64_t systemMem = 0, maxSystemMem = 0;
  uint64_t topAddress = 0, topSize = 0, lastRemainder = 0;
  CountBytes inUse, internal;
  CountBytes fastbins, unsorted, smallbins, largebins, tcache;
  CountBytes freeUnlisted;  // free by PREV_INUSE but in no bin (mid-operation or corruption)
  uint64_t overhead = 0;
  uint64_t accountedBytes = 0;
  bool identityHolds = false;
  std::vector<BinReport> bins;
  std::vector<TcacheReport> tcaches;
  std::vector<HistogramRow> histogram;
  AnomalyReport anomalies;
  bool approximate = false;
  bool hasResidency = false;
  ResidencyTotals residency;
  bool hasHeapMap = false;
  HeapMapReport heapMap;
  // How the free lists were read (free_lists.cc). Fastbins: "none" (no
  // fastbins in this layout), "inferred" (from safe-linked fds, proved by
  // hash), "walked" (node by node). Unsorted: "walked" (the list itself) or
  // "remainder" (every free chunk the small and large bins did not name).
  const char* fastbinsBy = "none";
  const char* unsortedBy = "walked";
};

struct WalkResult {
  MpValues mp;
  uint64_t heapMaxSize = 0;
  std::vector<ArenaReport> arenas;
  AnomalyReport anomalies;  // the ring, discovery, tcache structs: not one arena's
  uint64_t readBytes = 0;
  // The largest the walk's own memory got (buffers, maps, caches), in bytes:
  // what must not grow with the chunk count.
  uint64_t memoryBytes = 0;
  bool ringClosed = false;
  bool approximate = false;
  std::unique_ptr<ChunkMap> chunkMap;  // options.chunkMap only
  uint64_t chunksStreamed = 0;         // options.chunkSink only
};

}  // namespace ptmalloc
}  // namespace arenascope
