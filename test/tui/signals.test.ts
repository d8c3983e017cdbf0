// SIGTERM, SIGHUP and a closed terminal end `arenascope demo` and its demo
// target, in a real terminal (tmux). Who is left is read from /proc; the
// terminal from tmux's own state of the pane and the tty's line discipline
// (stty), after the TUI has gone and its shell has the terminal back. The
// deadlines only bound a hang.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoTargetBuilt, processExists } from './helpers/demoTarget.js';
import { tmuxServer, until, type ShellSession } from './helpers/tmux.js';

const term = tmuxServer('signals');
const { screen, waitForText, startSession, startShellSession, terminalState, tmux, sessionAlive } = term;

afterAll(() => term.close());

/** The demo target's pid, from the header once the TUI has drawn it (as the CLI's child, checked in /proc). */
async function demoOf(session: string, cli: number): Promise<number> {
  const s = await waitForText(session, /pid \d+ demo-target · Overview/);
  const demo = Number(/pid (\d+) demo-target/.exec(s)![1]);
  expect(processExists(demo)).toBe(true);
  await until(`demo-target ${demo} to be a child of ${cli}`, () => /^\d+ \(.*\) \S+ (\d+)/.exec(readStat(demo))?.[1] === String(cli));
  // A sample has landed: the session is in its steady state, not starting up.
  await waitForText(session, /sample \d+ at /);
  return demo;
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

async function bothGone(cli: number, demo: number): Promise<void> {
  await until(`the TUI ${cli} and demo target ${demo} to end`, () => !processExists(cli) && !processExists(demo));
}

/** After the TUI has gone: the shell says how, and the terminal is as the TUI found it. */
async function checkTerminalGivenBack(session: string, status: number): Promise<void> {
  const after = await waitForText(session, /arenascope exited: \d+/);
  expect(after).toContain(`arenascope exited: ${status}`);
  // No frame of the TUI left on the user's screen (it was drawn on the alternate screen).
  expect(after).not.toMatch(/demo-target · Overview|\[Overview\]/);
  expect(terminalState(session)).toEqual({ alternateScreen: false, cursorVisible: true, canonical: true, echo: true });
}

describe('arenascope demo ends with its target', { timeout: 120_000 }, () => {
  beforeAll(() => {
    ensureDemoTargetBuilt();
  });

  it('on SIGTERM: both gone, the terminal given back (main screen, cursor shown, raw mode off), status 143', async () => {
    const session = 'term';
    const { cli }: ShellSession = await startShellSession(session, ['demo', '--threads', '2', '--interval', '0.5']);
    const demo = await demoOf(session, cli);
    const during = terminalState(session);
    // The precondition: the TUI had the terminal in its own state.
    expect(during).toMatchObject({ alternateScreen: true, cursorVisible: false, canonical: false, echo: false });
    process.kill(cli, 'SIGTERM');
    await bothGone(cli, demo);
    await checkTerminalGivenBack(session, 143);
  });

  it('on SIGHUP: both gone, the terminal given back, status 129', async () => {
    const session = 'hup';
    const { cli } = await startShellSession(session, ['demo', '--threads', '2', '--interval', '0.5']);
    const demo = await demoOf(session, cli);
    process.kill(cli, 'SIGHUP');
    await bothGone(cli, demo);
    await checkTerminalGivenBack(session, 129);
  });

  it('when its terminal closes (tmux kill-session): both gone', async () => {
    const session = 'closed';
    const cli = startSession(session, ['demo', '--threads', '2', '--interval', '0.5']);
    const demo = await demoOf(session, cli);
    tmux('kill-session', '-t', session);
    expect(sessionAlive(session)).toBe(false);
    await bothGone(cli, demo);
    expect(screen(session)).toBe('(session ended)');
  });
});
