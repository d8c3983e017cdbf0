// One list of error codes across the boundary: the codes the addon can send
// (native/memory/error_code.h, read from the test addon), the ones native.d.ts
// declares (NativeErrorCode, read with the TypeScript compiler), and errors.ts,
// which must know each with an exit code of its own kind, so none falls back
// to the generic EIO (exit 9) as ENOMEM and EINTERNAL once did.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeOf, isErrorCode, toArenascopeError } from '../../src/errors.js';
import { Declarations } from './declaredShape.js';
import { testAddon } from './testAddon.js';

const declared = new Declarations(join(import.meta.dirname, '..', '..', 'src', 'native', 'native.d.ts')).literals('NativeErrorCode');

describe('native error codes', () => {
  it('native.d.ts declares exactly the codes the addon can send', () => {
    expect([...declared].sort()).toEqual([...testAddon.errorCodes()].sort());
  });

  it('errors.ts knows every one of them, and keeps it through toArenascopeError', () => {
    for (const code of testAddon.errorCodes()) {
      expect(isErrorCode(code)).toBe(true);
      expect(toArenascopeError({ code, errno: 0, message: 'm' }).code).toBe(code);
    }
  });

  it('gives each its exit code: out of memory 11 and internal errors 1, not the I/O code', () => {
    expect(exitCodeOf('ENOMEM')).toBe(ExitCode.outOfMemory);
    expect(exitCodeOf('EINTERNAL')).toBe(ExitCode.internal);
    expect(exitCodeOf('ESRCH')).toBe(ExitCode.noProcess);
    expect(exitCodeOf('EPERM')).toBe(ExitCode.permission);
    expect(exitCodeOf('EACCES')).toBe(ExitCode.permission);
    expect(exitCodeOf('EINVAL')).toBe(ExitCode.usage);
    for (const io of ['EIO', 'ENOSPC', 'EDQUOT'] as const) expect(exitCodeOf(io)).toBe(ExitCode.io);
    expect(exitCodeOf('EBUSY')).toBe(ExitCode.internal);
  });
});
