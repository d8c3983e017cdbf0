// The one keyboard handler: the view in front gets the key first; what it
// does not consume is a global key. The handler is read through a ref that
// each render refreshes, because keys that arrive in one chunk are delivered
// back to back, before Ink re-subscribes a new closure.
import { useInput, type Key } from 'ink';
import { useCallback, useRef } from 'react';
import type { KeyHandler } from './input.js';
import type { Navigation, ViewName } from './navigation.js';

export interface GlobalActions {
  quit(): void;
  togglePause(): void;
  refresh(): void;
  dump(): void;
}

export function useAppInput(nav: Navigation, viewHandlers: Record<ViewName, KeyHandler>, actions: GlobalActions): void {
  const route = (input: string, key: Key): void => {
    if (viewHandlers[nav.view](input, key)) return;
    if (input === 'q') actions.quit();
    else if (key.tab) nav.next(key.shift ? -1 : 1);
    else if (input === '?') nav.toggleHelp();
    else if (key.escape) nav.back();
    else if (input === 'p') actions.togglePause();
    else if (input === 'r') actions.refresh();
    else if (input === 'd') actions.dump();
  };
  const latest = useRef(route);
  latest.current = route;
  useInput(useCallback((input: string, key: Key) => latest.current(input, key), []));
}
