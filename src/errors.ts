// One error class for everything the user can cause or meet: each carries a
// code and maps to a distinct exit code (documented in README "Exit codes").
import type { NativeErrorCode } from './native/native.js';

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  noProcess: 3,
  permission: 4,
  nothingReadable: 5,
  notGlibc: 6,
  corruptHeap: 7,
  fileExists: 8,
  io: 9,
  unsupportedTarget: 10,
  outOfMemory: 11,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'EINVAL'
  | 'ESRCH'
  | 'EPERM'
  | 'EACCES'
  | 'EIO'
  | 'ENOSPC'
  | 'EDQUOT'
  | 'EEXIST'
  | 'EBUSY'
  /** The inspector itself could not allocate (a native std::bad_alloc). */
  | 'ENOMEM'
  /** A native exception that is not a known failure: a bug in arenascope. */
  | 'EINTERNAL'
  /** A native job the caller cancelled (the TUI leaving a view, quitting). */
  | 'ECANCELED'
  | 'NOTHING_READABLE'
  | 'NOT_GLIBC'
  | 'CORRUPT_HEAP'
  | 'LAYOUT_MISMATCH'
  | 'UNSUPPORTED_TARGET'
  | 'INTERRUPTED';

const exitByCode: Record<ErrorCode, ExitCodeValue> = {
  EINVAL: ExitCode.usage,
  ESRCH: ExitCode.noProcess,
  EPERM: ExitCode.permission,
  EACCES: ExitCode.permission,
  EIO: ExitCode.io,
  ENOSPC: ExitCode.io,
  EDQUOT: ExitCode.io,
  EEXIST: ExitCode.fileExists,
  EBUSY: ExitCode.internal,
  ENOMEM: ExitCode.outOfMemory,
  EINTERNAL: ExitCode.internal,
  ECANCELED: ExitCode.interrupted,
  NOTHING_READABLE: ExitCode.nothingReadable,
  NOT_GLIBC: ExitCode.notGlibc,
  CORRUPT_HEAP: ExitCode.corruptHeap,
  LAYOUT_MISMATCH: ExitCode.corruptHeap,
  UNSUPPORTED_TARGET: ExitCode.unsupportedTarget,
  INTERRUPTED: ExitCode.interrupted,
};

// Every code the addon can send (native.d.ts; test/native/error-codes.test.ts
// holds that list to the addon's own) has an exit code here, or this fails to compile.
void (exitByCode satisfies Record<NativeErrorCode, ExitCodeValue>);

/** The exit code of an error code (README "Exit codes"). */
export function exitCodeOf(code: ErrorCode): ExitCodeValue {
  return exitByCode[code];
}

export class ArenascopeError extends Error {
  readonly code: ErrorCode;
  readonly errno: number;
  constructor(code: ErrorCode, message: string, errno = 0) {
    super(message);
    this.name = 'ArenascopeError';
    this.code = code;
    this.errno = errno;
  }
  get exitCode(): ExitCodeValue {
    return exitCodeOf(this.code);
  }
}

export const permissionHint =
  'run as root or with CAP_SYS_PTRACE, or relax kernel.yama.ptrace_scope (sysctl kernel.yama.ptrace_scope=0); containers need --cap-add SYS_PTRACE';

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code in exitByCode;
}

/** Normalises native errors ({code, errno}) and Node fs errors into ArenascopeError. */
export function toArenascopeError(err: unknown, context?: { pid?: number }): ArenascopeError {
  if (err instanceof ArenascopeError) return err;
  const e = err as { code?: unknown; errno?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const errno = typeof e?.errno === 'number' ? Math.abs(e.errno) : 0;
  if (e?.code === 'ENOENT' && context?.pid !== undefined && message.includes('/proc/')) {
    return new ArenascopeError('ESRCH', `no process with pid ${context.pid}`, 3);
  }
  if ((e?.code === 'EPERM' || e?.code === 'EACCES') && context?.pid !== undefined && message.includes('/proc/')) {
    return new ArenascopeError('EPERM', `no permission to inspect pid ${context.pid}: ${permissionHint}`, errno);
  }
  if (isErrorCode(e?.code)) return new ArenascopeError(e.code, message, errno);
  if (e?.code === 'ENOENT') return new ArenascopeError('EINVAL', message, errno);
  const wrapped = new ArenascopeError('EIO', message, errno);
  if (err instanceof Error && err.stack) wrapped.stack = err.stack;
  return wrapped;
}
