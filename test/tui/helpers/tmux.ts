// Driving the real CLI in a tmux terminal: one private tmux server per test
// file (its own -L socket), sessions running `node bin/arenascope.js ...`.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { inspectorShellPrefix } from '../../support/sanitizer.js';
import { repoRoot, sleep } from './demoTarget.js';

/** Polls until check() returns a value (the deadline only bounds a hang). */
export async function until<T>(what: string, check: () => T | null | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** What the terminal looks like to the next program: tmux's own state of the pane, and its tty's line discipline. */
export interface TerminalState {
  /** xterm's alternate screen is on (a full-screen program has not given it back). */
  alternateScreen: boolean;
  cursorVisible: boolean;
  /** Line editing (icanon) and echo are on: raw mode is off. */
  canonical: boolean;
  echo: boolean;
}

/** A session whose shell runs the CLI, then says how it ended and stays (the terminal can be looked at after). */
export interface ShellSession {
  /** The shell (the pane's process). */
  shell: number;
  /** The CLI's node process, the shell's child. */
  cli: number;
}

export interface TmuxServer {
  tmux(...args: string[]): string;
  sessionAlive(session: string): boolean;
  screen(session: string): string;
  waitForText(session: string, re: RegExp): Promise<string>;
  /**
   * Starts `node bin/arenascope.js ARGS` in a 100x30 session with NO_COLOR; returns
   * the node process's pid. withPreload: the sanitizer run's preload goes to the CLI
   * (and only to it: not tmux, not what the CLI starts by other means than exec).
   */
  startSession(session: string, args: string[], options?: { withPreload?: boolean; env?: Record<string, string> }): number;
  /**
   * Starts `sh -c 'node bin/arenascope.js ARGS; echo "arenascope exited: $?"; exec sleep ...'`,
   * so the pane outlives the CLI; waits for the CLI to start.
   */
  startShellSession(session: string, args: string[]): Promise<ShellSession>;
  terminalState(session: string): TerminalState;
  quit(session: string): Promise<void>;
  /** Ends the server and removes its socket file. */
  close(): void;
}

export function tmuxServer(name: string): TmuxServer {
  const socket = `arenascope-${name}-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const sessionAlive = (session: string) => {
    try {
      tmux('has-session', '-t', session);
      return true;
    } catch {
      return false;
    }
  };
  const screen = (session: string) => (sessionAlive(session) ? tmux('capture-pane', '-p', '-t', session) : '(session ended)');
  return {
    tmux,
    sessionAlive,
    screen,
    waitForText: (session, re) => until(`${re} on screen`, () => (re.test(screen(session)) ? screen(session) : null)),
    startSession(session, args, options = {}) {
      const prefix = options.withPreload === false ? '' : inspectorShellPrefix();
      const env = Object.entries({ NO_COLOR: '1', ...options.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-c', repoRoot, ...env, `exec ${prefix}node bin/arenascope.js ${args.join(' ')}`);
      return Number(tmux('display', '-p', '-t', session, '#{pane_pid}').trim());
    },
    async startShellSession(session, args) {
      const script = `${inspectorShellPrefix()}node bin/arenascope.js ${args.join(' ')}; echo "arenascope exited: $?"; exec sleep 3600`;
      tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-c', repoRoot, '-e', 'NO_COLOR=1', 'sh', '-c', script);
      const shell = Number(tmux('display', '-p', '-t', session, '#{pane_pid}').trim());
      const cli = await until(`the CLI started by the shell of ${session}`, () => {
        const child = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/)[0];
        return child ? Number(child) : null;
      });
      return { shell, cli };
    },
    terminalState(session) {
      const [alternate, cursor, tty] = tmux('display', '-p', '-t', session, '#{alternate_on} #{cursor_flag} #{pane_tty}').trim().split(' ');
      // stty of the pane's tty from outside: what the shell and the next program get.
      const stty = execFileSync('stty', ['-a', '-F', tty!], { encoding: 'utf8' });
      return { alternateScreen: alternate === '1', cursorVisible: cursor === '1', canonical: /(^|\s)icanon\b/.test(stty), echo: /(^|\s)echo\b/.test(stty) };
    },
    async quit(session) {
      tmux('send-keys', '-t', session, 'q');
      await until(`session ${session} to end`, () => !sessionAlive(session));
    },
    close() {
      try {
        tmux('kill-server');
      } catch {
        // no server left
      }
      // tmux can leave its socket file behind when the last session ends on its own
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid!()}`, socket), { force: true });
    },
  };
}
