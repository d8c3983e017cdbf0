// Memory invariants that confirm a (layout, main_arena) guess before anything
// is walked: the next ring closes (arena.c _int_new_arena links each new arena
// into main_arena's), every non-main member sits at heap base +
// sizeof(heap_info), and every bin is either empty (fd == bk == bin_at(i), as
// malloc.c malloc_init_state leaves it) or has both links set.
import type { MemoryReader } from '../memory/reader.js';
import type { MallocLayout } from './layouts.js';

export interface ArenaRingCheck {
  ok: boolean;
  reason: string;
  /** Arena addresses in ring order starting with main_arena. */
  ring: number[];
  /** Bins never initialised (no malloc call yet, 2.17-2.41). */
  uninitialised: boolean;
}

const maxRing = 4096;

function u64(b: Buffer, off: number): number {
  const v = b.readBigUInt64LE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

export function checkBins(state: Buffer, address: number, l: MallocLayout): { ok: boolean; allZero: boolean } {
  let allZero = true;
  for (let i = 1; i < 128; i++) {
    const slot = l.offBins + 16 * (i - 1);
    const fd = u64(state, slot);
    const bk = u64(state, slot + 8);
    const self = address + slot - 0x10; // bin_at(m, i): a fake chunk whose fd/bk overlay the slot
    if (fd !== 0 || bk !== 0) allZero = false;
    if ((fd === self) !== (bk === self)) return { ok: false, allZero };
    if (fd !== self && (fd === 0) !== (bk === 0)) return { ok: false, allZero };
    if (fd !== self && fd !== 0 && (fd % 16 !== 0 || bk % 16 !== 0)) return { ok: false, allZero };
  }
  return { ok: true, allZero };
}

export function checkMainArena(reader: MemoryReader, address: number, l: MallocLayout, heapMaxes: number[]): ArenaRingCheck {
  const state = reader.readExact(address, l.stateSize);
  if (!state) return { ok: false, reason: 'main_arena is not readable', ring: [], uninitialised: false };
  const bins = checkBins(state, address, l);
  if (!bins.ok) return { ok: false, reason: 'bin links inconsistent', ring: [], uninitialised: false };
  const sys = u64(state, l.offSystemMem);
  if (sys < 0 || sys > 2 ** 46) return { ok: false, reason: 'system_mem implausible', ring: [], uninitialised: false };
  if (l.offAttachedThreads >= 0) {
    const at = u64(state, l.offAttachedThreads);
    if (at < 0 || at > 1 << 22) return { ok: false, reason: 'attached_threads implausible', ring: [], uninitialised: false };
  }
  const ring = [address];
  let next = u64(state, l.offNext);
  while (next !== address) {
    if (ring.length >= maxRing) return { ok: false, reason: 'arena ring does not close', ring, uninitialised: false };
    if (next <= 0 || !heapMaxes.some((h) => next % h === l.heapInfoSize)) {
      return { ok: false, reason: `ring member ${next.toString(16)} is not at heap base + sizeof(heap_info)`, ring, uninitialised: false };
    }
    if (ring.includes(next)) return { ok: false, reason: 'arena ring loops without reaching main_arena', ring, uninitialised: false };
    ring.push(next);
    const n = reader.readU64(next + l.offNext);
    if (n === null) return { ok: false, reason: 'ring member unreadable', ring, uninitialised: false };
    next = n;
  }
  return { ok: true, reason: 'ok', ring, uninitialised: bins.allZero };
}
