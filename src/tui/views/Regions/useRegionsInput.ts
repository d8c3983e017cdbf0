import type { Key } from 'ink';
import { useCallback } from 'react';
import { editText, moveCursor, type KeyHandler } from '../../input.js';
import type { RegionsState } from './useRegionsState.js';

export interface RegionsActions {
  /** Enter on a region that belongs to an arena. */
  openArena(address: number): void;
}

export function useRegionsInput(state: RegionsState, actions: RegionsActions, height: number): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (state.editing) {
        const edit = editText(state.filter, input, key);
        state.setFilter(edit.text);
        if (edit.done) state.endFilter(edit.done === 'accept');
        return true;
      }
      const moved = moveCursor(input, key, state.selected, state.rows.length, height);
      if (moved !== null) {
        state.select(moved);
        return true;
      }
      if (input === 's') state.cycleSort();
      else if (input === 't') state.cycleKind();
      else if (input === '/') state.startFilter();
      else if (key.return) {
        const arena = state.selectedRegion?.arena ?? null;
        if (arena === null) return true;
        actions.openArena(arena);
      } else if (key.escape && (state.filter || state.kind)) {
        // Esc first clears the filter; a second Esc goes back.
        state.endFilter(false);
      } else return false;
      return true;
    },
    [state, actions, height],
  );
}
