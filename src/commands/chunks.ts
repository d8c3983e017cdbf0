// `arenascope chunks <pid>`: every chunk of every arena (or of one), one JSON
// object a line, streamed to stdout by the walk as it meets them: nothing is
// held, however many chunks there are. A summary goes to stderr.
import { ArenascopeError } from '../errors.js';
import { readMallocSnapshot } from '../engine/malloc.js';
import { hex, parseAddressExpr } from '../util/format.js';

export interface ChunksOptions {
  arena?: string;
  freeze?: boolean;
  debuginfo?: boolean; // commander: --no-debuginfo sets false
  readSwapped?: boolean;
}

/** EPIPE: the reader of stdout went away (`| head`): not an error. */
const EPIPE = 32;

export async function runChunks(pid: number, opts: ChunksOptions): Promise<void> {
  let arena = 0;
  if (opts.arena !== undefined) {
    const a = parseAddressExpr(opts.arena);
    if (a === null || a === 0) throw new ArenascopeError('EINVAL', `--arena: not an address: ${opts.arena}`);
    arena = a;
  }
  const noArena = () => new ArenascopeError('EINVAL', `pid ${pid} has no arena at ${hex(arena)} (arenascope arenas ${pid} lists them)`);
  let read;
  try {
    // The walk checks the arena ring first and stops before any chunk when the arena is not in it.
    read = await readMallocSnapshot(pid, {
      freeze: opts.freeze,
      useDebuginfo: opts.debuginfo !== false,
      readSwapped: opts.readSwapped,
      listChunks: { fd: 1, arena },
    });
  } catch (err) {
    if (arena !== 0 && err instanceof ArenascopeError && err.code === 'EINVAL') throw noArena();
    throw err;
  }
  const { snapshot, listed } = read;
  if (arena !== 0 && !snapshot.arenas.some((a) => a.address === arena)) throw noArena();
  if (listed && listed.writeError !== 0 && listed.writeError !== EPIPE) {
    throw new ArenascopeError('EIO', `writing the chunk list failed (errno ${listed.writeError})`, listed.writeError);
  }
  if (listed?.writeError !== EPIPE) {
    const anomalies = snapshot.arenas.reduce((s, a) => s + a.anomalies.total, snapshot.anomalies.total);
    process.stderr.write(`${listed?.chunks ?? 0} chunks listed from ${arena ? `arena ${hex(arena)}` : `${snapshot.arenas.length} arenas`}${anomalies ? `; ${anomalies} anomalies (arenascope arenas ${pid} shows them)` : ''}\n`);
  }
}
