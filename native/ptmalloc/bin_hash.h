// Checking the small and large bins without walking them. Walking a bin node
// by node jumps all over the heap (one small read per node, millions on a
// fragmented heap); the chunk walk already reads every free chunk's header,
// fd and bk in address order. A bin is a circular doubly-linked list through
// its head (bin_at, a fake chunk in malloc_state): fd maps the list's nodes
// plus the head one-to-one onto themselves, and so does bk. So, with H a
// strong 64-bit hash and sums taken over the nodes N the walk assigns to the
// bin (free by PREV_INUSE, not on the unsorted list, of the bin's sizes):
//   sum H(fd(n)) + H(head.fd) == sum H(n) + H(head)
//   sum H(bk(n)) + H(head.bk) == sum H(n) + H(head)
// hold for every consistent bin, and fail (but with probability 2^-64) when a
// node is missing, extra, linked elsewhere or on the wrong bin. O(1) memory
// per bin; a failing bin is then walked explicitly to say what is wrong.
#pragma once

#include <array>
#include <cstdint>

#include "chunk_format.h"

namespace arenascope {
namespace ptmalloc {

// splitmix64's finalizer: a bijection on 64 bits with full avalanche.
inline uint64_t binHash(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct BinHash {
  uint64_t head = 0, headFd = 0, headBk = 0;  // bin_at and its links, from malloc_state
  uint64_t nodes = 0, fds = 0, bks = 0;      // sums over the nodes the walk found
  uint64_t count = 0;
  void node(uint64_t chunk, uint64_t fd, uint64_t bk) {
    nodes += binHash(chunk);
    fds += binHash(fd);
    bks += binHash(bk);
    ++count;
  }
  bool holds() const {
    return fds + binHash(headFd) == nodes + binHash(head) && bks + binHash(headBk) == nodes + binHash(head);
  }
  bool empty() const { return headFd == head && headBk == head; }
};

struct BinHashes {
  std::array<BinHash, kNBins> bins{};
};

}  // namespace ptmalloc
}  // namespace arenascope
