import type { Key } from 'ink';
import { useCallback } from 'react';
import { isMovement, moveCursor, type KeyHandler } from '../../input.js';
import type { DumpState } from './useDumpState.js';

export function useDumpInput(state: DumpState, height: number): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (state.draft !== null) {
        const done = state.draftField.apply(input, key);
        if (done) state.endEdit(done === 'accept');
        return true;
      }
      if (state.job.phase === 'running') return false;
      if (isMovement(input, key)) {
        state.choose((c) => moveCursor(input, key, c, state.targets.length, height)!);
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
