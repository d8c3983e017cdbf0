#include "residency.h"

#include <algorithm>

namespace arenascope {
namespace ptmalloc {

namespace {
// sizeof(struct malloc_chunk) on 64-bit: prev_size, size, fd, bk, fd_nextsize, bk_nextsize.
constexpr uint64_t kMallocChunkStruct = 0x30;
// MINSIZE on x86-64.
constexpr uint64_t kMinChunk = 0x20;

bool isFree(ChunkClass c) { return c != ChunkClass::kInUse && c != ChunkClass::kInternal; }
}  // namespace

void SpanResidency::begin(uint64_t rangeStart, uint64_t rangeEnd, const std::vector<uint8_t>* states, ResidencyTotals* acc,
                          const TrimRules* rules, bool mainTopTrims) {
  states_ = states;
  acc_ = acc;
  rules_ = rules;
  base_ = rangeStart;
  pages_ = std::min<uint64_t>((rangeEnd - rangeStart) / rules->pageSize, states->size());
  mainTopTrims_ = mainTopTrims;
  page_ = 0;
  next_ = 0;
  pageOpen_ = false;
  pageInUse_ = false;
  pageFreeCover_ = 0;
  withC_ = Segment{};
  withoutC_ = Segment{};
  for (uint64_t p = 0; p < pages_; ++p) {
    if ((*states_)[p] == 2) acc_->swapped += rules_->pageSize;
  }
}

// Resident pages among those [from, to) touches.
uint64_t SpanResidency::presentPages(uint64_t from, uint64_t to) const {
  const uint64_t ps = rules_->pageSize;
  if (to <= from || to <= base_) return 0;
  const uint64_t first = from > base_ ? (from - base_) / ps : 0;
  const uint64_t last = std::min<uint64_t>((to - base_ + ps - 1) / ps, pages_);
  uint64_t n = 0;
  for (uint64_t p = first; p < last; ++p) n += present(p) ? 1 : 0;
  return n;
}

void SpanResidency::finishPage() {
  const uint64_t ps = rules_->pageSize;
  if (present(page_)) {
    acc_->resident += ps;
    if (pageInUse_) {
      acc_->inUse += ps;
    } else if (pageFreeCover_ >= ps) {
      acc_->free += ps;
    } else {
      acc_->overhead += ps;
    }
  }
  pageOpen_ = false;
  pageInUse_ = false;
  pageFreeCover_ = 0;
  next_ = page_ + 1;
}

void SpanResidency::skipTo(uint64_t page) {
  if (pageOpen_) finishPage();
  // Pages no chunk touched (heap_info and malloc_state, fenceposts, the tail
  // up to mprotect_size): overhead where resident.
  for (; next_ < page && next_ < pages_; ++next_) {
    if (present(next_)) {
      acc_->resident += rules_->pageSize;
      acc_->overhead += rules_->pageSize;
    }
  }
}

void SpanResidency::addToPage(uint64_t page, uint64_t overlap, ChunkClass cls) {
  if (!pageOpen_) {
    page_ = page;
    pageOpen_ = true;
  }
  if (cls == ChunkClass::kInUse) pageInUse_ = true;
  if (isFree(cls)) pageFreeCover_ += overlap;
}

void SpanResidency::chunk(uint64_t start, uint64_t end, ChunkClass cls) {
  trimStep(&withC_, &acc_->reclaimable, rules_->consolidateFastbins, start, end, cls);
  trimStep(&withoutC_, &acc_->reclaimableWithoutConsolidation, false, start, end, cls);
  const uint64_t ps = rules_->pageSize;
  if (cls != ChunkClass::kTop && isFree(cls)) {
    ++acc_->freeChunks;
    acc_->freeChunkBytes += end - start;
    if (end - start <= ps - 1 + kMallocChunkStruct) {
      ++acc_->smallFreeChunks;
      acc_->smallFreeBytes += end - start;
    }
  }
  if (cls == ChunkClass::kTop) {
    const uint64_t from = (start + ps - 1) & ~(ps - 1);
    const uint64_t to = end & ~(ps - 1);
    if (to > from) acc_->top += presentPages(from, to) * ps;
  }
  const uint64_t s = std::max(start, base_);
  const uint64_t e = std::min(end, base_ + pages_ * ps);
  if (s >= e) return;
  const uint64_t p0 = (s - base_) / ps;
  const uint64_t p1 = (e - 1 - base_) / ps;
  // Chunks come in address order; one that starts on a page already closed
  // (hostile overlapping sizes) only adds to the pages after it.
  if (!(pageOpen_ && page_ == p0)) {
    if (p0 < next_) return;
    skipTo(p0);
  }
  const bool countResident = cls != ChunkClass::kTop && isFree(cls);
  const uint64_t firstOverlap = std::min(e, base_ + (p0 + 1) * ps) - s;
  addToPage(p0, firstOverlap, cls);
  if (countResident && present(p0)) acc_->freeChunkResidentBytes += firstOverlap;
  if (p1 == p0) return;
  finishPage();
  for (uint64_t q = p0 + 1; q < p1; ++q) {
    if (!present(q)) continue;
    acc_->resident += ps;
    if (cls == ChunkClass::kInUse) {
      acc_->inUse += ps;
    } else if (cls == ChunkClass::kInternal) {
      acc_->overhead += ps;
    } else {
      acc_->free += ps;
      if (countResident) acc_->freeChunkResidentBytes += ps;
    }
  }
  next_ = p1;
  const uint64_t lastOverlap = e - (base_ + p1 * ps);
  addToPage(p1, lastOverlap, cls);
  if (countResident && present(p1)) acc_->freeChunkResidentBytes += lastOverlap;
}

void SpanResidency::trimStep(Segment* seg, Reclaimable* out, bool consolidate, uint64_t start, uint64_t end, ChunkClass cls) {
  const bool takesPart = cls == ChunkClass::kFreeBin || cls == ChunkClass::kTop || (consolidate && cls == ChunkClass::kFast);
  if (!takesPart) {
    trimFinish(seg, out);
    return;
  }
  // malloc_consolidate merges two neighbours only through a fastbin chunk
  // (its prev and next checks), and merges into top only from one.
  const bool merges = consolidate && seg->open && !seg->isTop && seg->end == start &&
                      (seg->last == ChunkClass::kFast || cls == ChunkClass::kFast);
  if (merges) {
    seg->end = end;
    seg->last = cls;
    if (cls == ChunkClass::kTop) seg->isTop = true;
    return;
  }
  trimFinish(seg, out);
  *seg = Segment{start, end, cls, cls == ChunkClass::kTop, true};
}

void SpanResidency::trimFinish(Segment* seg, Reclaimable* out) {
  if (!seg->open) return;
  seg->open = false;
  const uint64_t ps = rules_->pageSize;
  if (seg->isTop) {
    if (!mainTopTrims_) return;
    // systrim: top_area = chunksize(top) - MINSIZE - 1, released above pad in whole units.
    const uint64_t size = seg->end - seg->start;
    if (size < kMinChunk + 1) return;
    const uint64_t area = size - kMinChunk - 1;
    if (area <= rules_->pad) return;
    const uint64_t unit = rules_->thpPagesize > 0 ? rules_->thpPagesize : ps;
    const uint64_t extra = ((area - rules_->pad) / unit) * unit;
    if (extra > 0) out->top += presentPages(seg->end - extra, seg->end) * ps;
    return;
  }
  // mtrim: whole pages from 0x30 past the chunk start to its end.
  if (seg->end - seg->start <= ps - 1 + kMallocChunkStruct) return;
  const uint64_t from = (seg->start + kMallocChunkStruct + ps - 1) & ~(ps - 1);
  const uint64_t to = seg->end & ~(ps - 1);
  if (to < from + ps) return;
  const uint64_t bytes = presentPages(from, to) * ps;
  out->bins += bytes;
  if (bytes > 0) ++out->chunks;
}

void SpanResidency::finish() {
  skipTo(pages_);
  trimFinish(&withC_, &acc_->reclaimable);
  trimFinish(&withoutC_, &acc_->reclaimableWithoutConsolidation);
  states_ = nullptr;
}

}  // namespace ptmalloc
}  // namespace arenascope
