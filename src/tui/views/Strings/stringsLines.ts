// The scan result as lines: the most frequent strings, then samples with
// their address and whether their chunk is in use or free. With a height, the
// top list takes at most half of it so the samples stay on the first screen:
// in arenas full of unique log lines the top list is mostly fragments of freed
// text, and the samples are what tells the operator what the memory holds.
import type { StringScanResult } from '../../../model/strings.js';
import { formatBytes, hex } from '../../../util/format.js';
import { text, type Line } from '../../components/Lines.js';
import { fit, padLeft, printable } from '../../text.js';

export function stringsLines(result: StringScanResult | null, width: number, height?: number): Line[] {
  if (!result) return [];
  const topRows = height === undefined ? result.strings.length : Math.max(3, Math.floor((height - 6) / 2));
  const lines: Line[] = [];
  lines.push([text(`Top strings (${result.strings.length})`, 'accent', true)]);
  lines.push([text(`  ${padLeft('count', 7)} ${padLeft('bytes', 10)}  text`, 'muted')]);
  const textWidth = Math.max(10, width - 23);
  for (const s of result.strings.slice(0, topRows)) {
    lines.push([text(`  ${padLeft(String(s.count), 7)} ${padLeft(formatBytes(s.bytes), 10)}  `), text(fit(printable(s.text), textWidth))]);
  }
  if (result.strings.length > topRows) lines.push([text(`  … ${result.strings.length - topRows} more (arenascope strings ${result.pid} --top ${result.strings.length})`, 'muted')]);
  if (result.strings.length === 0) lines.push([text('  no strings found', 'muted')]);
  lines.push([]);
  lines.push([text(`Samples (${result.samples.length})`, 'accent', true)]);
  lines.push([text(`  ${'address'.padEnd(14)} ${'chunk'.padEnd(5)}  text`, 'muted')]);
  const sampleWidth = Math.max(10, width - 25);
  for (const s of result.samples) {
    const state = s.chunk === null ? '?' : s.chunk.inUse ? 'live' : 'free';
    lines.push([text(`  ${hex(s.address).padEnd(14)} `), text(state.padEnd(5), state === 'free' ? 'free' : state === 'live' ? 'used' : 'muted'), text(`  ${fit(printable(s.text), sampleWidth)}`)]);
  }
  if (result.samples.length === 0) lines.push([text('  no samples', 'muted')]);
  return lines;
}
