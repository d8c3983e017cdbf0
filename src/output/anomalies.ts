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

/** Lines for one arena (where: "0x7f..." or "the arena ring"); none when it is clean. */
export function anomalyLines(where: string, s: AnomalySummary): string[] {
  const lines: string[] = [];
  for (const c of s.counts) {
    const first = s.examples.find((e) => e.kind === c.kind);
    const at = first ? `${first.address !== null ? ` first at ${hex(first.address)}` : ''}: ${first.detail}` : '';
    lines.push(`${c.consequence ? '  then' : 'anomaly'} in ${where}: ${c.count} ${c.kind}${at}`);
  }
  if (s.torn.total > 0) {
    const kinds = s.torn.counts.map((c) => `${c.count} ${c.kind}`).join(', ');
    lines.push(
      `${where} was changing while it was read: ${s.torn.total} inconsistencies (${kinds}) were not there on a second read, so they are torn reads, not corruption; its numbers are approximate (--freeze reads it exactly)`,
    );
  }
  return lines;
}
