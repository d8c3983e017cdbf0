// The one keyboard handler: the view in front gets the key first; what it
// does not consume is a global key.
//
// Keys are queued and handled one per render, in a layout effect: a key then
// always sees the state the previous key produced (a "/" that opened a filter,
// a Tab that changed the view), even when several keys arrive before React
// renders again (fast typing, a paste, tmux send-keys, a busy event loop).
import { useInput, type Key } from 'ink';
import { useCallback, useLayoutEffect, useState } from 'react';
import type { KeyHandler } from './input.js';
import type { Navigation, ViewName } from './navigation.js';

export interface GlobalActions {
  quit(): void;
  togglePause(): void;
  refresh(): void;
  dump(): void;
}

type Keypress = [input: string, key: Key];

/**
 * Ink hands over characters that arrive together as one input ("jjj" from a
 * held key or tmux, a pasted path, "\r\r" from tmux send-keys Enter Enter
 * under load); each is a key of its own here, with the flags Ink would have
 * given it alone (Enter, Tab and Backspace come with an empty input, Ctrl+letter
 * as the letter with ctrl, as from Ink). Text fields get the same characters one by one, which appends the
 * same text. Escape sequences are left whole: split, they would read as Esc
 * followed by letters.
 */
export function splitKeys(input: string, key: Key): Keypress[] {
  if (input.length <= 1 || key.ctrl || key.meta || input.includes('\u001b')) return [[input, key]];
  return [...input].map((ch) => keypressOf(ch, key));
}

function keypressOf(ch: string, chunk: Key): Keypress {
  const key: Key = { ...chunk, return: false, tab: false, backspace: false, delete: false, shift: /[A-Z]/.test(ch) };
  if (ch === '\r') return ['', { ...key, return: true }];
  if (ch === '\t') return ['', { ...key, tab: true }];
  if (ch === '\u007f') return ['', { ...key, delete: true }];
  if (ch === '\b') return ['', { ...key, backspace: true }];
  // Other control characters are Ctrl+letter, as Ink reports them alone
  // (Ctrl-U arrives as "\x15": input "u" with ctrl).
  const code = ch.charCodeAt(0);
  if (code >= 1 && code <= 26 && ch !== '\n') return [String.fromCharCode(code + 96), { ...key, ctrl: true }];
  return [ch, key];
}

export function useAppInput(nav: Navigation, viewHandlers: Record<ViewName, KeyHandler>, actions: GlobalActions): void {
  const [queue, setQueue] = useState<Keypress[]>([]);
  useInput(useCallback((input: string, key: Key) => setQueue((q) => [...q, ...splitKeys(input, key)]), []));

  useLayoutEffect(() => {
    const next = queue[0];
    if (!next) return;
    const [input, key] = next;
    setQueue((q) => q.slice(1));
    if (viewHandlers[nav.view](input, key)) return;
    if (input === 'q') actions.quit();
    else if (key.tab) nav.next(key.shift ? -1 : 1);
    else if (input === '?') nav.toggleHelp();
    else if (key.escape) nav.back();
    else if (input === 'p') actions.togglePause();
    else if (input === 'r') actions.refresh();
    else if (input === 'd') actions.dump();
  }, [queue]);
}
