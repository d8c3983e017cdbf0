// Where main_arena and mp_ are in a live target, found without arenascope:
// libc's build-id from `readelf -n`, its detached debug file under a
// .build-id directory, the symbols from `readelf -s`, and libc's load address
// from /proc/PID/maps. Truth for the tests of `arenas --locate` and
// `--debug-dir`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readMaps } from '../helpers/heapWalk.js';

export interface LibcInTarget {
  /** libc's path as the target maps it. */
  path: string;
  /** Start of libc's mapping at file offset 0. */
  base: number;
  buildId: string;
}

export function libcOf(pid: number): LibcInTarget {
  const maps = readMaps(pid);
  const first = maps.find((m) => /\/libc[.-][^/]*so[^/]*$/.test(m.path) && m.offset === 0);
  if (!first) throw new Error(`pid ${pid} maps no libc at offset 0`);
  return { path: first.path, base: first.start, buildId: buildIdOf(first.path) };
}

/** The GNU build-id note of an ELF file, from `readelf -n`. */
export function buildIdOf(file: string): string {
  const notes = execFileSync('readelf', ['-n', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const id = /Build ID:\s*([0-9a-f]+)/.exec(notes)?.[1];
  if (!id) throw new Error(`no build-id note in ${file}`);
  return id;
}

/** The detached debug file for buildId under debugDir (.build-id/xx/rest.debug), or null. */
export function debugFileFor(debugDir: string, buildId: string): string | null {
  const file = join(debugDir, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`);
  return existsSync(file) ? file : null;
}

/**
 * Value (st_value) of a symbol in an ELF file's symbol tables, from readelf: a data
 * object's link address, or for type TLS its offset in the module's TLS block.
 */
export function symbolValue(file: string, name: string, type: 'OBJECT' | 'TLS' = 'OBJECT'): number {
  const out = execFileSync('readelf', ['-sW', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    // Num: Value Size Type Bind Vis Ndx Name
    if (f.length >= 8 && f[7] === name && f[3] === type) return parseInt(f[1]!, 16);
  }
  throw new Error(`${name} not in the symbols of ${file}`);
}

/** main_arena and mp_ in the live target, by libc's debug symbols. */
export function mallocSymbols(pid: number, debugDir: string): { mainArena: number; mallocPar: number; debugFile: string } {
  const libc = libcOf(pid);
  const debugFile = debugFileFor(debugDir, libc.buildId);
  if (!debugFile) throw new Error(`no debug file for libc build-id ${libc.buildId} under ${debugDir}`);
  return {
    mainArena: libc.base + symbolValue(debugFile, 'main_arena'),
    mallocPar: libc.base + symbolValue(debugFile, 'mp_'),
    debugFile,
  };
}
