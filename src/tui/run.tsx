// Starts the interactive session on a pid and returns when the user quits.
// Loaded only by `arenascope <pid>` and `arenascope demo`, so plain commands
// never load Ink or React.
import { render } from 'ink';
import { ArenascopeError } from '../errors.js';
import { onCleanup } from '../session/cleanup.js';
import { preflight } from '../target/preflight.js';
import { App } from './App.js';
import { colorAllowed } from './theme.js';

export { endWithoutWaiting } from './pendingWork.js';

export interface TuiOptions {
  pid: number;
  intervalSeconds: number;
  freeze: boolean;
  /** Share of one core the periodic work may use (--cpu-budget / 100). */
  cpuBudget?: number;
}

// The alternate screen keeps the user's scrollback intact (xterm private mode 1049).
const enterAlternateScreen = '\u001b[?1049h\u001b[H';
const leaveAlternateScreen = '\u001b[?1049l';

/**
 * A terminal that has gone away (the window closed, tmux kill-session, ssh
 * dropped) is a hangup: reads end and writes fail with EIO, and SIGHUP may
 * come later than either or not at all (the session leader is not always
 * us). Each of those ends the session as SIGHUP does.
 */
function onTerminalLost(): () => void {
  const hangUp = (): void => {
    process.kill(process.pid, 'SIGHUP');
  };
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EIO' || err.code === 'EPIPE' || err.code === 'ENXIO') hangUp();
  };
  process.stdin.on('end', hangUp);
  process.stdin.on('error', onError);
  return () => {
    process.stdin.off('end', hangUp);
    process.stdin.off('error', onError);
  };
}

export async function runTui(options: TuiOptions): Promise<void> {
  preflight(options.pid, { requireX86_64: true });
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ArenascopeError('EINVAL', 'the interactive view needs a terminal; use the commands (maps, dump, ...) with --json in scripts');
  }
  process.stdout.write(enterAlternateScreen);
  const instance = render(
    <App pid={options.pid} intervalSeconds={options.intervalSeconds} freeze={options.freeze} cpuBudget={options.cpuBudget} theme={{ color: colorAllowed() }} />,
    { exitOnCtrlC: true, patchConsole: true },
  );
  // On a signal the cleanup handler ends the process: Ink first (raw mode off,
  // cursor shown, the views unmounted, which aborts their work), then the
  // user's screen given back, as when quitting.
  const unregister = onCleanup(() => {
    instance.unmount();
    process.stdout.write(leaveAlternateScreen);
  });
  const lost = onTerminalLost();
  try {
    await instance.waitUntilExit();
  } finally {
    lost();
    unregister();
    instance.unmount();
    process.stdout.write(leaveAlternateScreen);
  }
}
