// How anomalies read, in text and JSON, wherever a walk's result is shown:
// the counts by kind with root causes first (each with its first example),
// what follows from them after, and one plain line for torn reads, which are
// a moving heap, not corruption.
import type { AnomalySummary } from '../model/snapshot.js';
import { hex } from '../util/format.js';

export function anomaliesJson(s: AnomalySummary) {
  return {
    anomalies: s.examples.map((x) => ({ ...x, address: x.address === null ? null : hex(x.address) })),
    anomalyCounts: s.counts,
    anomalyTotal: s.total,
    tornReads: s.torn,
  };
}

/**
 * Lines for one arena (where: "0x7f..." or "the arena ring"); none when it is clean. Torn reads
 * are left to tornLine when the caller gathers them into one line (withTorn false).
 */
export function anomalyLines(where: string, s: AnomalySummary, withTorn = true): string[] {
  const lines: string[] = [];
  for (const c of s.counts) {
    const first = s.examples.find((e) => e.kind === c.kind);
    const at = first ? `${first.address !== null ? ` first at ${hex(first.address)}` : ''}: ${first.detail}` : '';
    lines.push(`${c.consequence ? '  then' : 'anomaly'} in ${where}: ${c.count} ${c.kind}${at}`);
  }
  if (withTorn) {
    const torn = tornLine([{ where, summary: s }]);
    if (torn) lines.push(torn);
  }
  return lines;
}

/**
 * One plain line for every torn read of a walk, however many arenas moved: inconsistencies a
 * second read did not see are a moving heap, not corruption. Null when nothing was torn.
 */
export function tornLine(parts: Array<{ where: string; summary: AnomalySummary }>): string | null {
  const moved = parts.filter((p) => p.summary.torn.total > 0);
  if (!moved.length) return null;
  const byKind = new Map<string, number>();
  for (const p of moved) for (const c of p.summary.torn.counts) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + c.count);
  const total = moved.reduce((t, p) => t + p.summary.torn.total, 0);
  const kinds = [...byKind].map(([k, n]) => `${n} ${k}`).join(', ');
  const who = moved.length === 1 ? `${moved[0]!.where} was` : `${moved.length} ${moved.every((p) => p.where.startsWith('0x')) ? 'arenas' : 'parts of the heap'} were`;
  const one = moved.length === 1;
  return (
    `${who} changing while ${one ? 'it was' : 'they were'} read: ${total} ${total === 1 ? 'inconsistency' : 'inconsistencies'} (${kinds}) ${total === 1 ? 'was' : 'were'} not confirmed by a second read ` +
    `or ${total === 1 ? 'was' : 'were'} read while a thread held the arena's lock mid-update, so they are a moving heap, not reported as corruption; ` +
    `${one ? 'its' : 'their'} numbers are approximate (--freeze reads an arena nobody holds exactly)`
  );
}
