import type { Key } from 'ink';
import { useCallback } from 'react';
import { isMovement, moveCursor, type KeyHandler } from '../../input.js';
import type { ArenasState } from './useArenasState.js';

export interface ArenasActions {
  openArena(address: number): void;
}

export function useArenasInput(state: ArenasState, actions: ArenasActions, height: number): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (isMovement(input, key)) {
        state.cursor.move((i) => moveCursor(input, key, i, state.rows.length, height)!);
        return true;
      }
      if (input === 's') {
        state.cycleSort();
        return true;
      }
      if (key.return) {
        const row = state.rows[state.cursor.current()];
        if (row) actions.openArena(row.arena.address);
        return true;
      }
      return false;
    },
    [state, actions, height],
  );
}
