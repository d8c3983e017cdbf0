import type { Key } from 'ink';
import { useCallback } from 'react';
import { isMovement, moveCursor, type KeyHandler } from '../../input.js';
import type { RegionsState } from './useRegionsState.js';

export interface RegionsActions {
  /** Enter on a region that belongs to an arena. */
  openArena(address: number): void;
}

export function useRegionsInput(state: RegionsState, actions: RegionsActions, height: number): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (state.editing) {
        const done = state.filter.apply(input, key);
        if (done) state.endFilter(done === 'accept');
        return true;
      }
      if (isMovement(input, key)) {
        state.cursor.move((i) => moveCursor(input, key, i, state.rows.length, height)!);
        return true;
      }
      if (input === 's') state.cycleSort();
      else if (input === 't') state.cycleKind();
      else if (input === '/') state.startFilter();
      else if (key.return) {
        const arena = state.rows[state.cursor.current()]?.arena ?? null;
        if (arena !== null) actions.openArena(arena);
      } else if (key.escape && (state.filter.value || state.kind)) {
        // Esc first clears the filters; a second Esc goes back.
        state.clearFilters();
      } else return false;
      return true;
    },
    [state, actions, height],
  );
}
