// MemoryReader: the typed TS face of a native MemorySource. Validates
// arguments before they cross the boundary and turns native errors into
// ArenascopeError.
import { toArenascopeError, ArenascopeError } from '../errors.js';
import { loadNative } from '../native/loader.js';
import type { NativeHole, NativeImageSegment, NativeMemorySource, NativeReadCounters, NativeReadResult } from '../native/native.js';

export interface ProcessReadOptions {
  /** Read swapped-out pages (which swaps them back in); by default they are holes. */
  readSwapped?: boolean;
}

function checkRange(address: number, length: number): void {
  if (!Number.isSafeInteger(address) || address < 0) throw new ArenascopeError('EINVAL', `bad address ${address}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new ArenascopeError('EINVAL', `bad length ${length}`);
}

export class MemoryReader {
  readonly native: NativeMemorySource;
  readonly pid: number | null;

  private constructor(native: NativeMemorySource, pid: number | null) {
    this.native = native;
    this.pid = pid;
  }

  static forProcess(pid: number, options: ProcessReadOptions = {}): MemoryReader {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new ArenascopeError('EINVAL', `bad pid ${pid}`);
    return new MemoryReader(loadNative().MemorySource.forProcess(pid, { readSwapped: Boolean(options.readSwapped) }), pid);
  }

  static fromImage(segments: NativeImageSegment[]): MemoryReader {
    return new MemoryReader(loadNative().MemorySource.fromImage(segments), null);
  }

  read(address: number, length: number): NativeReadResult {
    checkRange(address, length);
    try {
      return this.native.read(address, length);
    } catch (err) {
      throw toArenascopeError(err, this.pid === null ? {} : { pid: this.pid });
    }
  }

  async readAsync(address: number, length: number): Promise<NativeReadResult> {
    checkRange(address, length);
    try {
      return await this.native.readAsync(address, length);
    } catch (err) {
      throw toArenascopeError(err, this.pid === null ? {} : { pid: this.pid });
    }
  }

  /**
   * Bytes this reader chose not to read so far: pages not resident in the
   * target (known zeros) and swapped-out pages (holes unless readSwapped).
   */
  counters(): NativeReadCounters {
    return this.native.counters();
  }

  /** Reads and returns the bytes only when all of them were readable. */
  readExact(address: number, length: number): Buffer | null {
    const r = this.read(address, length);
    return r.holes.length === 0 ? r.data : null;
  }

  readU64(address: number): number | null {
    const b = this.readExact(address, 8);
    if (!b) return null;
    const v = b.readBigUInt64LE(0);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
  }
}

export function holeBytes(holes: NativeHole[]): number {
  return holes.reduce((s, h) => s + (h.end - h.start), 0);
}
