// Scroll offset for the line-oriented views, with the movement keys.
import type { Key } from 'ink';
import { useCallback, useState } from 'react';
import { isMovement, moveCursor, type KeyHandler } from '../input.js';
import { clampScroll } from '../components/Lines.js';

export interface ScrollState {
  scroll: number;
  lineCount: number;
  /** Lines of content the window shows. */
  height: number;
  setScroll(update: (s: number) => number): void;
}

export function useScroll(lineCount: number, height: number): ScrollState {
  const [scroll, setScrollRaw] = useState(0);
  // The window shows height-1 lines when it overflows (the last line is the position).
  const visible = lineCount > height ? Math.max(1, height - 1) : height;
  const clamped = clampScroll(scroll, lineCount, visible);
  const setScroll = useCallback(
    (update: (s: number) => number) => setScrollRaw((s) => clampScroll(update(clampScroll(s, lineCount, visible)), lineCount, visible)),
    [lineCount, visible],
  );
  return { scroll: clamped, lineCount, height: visible, setScroll };
}

/** j/k, arrows, PgUp/PgDn, g/G scroll the window by lines. */
export function scrollKeys(state: ScrollState): KeyHandler {
  return (input: string, key: Key) => {
    if (!isMovement(input, key)) return false;
    const firstLines = Math.max(0, state.lineCount - state.height) + 1;
    state.setScroll((s) => moveCursor(input, key, s, firstLines, state.height)!);
    return true;
  };
}
