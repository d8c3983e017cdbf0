import type { Key } from 'ink';
import { useCallback } from 'react';
import { editText, moveCursor, type KeyHandler } from '../../input.js';
import type { DumpState } from './useDumpState.js';

export function useDumpInput(state: DumpState, height: number): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (state.draft !== null) {
        const edit = editText(state.draft, input, key);
        state.setDraft(edit.text);
        if (edit.done) state.endEdit(edit.done === 'accept');
        return true;
      }
      if (state.job.phase === 'running') return false;
      const moved = moveCursor(input, key, state.chosen, state.targets.length, height);
      if (moved !== null) {
        state.choose(moved);
        return true;
      }
      if (input === 'e') state.startEdit();
      else if (key.return) state.start();
      else return false;
      return true;
    },
    [state, height],
  );
}
