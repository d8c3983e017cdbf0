// CLI entry. Command modules are imported lazily inside each action so a
// plain command never loads the TUI (Ink, React) and starts fast.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ArenascopeError, ExitCode, toArenascopeError } from '../errors.js';

function parsePid(text: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw new InvalidArgumentError('a pid is a positive decimal number');
  return Number(text);
}

function parseSeconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError('seconds: a number above 0, at most 3600');
  return n;
}

function parseInterval(text: string): number {
  const v = Number(text);
  // Below 0.2 s the sampler would spend its time re-reading smaps.
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(v >= 0.2) || v > 3600) throw new InvalidArgumentError('seconds between samples: a number from 0.2 to 3600');
  return v;
}

function parseBudget(text: string): number {
  const v = Number(text);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(v >= 0.1) || v > 100) throw new InvalidArgumentError('percent of one core: a number from 0.1 to 100');
  return v;
}

function parseThreads(text: string): number {
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > 64) throw new InvalidArgumentError('a thread count from 1 to 64');
  return Number(text);
}

/**
 * Loads the TUI module. Ink decides once, when it is imported, whether it runs
 * "in CI" (env CI / CONTINUOUS_INTEGRATION) and then draws only the final
 * frame; an operator at a terminal is interactive whatever those say, so they
 * are cleared first when both ends are TTYs.
 *
 * React and its reconciler pick their build by NODE_ENV when first loaded,
 * and this import is what loads them. The development build records a
 * performance measure with a structured clone of its detail on every render:
 * the TUI grew to gigabytes and stopped answering keys. So the TUI always
 * loads the production build, whatever the user's shell exports; NODE_ENV is
 * put back afterwards, so what the TUI starts (the demo target) gets the
 * user's environment unchanged.
 */
async function loadTui(): Promise<typeof import('../tui/run.js')> {
  if (process.stdin.isTTY && process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    return await import('../tui/run.js');
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

interface InteractiveOptions {
  interval: number;
  freeze?: boolean;
  cpuBudget: number;
}

interface ViewedTarget {
  pid: number;
  /** Ends what arenascope started (the demo target); nothing for a user's process. */
  stop(): Promise<void>;
}

/**
 * The interactive view on the target `start` gives until the user quits; then
 * the target is stopped, and a walk still running in a worker thread is not
 * waited for.
 */
async function interactive(start: () => Promise<ViewedTarget>, opts: InteractiveOptions): Promise<void> {
  const tui = await loadTui();
  const target = await start();
  try {
    await tui.runTui({ pid: target.pid, intervalSeconds: opts.interval, freeze: Boolean(opts.freeze), cpuBudget: opts.cpuBudget / 100 });
  } finally {
    await target.stop();
  }
  await tui.endWithoutWaiting();
}

const budgetHelp = "percent of one core the view's sampling may use; costlier samples stretch the interval";

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

export function buildProgram(): Command {
  const program = new Command();
  // Before any .command(): subcommands copy the setting when they are created,
  // and without it commander ends the process itself (status 1) on a usage
  // error inside a subcommand, instead of main() returning ExitCode.usage.
  program.exitOverride();
  program
    .name('arenascope')
    .description(
      "Look inside a running process's native memory without stopping it: classified regions,\n" +
        'glibc malloc arenas, free-but-resident memory, strings, region dumps. Read-only unless --freeze.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Program options only before a subcommand, so `dump --freeze` stays dump's own option.
    .enablePositionalOptions()
    .argument('[pid]', 'open the interactive view on this process')
    .option('--interval <seconds>', 'seconds between samples in the interactive view', parseInterval, 2)
    .option('--freeze', 'stop the target (ptrace) while each sample is read; never done otherwise')
    .option('--cpu-budget <percent>', budgetHelp, parseBudget, 4)
    .addHelpText(
      'after',
      examples([
        'arenascope 1234                 # interactive TUI on pid 1234',
        'arenascope 1234 --cpu-budget 2  # sample less often when a sample is expensive',
        'arenascope demo                 # TUI on the bundled demo target',
        'arenascope maps 1234 --kind arena-heap',
        'arenascope dump 1234 --region 0x7fd488000000 -o arena.bin',
      ]) +
        '\nNeeds: root, or CAP_SYS_PTRACE, or the same user with kernel.yama.ptrace_scope=0.\n',
    );

  program.action(async (pidText: string | undefined, opts: InteractiveOptions) => {
    if (pidText === undefined) return program.help();
    if (!/^[1-9][0-9]*$/.test(pidText)) program.error(`error: unknown command or not a pid: '${pidText}'`, { code: 'commander.invalidArgument', exitCode: ExitCode.usage });
    await interactive(async () => ({ pid: Number(pidText), stop: async () => {} }), opts);
  });

  program
    .command('demo')
    .description('Start the bundled demo target (threads that grow their own arenas with text) and open the interactive view on it; it ends when you quit')
    .option('--threads <n>', 'worker threads, each with its own arena', parseThreads, 12)
    .option('--interval <seconds>', 'seconds between samples', parseInterval, 2)
    .option('--freeze', 'stop the target while each sample is read')
    .option('--cpu-budget <percent>', budgetHelp, parseBudget, 4)
    .addHelpText('after', examples(['arenascope demo', 'arenascope demo --threads 4 --interval 1', 'arenascope demo --cpu-budget 1']))
    .action(async (opts: InteractiveOptions & { threads: number }) => {
      const { startDemoTarget } = await import('../commands/demo.js');
      await interactive(() => startDemoTarget({ threads: opts.threads }), opts);
    });

  program
    .command('maps')
    .description('List every mapping (pmap -x style) with its kind: main-heap, arena-heap, arena-reserve, thread-stack, stack-guard, stack, mmapped-chunk, file, anon, special; a THP column when some mapping has transparent huge pages')
    .argument('<pid>', 'process id', parsePid)
    .option('--json', 'machine-readable output')
    .option('--sort <key>', 'addr, size or rss', 'addr')
    .option('--kind <kind>', 'only regions of this kind')
    .addHelpText('after', examples(['arenascope maps 1234', 'arenascope maps 1234 --sort rss --kind arena-heap', 'arenascope maps 1234 --json | jq .summary']))
    .action(async (pid: number, opts) => {
      const { runMaps } = await import('../commands/maps.js');
      await runMaps(pid, opts);
    });

  program
    .command('dump')
    .description('Dump [START, END) of live memory to FILE (temp file + rename, mode 0600) and write FILE.json with holes and sha256')
    .argument('<pid>', 'process id', parsePid)
    .argument('[start]', 'start address: hex (0x...), decimal')
    .argument('[end]', "end address, or gdb's START+LENGTH")
    .option('-o, --output <file>', 'output file')
    .option('--region <addr>', 'dump the whole mapping that contains ADDR')
    .option('--force', 'overwrite an existing FILE')
    .option('--freeze', 'stop the target (ptrace) while reading, for an exact copy')
    .option('--json', 'print the FILE.json record')
    .option('--read-swapped', 'also read pages the target has in swap (this swaps them back in); by default they are counted and skipped')
    .addHelpText(
      'after',
      examples(['arenascope dump 1234 0x7fd488000000 0x7fd488000000+56124000 -o a.dump', 'arenascope dump 1234 --region 0x7fd488000000 -o arena.bin --freeze']),
    )
    .action(async (pid: number, start: string | undefined, end: string | undefined, opts) => {
      const { runDump } = await import('../commands/dump.js');
      await runDump(pid, start, end, opts);
    });

  program
    .command('arenas')
    .description('Every glibc malloc arena: heaps, reserved, resident, system, in use, free (fastbins up to glibc 2.42, unsorted, small, large, tcache), top, threads; malloc thresholds')
    .argument('<pid>', 'process id', parsePid)
    .option('--json', 'machine-readable output')
    .option('--freeze', 'stop the target (ptrace) during the walk for an exact snapshot; reports the pause')
    .option('--no-debuginfo', 'ignore debug symbols: locate main_arena and mp_ symbol-free')
    .option('--debug-dir <dir>', 'extra directory with .build-id/xx/yyyy.debug files (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(
      new Option(
        '--locate <method>',
        'find main_arena only this way, skipping the others: debuginfo, or symbol-free file-pattern, live-scan, heap-info-route (needs a thread arena)',
      ).choices(['debuginfo', 'file-pattern', 'live-scan', 'heap-info-route']),
    )
    .option('--bins', 'per-list, per-bin and per-tcache detail')
    .option('--histogram', 'size-class histogram of in-use and free chunks')
    .option('--read-swapped', 'also read pages the target has in swap (this swaps them back in); by default they are counted and skipped')
    .addHelpText(
      'after',
      examples([
        'arenascope arenas 1234',
        'arenascope arenas 1234 --bins --histogram',
        'arenascope arenas 1234 --json --no-debuginfo | jq .totals',
        'arenascope arenas 1234 --json --locate live-scan | jq .locatedBy',
      ]),
    )
    .action(async (pid: number, opts) => {
      const { runArenas } = await import('../commands/arenas.js');
      await runArenas(pid, opts);
    });

  program
    .command('chunks')
    .description('Every chunk of every arena (or of one) as NDJSON on stdout, streamed as the walk meets them: arena, address, size, state')
    .argument('<pid>', 'process id', parsePid)
    .option('--arena <addr>', 'only the chunks of the arena at ADDR')
    .option('--freeze', 'stop the target (ptrace) during the walk for an exact list')
    .option('--no-debuginfo', 'ignore debug symbols: locate main_arena and mp_ symbol-free')
    .option('--read-swapped', 'also read pages the target has in swap (this swaps them back in); by default they are counted and skipped')
    .addHelpText(
      'after',
      examples([
        'arenascope chunks 1234 | head',
        "arenascope chunks 1234 --arena 0x7fd488000030 | jq -r 'select(.state==\"in-use\") | .size' | sort -n | uniq -c",
      ]) + '\nStates: in-use, internal (malloc\'s own tcache struct), fastbin, tcache, unsorted, small-bin, large-bin, top.\n',
    )
    .action(async (pid: number, opts) => {
      const { runChunks } = await import('../commands/chunks.js');
      await runChunks(pid, opts);
    });

  program
    .command('report')
    .description(
      'Explain the RSS line by line (adds up exactly to smaps Rss), estimate what malloc_trim(0) would return now, show each thread\'s tcache, ' +
        'and advise (MALLOC_ARENA_MAX, malloc_trim, mmap threshold, fragmentation, cgroup limit, allocator, tcache_count) with the numbers behind each claim',
    )
    .argument('<pid>', 'process id', parsePid)
    .option('--json', 'machine-readable output (bytes as numbers)')
    .option('--no-attach', 'never run jcmd against a JVM target')
    .option('--freeze', 'stop the target (ptrace) during the arena walk for an exact snapshot; reports the pause')
    .option('--jcmd-timeout <seconds>', 'how long to wait for jcmd', parseSeconds, 20)
    .option('--read-swapped', 'also read pages the target has in swap (this swaps them back in); by default they are counted and skipped')
    .addHelpText(
      'after',
      examples(['arenascope report 1234', 'arenascope report 1234 --json | jq .advice', 'arenascope report 1234 --no-attach']) +
        '\nReads /proc/PID (smaps, pagemap, environ, cgroup) and target memory; never writes to or stops the target (unless --freeze).\n' +
        'JVM targets: when the JVM runs with -XX:NativeMemoryTracking=summary (or detail), report runs\n' +
        '`jcmd PID VM.native_memory summary` and `jcmd PID GC.heap_info`. That is an interaction with the\n' +
        "target through the HotSpot attach API (the JVM starts its attach listener thread if it has not yet);\n" +
        "jcmd runs as the JVM's own uid/gid (via setpriv when arenascope is root). --no-attach skips it.\n",
    )
    .action(async (pid: number, opts) => {
      const { runReport } = await import('../commands/report.js');
      await runReport(pid, { json: opts.json, attach: opts.attach, jcmdTimeoutMs: opts.jcmdTimeout * 1000, freeze: opts.freeze, readSwapped: opts.readSwapped });
    });

  program
    .command('strings')
    .description('Which strings fill the arenas: counts, total bytes, samples with their chunk and arena, bytes per chunk size')
    .argument('<pid>', 'process id', parsePid)
    .option('--region <addr>', 'scan the mapping containing ADDR')
    .option('--range <start-end>', 'scan START-END (END may be START+LENGTH)')
    .option('--arena <addr>', "scan one arena's heaps")
    .option('--all-arenas', "scan every arena's heaps")
    .option('--suspicious [n]', 'scan the N arena heaps holding the most resident memory (or growth over --baseline)')
    .option('--baseline <file>', "an earlier 'arenascope maps --json' to rank growth for --suspicious")
    .option('--live', 'only in-use chunks')
    .option('--free', 'only free chunks (bins, tcache, fastbins, top)')
    .option('--min-len <n>', 'shortest run reported', '6')
    .option('--encoding <enc>', 'ascii, utf16le or both', 'both')
    .option('--grep <regex>', 'count and sample only strings matching REGEX (ECMAScript syntax, no back-references)')
    .option('--top <k>', 'distinct strings listed', '20')
    .option('--samples <n>', 'samples listed', '20')
    .option('--redact', 'mask what looks like credentials (tokens, password=...)')
    .option('--json', 'machine-readable output')
    .option('--read-swapped', 'also read pages the target has in swap (this swaps them back in); by default they are counted and skipped')
    .addHelpText(
      'after',
      examples([
        'arenascope strings 1234                      # every arena heap and the main heap',
        'arenascope strings 1234 --suspicious 3 --live',
        'arenascope strings 1234 --region 0x7fd488000000 --grep "SELECT|INSERT" --top 50',
        'arenascope strings 1234 --json --redact | jq .strings',
      ]) + '\nOutput holds whatever text the target held (passwords, tokens): see SECURITY.md; --redact masks what it can.\n',
    )
    .action(async (pid: number, opts) => {
      const { runStrings } = await import('../commands/strings.js');
      await runStrings(pid, opts);
    });

  return program;
}

/**
 * A reader that stops early (`arenascope maps 1234 | head`) closes the pipe;
 * the rest of the output has nowhere to go. End quietly, as a C tool killed by
 * SIGPIPE would, instead of an unhandled 'error' event and its stack trace.
 * A terminal that has gone away (EIO) is a hangup: SIGHUP to ourselves runs
 * the cleanups (thaw, temp files, the demo target) and ends us as SIGHUP does.
 */
function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EIO') {
      process.kill(process.pid, 'SIGHUP');
      return;
    }
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? ExitCode.ok);
  });
}

export async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedStdout();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    const cerr = err as { code?: string; exitCode?: number };
    if (typeof cerr.code === 'string' && cerr.code.startsWith('commander.')) {
      if (cerr.code === 'commander.helpDisplayed' || cerr.code === 'commander.version' || cerr.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    const e = err instanceof ArenascopeError ? err : toArenascopeError(err);
    process.stderr.write(`arenascope: ${e.message}\n`);
    if (process.env.ARENASCOPE_DEBUG && e.stack) process.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
}
