import type { Key } from 'ink';
import { useCallback } from 'react';
import { moveCursor, type KeyHandler } from '../../input.js';
import type { ArenasState } from './useArenasState.js';

export interface ArenasActions {
  openArena(address: number): void;
}

export function useArenasInput(state: ArenasState, actions: ArenasActions, height: number): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      const moved = moveCursor(input, key, state.selected, state.rows.length, height);
      if (moved !== null) {
        state.select(moved);
        return true;
      }
      if (input === 's') {
        state.cycleSort();
        return true;
      }
      if (key.return) {
        if (state.selectedArena) actions.openArena(state.selectedArena.address);
        return true;
      }
      return false;
    },
    [state, actions, height],
  );
}
