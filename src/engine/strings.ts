// PLACEHOLDER until the string scanner lands: the TUI's Strings view calls
// this signature. The real module replaces this file.
import { ArenascopeError } from '../errors.js';
import type { StringScanOptions, StringScanResult, StringSelection } from '../model/strings.js';

export type StringScanProgress = (bytesDone: number, bytesTotal: number) => void;

export async function scanTargetStrings(
  _pid: number,
  _selection: StringSelection,
  _options: StringScanOptions,
  _onProgress?: StringScanProgress,
): Promise<StringScanResult> {
  throw new ArenascopeError('EIO', 'string scanner not integrated yet');
}
