// Starts the interactive session on a pid and returns when the user quits.
// Loaded only by `arenascope <pid>` and `arenascope demo`, so plain commands
// never load Ink or React.
import { render } from 'ink';
import { ArenascopeError } from '../errors.js';
import { onCleanup } from '../session/cleanup.js';
import { preflight } from '../target/preflight.js';
import { App } from './App.js';
import { colorAllowed } from './theme.js';

export interface TuiOptions {
  pid: number;
  intervalSeconds: number;
  freeze: boolean;
}

// The alternate screen keeps the user's scrollback intact (xterm private mode 1049).
const enterAlternateScreen = '\u001b[?1049h\u001b[H';
const leaveAlternateScreen = '\u001b[?1049l';

export async function runTui(options: TuiOptions): Promise<void> {
  preflight(options.pid, { requireX86_64: true });
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ArenascopeError('EINVAL', 'the interactive view needs a terminal; use the commands (maps, dump, ...) with --json in scripts');
  }
  process.stdout.write(enterAlternateScreen);
  // On a signal the cleanup handler exits the process: give the screen back first.
  const unregister = onCleanup(() => process.stdout.write(leaveAlternateScreen));
  try {
    const instance = render(<App pid={options.pid} intervalSeconds={options.intervalSeconds} freeze={options.freeze} theme={{ color: colorAllowed() }} />, {
      exitOnCtrlC: true,
      patchConsole: true,
    });
    await instance.waitUntilExit();
  } finally {
    unregister();
    process.stdout.write(leaveAlternateScreen);
  }
}
