// JVM awareness: a process that maps libjvm.so is a HotSpot JVM. Its heap and
// native-memory flags come from the command line and JAVA_TOOL_OPTIONS /
// JDK_JAVA_OPTIONS. With Native Memory Tracking on, `jcmd PID
// VM.native_memory summary` reports what the JVM itself committed; malloc
// done by native code (zlib, JNI libraries) is *not* tracked by NMT, which is
// why glibc arenas often explain the gap between NMT and RSS.
//
// jcmd talks to the target through the HotSpot attach API: that is the one
// deliberate interaction with the target (documented in the command help).
// The JVM only accepts attach requests from its own effective uid/gid (older
// JDKs refuse root too: "Unable to open socket file"), so jcmd is run as the
// target's uid/gid through setpriv when we are root.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Region } from '../regions/kinds.js';
import type { MapEntry } from '../proc/maps.js';
import type { AddressRange } from '../proc/pagemap.js';

export interface JvmFlags {
  /** -Xmx / -XX:MaxHeapSize, bytes. */
  xmx: number | null;
  xms: number | null;
  xss: number | null;
  maxDirectMemorySize: number | null;
  maxMetaspaceSize: number | null;
  reservedCodeCacheSize: number | null;
  maxRAMPercentage: number | null;
  nativeMemoryTracking: 'off' | 'summary' | 'detail' | null;
  /** -XX:+UseG1GC etc. */
  gc: string | null;
  /** Every -X / -XX / -D option in effect order (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, command line). */
  options: string[];
}

export interface NmtCategory {
  name: string;
  reserved: number;
  committed: number;
}

export interface NmtSummary {
  reserved: number;
  committed: number;
  /** "malloc: N" under Total (bytes the JVM malloc'd itself), when printed (JDK 17+). */
  malloc: number | null;
  categories: NmtCategory[];
}

export interface JavaHeap {
  start: number | null;
  end: number | null;
  /** Bytes reserved for the heap. */
  reserved: number;
  source: 'GC.heap_info' | 'flags+mapping' | 'flags';
}

export interface JvmInfo {
  libjvm: string;
  javaHome: string;
  flags: JvmFlags;
  javaHeap: JavaHeap | null;
  nmt: NmtSummary | null;
  /** Why NMT numbers are missing (off, attach refused, timeout ...). */
  nmtNote: string | null;
  /** The jcmd invocations made, for the record. */
  attached: string[];
}

const libjvmName = /(^|\/)libjvm\.so$/;

export function findLibjvm(maps: Array<Pick<MapEntry, 'path'>>): string | null {
  return maps.find((m) => libjvmName.test(m.path))?.path ?? null;
}

/** .../lib/server/libjvm.so -> ... (JDK 9+ layout; JDK 8 has jre/lib/amd64/server). */
export function javaHomeOf(libjvm: string): string {
  const m = /^(.*?)(?:\/jre)?\/lib(?:\/[^/]+)?\/(?:server|client|zero)\/libjvm\.so$/.exec(libjvm);
  return m ? m[1]! : libjvm.replace(/\/[^/]+$/, '');
}

/** HotSpot size syntax: digits with an optional k/m/g/t suffix (binary units). */
export function parseJavaSize(text: string): number | null {
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(text.trim());
  if (!m) return null;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * mult;
}

/** Splits an options variable the way the launcher does: whitespace, with '…' or "…" grouping. */
export function splitOptionString(value: string | undefined): string[] {
  const out: string[] = [];
  for (const m of (value ?? '').matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** java launcher options that consume the next argument. */
const optionsWithValue = new Set([
  '-cp',
  '-classpath',
  '--class-path',
  '-p',
  '--module-path',
  '--upgrade-module-path',
  '--add-modules',
  '--add-reads',
  '--add-exports',
  '--add-opens',
  '--limit-modules',
  '--patch-module',
  '--source',
  '--enable-native-access',
]);

/** The JVM options of a java command line: everything before the main class, -jar or -m. */
export function launcherOptions(cmdline: string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < cmdline.length; i++) {
    const a = cmdline[i]!;
    if (a === '-jar' || a === '-m' || a === '--module' || !a.startsWith('-')) break;
    if (optionsWithValue.has(a)) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

export function parseJvmFlags(options: string[]): JvmFlags {
  const f: JvmFlags = {
    xmx: null,
    xms: null,
    xss: null,
    maxDirectMemorySize: null,
    maxMetaspaceSize: null,
    reservedCodeCacheSize: null,
    maxRAMPercentage: null,
    nativeMemoryTracking: null,
    gc: null,
    options: [],
  };
  const xx = (opt: string, name: string): string | null => (opt.startsWith(`-XX:${name}=`) ? opt.slice(name.length + 5) : null);
  for (const o of options) {
    if (!/^-(X|XX:|D)/.test(o)) continue;
    f.options.push(o);
    let v: string | null;
    if (o.startsWith('-Xmx')) f.xmx = parseJavaSize(o.slice(4)) ?? f.xmx;
    else if (o.startsWith('-Xms')) f.xms = parseJavaSize(o.slice(4)) ?? f.xms;
    else if (o.startsWith('-Xss')) f.xss = parseJavaSize(o.slice(4)) ?? f.xss;
    else if ((v = xx(o, 'MaxHeapSize')) !== null) f.xmx = parseJavaSize(v) ?? f.xmx;
    else if ((v = xx(o, 'InitialHeapSize')) !== null) f.xms = parseJavaSize(v) ?? f.xms;
    else if ((v = xx(o, 'ThreadStackSize')) !== null) {
      const kib = parseJavaSize(v); // ThreadStackSize is in KiB
      if (kib !== null) f.xss = kib * 1024;
    }
    else if ((v = xx(o, 'MaxDirectMemorySize')) !== null) f.maxDirectMemorySize = parseJavaSize(v);
    else if ((v = xx(o, 'MaxMetaspaceSize')) !== null) f.maxMetaspaceSize = parseJavaSize(v);
    else if ((v = xx(o, 'ReservedCodeCacheSize')) !== null) f.reservedCodeCacheSize = parseJavaSize(v);
    else if ((v = xx(o, 'MaxRAMPercentage')) !== null) f.maxRAMPercentage = Number(v);
    else if ((v = xx(o, 'NativeMemoryTracking')) !== null) f.nativeMemoryTracking = v === 'summary' || v === 'detail' ? v : 'off';
    else if (/^-XX:\+Use(\w+)GC$/.test(o)) f.gc = /^-XX:\+Use(\w+)GC$/.exec(o)![1]!;
  }
  return f;
}

/**
 * Options in the order HotSpot applies them (later wins): JAVA_TOOL_OPTIONS,
 * then JDK_JAVA_OPTIONS (java launcher only, prepended to its arguments),
 * then the command line.
 */
export function effectiveJvmOptions(cmdline: string[], environ: Record<string, string> | null): string[] {
  const launcher = /(^|\/)java$/.test(cmdline[0] ?? '');
  return [
    ...splitOptionString(environ?.JAVA_TOOL_OPTIONS),
    ...(launcher ? splitOptionString(environ?.JDK_JAVA_OPTIONS) : []),
    ...launcherOptions(cmdline),
  ];
}

const unitBytes: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

function sizeOf(num: string, unit: string): number {
  return Number(num) * (unitBytes[unit.toUpperCase()] ?? 1024);
}

/** Parses `jcmd PID VM.native_memory summary` (any scale). */
export function parseNmtSummary(text: string): NmtSummary | null {
  const total = /Total: reserved=(\d+)(B|KB|MB|GB), committed=(\d+)(B|KB|MB|GB)/.exec(text);
  if (!total) return null;
  const malloc = /^\s+malloc: (\d+)(B|KB|MB|GB)/m.exec(text.slice(total.index));
  const categories: NmtCategory[] = [];
  for (const m of text.matchAll(/^-\s+(.+?) \(reserved=(\d+)(B|KB|MB|GB), committed=(\d+)(B|KB|MB|GB)\)/gm)) {
    categories.push({ name: m[1]!.trim(), reserved: sizeOf(m[2]!, m[3]!), committed: sizeOf(m[4]!, m[5]!) });
  }
  return {
    reserved: sizeOf(total[1]!, total[2]!),
    committed: sizeOf(total[3]!, total[4]!),
    malloc: malloc ? sizeOf(malloc[1]!, malloc[2]!) : null,
    categories,
  };
}

/** The heap's address range from `jcmd PID GC.heap_info`: [low, ..., high) brackets of every generation/space. */
export function parseGcHeapInfo(text: string): AddressRange | null {
  let start = Infinity;
  let end = -Infinity;
  // Each generation prints [low, high) or [low, committed-high, reserved-high);
  // the spaces nested under it (eden, from, to) lie inside, so min/max is the heap.
  for (const m of text.matchAll(/\[(0x[0-9a-f]+)(?:, (0x[0-9a-f]+))?, (0x[0-9a-f]+)\)/gi)) {
    start = Math.min(start, parseInt(m[1]!, 16));
    end = Math.max(end, parseInt(m[3]!, 16));
  }
  return Number.isFinite(start) && end > start ? { start, end } : null;
}

/**
 * Without GC.heap_info: a run of adjacent anonymous mappings whose total size
 * is exactly the heap reservation (-Xmx rounded up to the heap alignment, a
 * power of two from 1 to 32 MiB). Only an unambiguous single match counts.
 */
export function javaHeapFromMappings(regions: Region[], xmx: number): AddressRange | null {
  const sizes = new Set([0, 1, 2, 3, 4, 5].map((k) => Math.ceil(xmx / (2 ** k * 1024 * 1024)) * 2 ** k * 1024 * 1024));
  const anon = regions.filter((r) => r.path === '' && r.kind === 'anon').sort((a, b) => a.start - b.start);
  const hits: AddressRange[] = [];
  for (let i = 0; i < anon.length; i++) {
    let end = anon[i]!.end;
    for (let j = i; j < anon.length; j++) {
      if (j > i) {
        if (anon[j]!.start !== end) break;
        end = anon[j]!.end;
      }
      if (sizes.has(end - anon[i]!.start)) hits.push({ start: anon[i]!.start, end });
    }
  }
  return hits.length === 1 ? hits[0]! : null;
}

export interface JcmdResult {
  ok: boolean;
  stdout: string;
  /** Human-readable reason when !ok. */
  reason: string | null;
  command: string;
}

export interface JcmdOptions {
  javaHome: string;
  /** The target's effective uid and gid (from /proc/PID/status). */
  uid: number;
  gid: number;
  timeoutMs: number;
}

/** jcmd from the target's own JDK when it has one, else from PATH. */
export function jcmdPath(javaHome: string): string {
  const own = `${javaHome}/bin/jcmd`;
  return existsSync(own) ? own : 'jcmd';
}

/** Runs jcmd against a pid as the target's user, with a timeout. Never throws. */
export function runJcmd(pid: number, args: string[], o: JcmdOptions): Promise<JcmdResult> {
  const jcmd = jcmdPath(o.javaHome);
  const me = process.geteuid?.() ?? -1;
  let file = jcmd;
  let argv = [String(pid), ...args];
  if (me === 0 && o.uid !== 0) {
    file = 'setpriv';
    argv = [`--reuid=${o.uid}`, `--regid=${o.gid}`, '--clear-groups', '--', jcmd, ...argv];
  }
  const command = [file, ...argv].join(' ');
  if (me !== 0 && me !== o.uid) {
    return Promise.resolve({
      ok: false,
      stdout: '',
      reason: `the JVM accepts attach requests only from its own user (uid ${o.uid}); run arenascope as that user or as root`,
      command,
    });
  }
  return new Promise((resolve) => {
    // jcmd is the JDK's own program: a library preloaded into arenascope (an
    // allocator, a sanitizer) is not meant for it, and a JVM under a foreign
    // preload can fail to start.
    const env = { ...process.env };
    delete env.LD_PRELOAD;
    execFile(file, argv, { timeout: o.timeoutMs, killSignal: 'SIGKILL', cwd: '/tmp', maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) => {
      const out = String(stdout);
      if (!err) return resolve({ ok: true, stdout: out, reason: null, command });
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      let reason: string;
      if (e.killed) reason = `jcmd did not answer within ${o.timeoutMs / 1000} s`;
      else if (e.code === 'ENOENT') reason = `${file} not found (install a JDK with jcmd, or util-linux for setpriv)`;
      else {
        const text = (String(stderr) + out).trim();
        if (/Unable to open socket file/.test(text)) {
          reason = `attach refused ("Unable to open socket file"): jcmd must run as the JVM's own user (uid ${o.uid}) and see its /tmp; the JVM may also run with -XX:+DisableAttachMechanism`;
        } else reason = `jcmd failed: ${text.split('\n').slice(-3).join(' ').slice(0, 300)}`;
      }
      resolve({ ok: false, stdout: out, reason, command });
    });
  });
}

export interface JvmProbeOptions {
  /** Run jcmd (attach API) when NMT is on; false = never touch the JVM. */
  attach: boolean;
  timeoutMs: number;
  uid: number;
  gid: number;
}

export async function inspectJvm(
  pid: number,
  libjvm: string,
  cmdline: string[],
  environ: Record<string, string> | null,
  regions: Region[],
  o: JvmProbeOptions,
): Promise<JvmInfo> {
  const javaHome = javaHomeOf(libjvm);
  const flags = parseJvmFlags(effectiveJvmOptions(cmdline, environ));
  const info: JvmInfo = { libjvm, javaHome, flags, javaHeap: null, nmt: null, nmtNote: null, attached: [] };
  const nmtOn = flags.nativeMemoryTracking === 'summary' || flags.nativeMemoryTracking === 'detail';

  if (!nmtOn) {
    info.nmtNote = 'Native Memory Tracking is off: start the JVM with -XX:NativeMemoryTracking=summary to see what the JVM itself commits';
  } else if (!o.attach) {
    info.nmtNote = 'Native Memory Tracking is on, but attaching with jcmd was disabled (--no-attach)';
  } else {
    const jo = { javaHome, uid: o.uid, gid: o.gid, timeoutMs: o.timeoutMs };
    const nmt = await runJcmd(pid, ['VM.native_memory', 'summary'], jo);
    info.attached.push(nmt.command);
    if (nmt.ok) {
      info.nmt = parseNmtSummary(nmt.stdout);
      if (!info.nmt) info.nmtNote = `jcmd answered without an NMT summary: ${nmt.stdout.trim().split('\n').slice(-2).join(' ').slice(0, 200)}`;
      // Same attach channel, already open: ask where the heap lives.
      const heap = await runJcmd(pid, ['GC.heap_info'], jo);
      info.attached.push(heap.command);
      const range = heap.ok ? parseGcHeapInfo(heap.stdout) : null;
      if (range) info.javaHeap = { ...range, reserved: range.end - range.start, source: 'GC.heap_info' };
    } else info.nmtNote = nmt.reason;
  }

  if (!info.javaHeap && flags.xmx !== null) {
    const range = javaHeapFromMappings(regions, flags.xmx);
    info.javaHeap = range ? { ...range, reserved: range.end - range.start, source: 'flags+mapping' } : { start: null, end: null, reserved: flags.xmx, source: 'flags' };
  }
  return info;
}

export interface NmtVersusRss {
  rss: number;
  nmtCommitted: number;
  /** RSS minus NMT committed (negative when the JVM committed more than it touched). */
  gap: number;
  /** What NMT saw the JVM malloc itself (also lives in glibc arenas). */
  nmtMalloc: number | null;
  arenaResident: number | null;
  /** Arena-resident bytes NMT does not account for: arena resident minus NMT's own malloc. */
  arenaUntracked: number | null;
  /** The part of a positive gap that untracked arena memory explains. */
  gapExplainedByArenas: number | null;
}

export function compareNmtWithRss(rss: number, nmt: NmtSummary, arenaResident: number | null): NmtVersusRss {
  const gap = rss - nmt.committed;
  const arenaUntracked = arenaResident === null ? null : Math.max(0, arenaResident - (nmt.malloc ?? 0));
  return {
    rss,
    nmtCommitted: nmt.committed,
    gap,
    nmtMalloc: nmt.malloc,
    arenaResident,
    arenaUntracked,
    gapExplainedByArenas: arenaUntracked === null ? null : Math.min(Math.max(gap, 0), arenaUntracked),
  };
}
