// The threads of a process and, where the kernel tells us, each one's stack
// pointer. /proc/PID/task/TID/syscall ends with "SP PC" while the thread is in
// a syscall (parked threads almost always are); "running" threads have none
// there, and stat's kstkesp is zeroed by modern kernels unless the thread is
// dumping core, so it is only a fallback.
import { listProcDir, tryReadProcText } from './procfs.js';
import { parseStat } from './status.js';

export interface ThreadInfo {
  tid: number;
  comm: string;
  state: string;
  /** Stack pointer, or null when the thread is running or the kernel hides it. */
  sp: number | null;
}

export function listThreadIds(pid: number): number[] {
  return listProcDir(pid, 'task')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
}

export function parseSyscallSp(text: string): number | null {
  const parts = text.trim().split(/\s+/);
  // "nr a1 a2 a3 a4 a5 a6 sp pc" (blocked in a syscall) or "-1 sp pc" (blocked, not in a syscall).
  if (parts.length === 9 || parts.length === 3) {
    const sp = parseInt(parts[parts.length - 2]!, 16);
    return Number.isFinite(sp) && sp > 0 ? sp : null;
  }
  return null;
}

export function readThreads(pid: number): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const tid of listThreadIds(pid)) {
    const statText = tryReadProcText(pid, `task/${tid}/stat`);
    if (statText === null) continue; // thread exited while we listed
    const stat = parseStat(statText);
    const sysText = tryReadProcText(pid, `task/${tid}/syscall`);
    let sp = sysText ? parseSyscallSp(sysText) : null;
    if (sp === null && stat.kstkesp > 0) sp = stat.kstkesp;
    out.push({ tid, comm: stat.comm, state: stat.state, sp });
  }
  return out;
}
