// walk_then_wait PID: the inspector's engine, as a long-lived process (the TUI
// is one): walks PID's arenas and scans its strings once, through the built
// engine (dist/), then prints "READY <own pid>" and waits for stdin's end, so a
// test can look at this process's own malloc after the jobs.
import { readMallocSnapshot } from '../../../dist/engine/malloc.js';
import { scanTargetStrings } from '../../../dist/engine/strings.js';
import { defaultStringScanOptions } from '../../../dist/model/strings.js';

const pid = Number(process.argv[2]);
await readMallocSnapshot(pid, { withBins: true, withHistogram: true });
await scanTargetStrings(pid, { kind: 'default' }, { ...defaultStringScanOptions, filter: 'live' });
process.stdout.write(`READY ${process.pid}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
