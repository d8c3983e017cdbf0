// The typed surface of the C++ addon (build/Release/arenascope.node). This is
// the only description of the boundary; src/native/loader.ts is the only place
// that treats the addon as untyped.

export interface NativeHole {
  start: number;
  end: number;
}

export interface NativeReadResult {
  data: Buffer;
  holes: NativeHole[];
  bytesRead: number;
}

export interface NativeSourceDescription {
  description: string;
  kind: 'process' | 'image';
  transport?: 'process_vm_readv' | 'proc-mem';
}

export interface NativeImageSegment {
  address: number;
  data: Buffer;
}

/** A handle on a native MemorySource (live process or in-memory image). */
export interface NativeMemorySource {
  /** Synchronous read of at most 16 MiB; unreadable pages read as zeros and are listed in holes. */
  read(address: number, length: number): NativeReadResult;
  /** The same off the JS thread, at most 256 MiB. */
  readAsync(address: number, length: number): Promise<NativeReadResult>;
  describe(): NativeSourceDescription;
}

export interface NativeMemorySourceStatic {
  forProcess(pid: number): NativeMemorySource;
  fromImage(segments: NativeImageSegment[]): NativeMemorySource;
  fromFile(path: string, address: number): NativeMemorySource;
}

export interface NativeDumpResult {
  bytesRead: number;
  bytesWritten: number;
  holes: NativeHole[];
  sha256: string;
}

export interface NativeFreezeResult {
  threads: number;
  stopped: number;
  freezeNs: number;
}

export interface NativeThawResult {
  stoppedNs: number;
}

export interface NativeAddon {
  MemorySource: NativeMemorySourceStatic;
  dumpRange(
    source: NativeMemorySource,
    start: number,
    end: number,
    fd: number,
    onProgress?: (bytesDone: number, holeBytes: number) => void,
  ): Promise<NativeDumpResult>;
  freeze(pid: number, timeoutMs?: number): NativeFreezeResult;
  thaw(pid: number): NativeThawResult | null;
  thawAll(): number;
}
