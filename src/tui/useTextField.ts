// A single-line text field whose value is also kept in a ref: keys that
// arrive back to back (typing fast, a paste split by the parser, tmux
// send-keys) are applied to the latest text, not to the text of the last render.
import type { Key } from 'ink';
import { useCallback, useRef, useState } from 'react';
import { editText } from './input.js';

export interface TextField {
  value: string;
  set(text: string): void;
  /** Applies one key; returns how editing ended, or null while it goes on. */
  apply(input: string, key: Key): 'accept' | 'cancel' | null;
  /** The latest value, even before the next render. */
  current(): string;
}

export function useTextField(initial = ''): TextField {
  const [value, setValue] = useState(initial);
  const ref = useRef(initial);
  const set = useCallback((text: string) => {
    ref.current = text;
    setValue(text);
  }, []);
  const apply = useCallback(
    (input: string, key: Key) => {
      const edit = editText(ref.current, input, key);
      if (edit.text !== ref.current) set(edit.text);
      return edit.done;
    },
    [set],
  );
  const current = useCallback(() => ref.current, []);
  return { value, set, apply, current };
}
