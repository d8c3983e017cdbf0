// Swap for the tests that need swapped-out pages: this machine may have none.
// With no active swap, a 64 MiB swap file is made under test/.cache and
// enabled (root); the returned function turns it off and removes it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './nativeTarget.js';

function activeSwapKb(): number {
  const lines = readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1);
  return lines.reduce((s, l) => {
    const f = l.trim().split(/\s+/);
    return s + (Number(f[2]) - Number(f[3]));
  }, 0);
}

export function ensureSwap(): () => void {
  if (activeSwapKb() >= 32 * 1024) return () => {};
  const dir = join(repoRoot, 'test', '.cache', 'swap');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `swapfile-${process.pid}`);
  if (existsSync(file)) rmSync(file);
  // dd, not fallocate: some filesystems refuse swap on a file with unwritten extents.
  execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=64', 'status=none']);
  execFileSync('chmod', ['600', file]);
  execFileSync('mkswap', [file], { stdio: 'ignore' });
  try {
    execFileSync('swapon', [file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(file, { force: true });
    throw new Error(`swapon ${file} failed (these tests need root and a filesystem that takes swap files): ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`);
  }
  return () => {
    try {
      execFileSync('swapoff', [file], { stdio: 'ignore' });
    } finally {
      rmSync(file, { force: true });
    }
  };
}
