// Debug symbols by build-id (GDB's debug-file convention, which Debian's
// libc6-dbg follows): the detached debug file
// /usr/lib/debug/.build-id/<2 hex>/<rest>.debug has LOCAL symbols main_arena,
// mp_, global_max_fast and the TLS symbols that libc.so.6 itself strips. The
// target's root is searched first (containers), then the host, then
// --debug-dir directories.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { procPath } from '../proc/procfs.js';
import { ElfFile, SHF_COMPRESSED, type ElfSymbol } from './elf.js';

export interface DebugSymbols {
  path: string;
  symbols: Map<string, ElfSymbol>;
}

const wanted = new Set(['main_arena', 'mp_', 'global_max_fast', 'narenas', 'free_list', 'tcache_key', 'thread_arena', 'tcache']);

export function debugFileCandidates(pid: number, buildId: string, debugDirs: string[]): string[] {
  const rel = join('.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`);
  const roots = [procPath(pid, 'root') + '/usr/lib/debug', '/usr/lib/debug', ...debugDirs];
  const out: string[] = [];
  for (const r of roots) {
    out.push(join(r, rel));
    // --debug-dir may point at a package's unpacked usr/lib/debug or at its parent.
    out.push(join(r, 'usr/lib/debug', rel));
  }
  return out;
}

export function loadDebugSymbols(pid: number, buildId: string, debugDirs: string[]): DebugSymbols | null {
  for (const path of debugFileCandidates(pid, buildId, debugDirs)) {
    if (!existsSync(path)) continue;
    let elf: ElfFile;
    try {
      elf = new ElfFile(readFileSync(path));
    } catch {
      continue;
    }
    if (elf.buildId() !== buildId) continue;
    const symtab = elf.sections.find((s) => s.name === '.symtab');
    if (!symtab || (symtab.flags & SHF_COMPRESSED) !== 0n) continue;
    const symbols = new Map<string, ElfSymbol>();
    for (const s of elf.symbols('symtab', wanted)) if (!symbols.has(s.name)) symbols.set(s.name, s);
    if (symbols.has('main_arena')) return { path, symbols };
  }
  return null;
}
