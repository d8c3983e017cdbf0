// One line for what reading the target spared it, shown by every command
// that reads heap memory (arenas, strings, report, dump) when it matters.
import type { ReadSummary } from '../model/snapshot.js';
import { formatBytes } from '../util/format.js';

/** null when nothing needs saying: pagemap was used and no page was swapped out. */
export function readsNote(r: ReadSummary): string | null {
  if (!r.pagemapUsed) {
    return 'note: /proc/PID/pagemap was unreadable, so pages were read without checking residency (reading may have made some resident)';
  }
  if (r.swappedBytes > 0) {
    return `note: ${formatBytes(r.swappedBytes)} swapped out and not read (counted as unreadable); --read-swapped reads them, which swaps them back in`;
  }
  return null;
}
