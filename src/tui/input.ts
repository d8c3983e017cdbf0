// Keyboard plumbing. One Ink useInput handler (in useAppInput) routes every
// key: first to the active view's handler, then to the global keys. A view
// handler returns true when it consumed the key; while a view is editing text
// it consumes everything, so typing "q" into a filter never quits.
import type { Key } from 'ink';

export type KeyHandler = (input: string, key: Key) => boolean;

export const ignoreKeys: KeyHandler = () => false;

export function isDown(input: string, key: Key): boolean {
  return key.downArrow || input === 'j';
}

export function isUp(input: string, key: Key): boolean {
  return key.upArrow || input === 'k';
}

/** Page size for PgUp/PgDn: a screenful less one line of context. */
export function pageStep(height: number): number {
  return Math.max(1, height - 1);
}

/** Moves a cursor with j/k, arrows, PgUp/PgDn, g/G (Home/End); returns null when the key is not a movement. */
export function moveCursor(input: string, key: Key, index: number, count: number, height: number): number | null {
  const last = Math.max(0, count - 1);
  let next: number;
  if (isDown(input, key)) next = index + 1;
  else if (isUp(input, key)) next = index - 1;
  else if (key.pageDown) next = index + pageStep(height);
  else if (key.pageUp) next = index - pageStep(height);
  else if (key.home || input === 'g') next = 0;
  else if (key.end || input === 'G') next = last;
  else return null;
  return Math.min(last, Math.max(0, next));
}

export interface TextEdit {
  text: string;
  done: 'accept' | 'cancel' | null;
}

/**
 * One key applied to a single-line text field: printable input appends (a
 * paste arrives as one string), Backspace/Delete remove the last character,
 * Ctrl-U clears, Enter accepts, Esc cancels.
 */
export function editText(text: string, input: string, key: Key): TextEdit {
  if (key.return) return { text, done: 'accept' };
  if (key.escape) return { text, done: 'cancel' };
  if (key.backspace || key.delete) return { text: text.slice(0, -1), done: null };
  if (key.ctrl && input === 'u') return { text: '', done: null };
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return { text, done: null };
  const clean = input.replace(/[\u0000-\u001f\u007f]/g, '');
  return { text: text + clean, done: null };
}

/** Whether moveCursor would treat the key as a movement. */
export function isMovement(input: string, key: Key): boolean {
  return moveCursor(input, key, 0, 2, 2) !== null;
}
