import type { Key } from 'ink';
import { useCallback } from 'react';
import type { KeyHandler } from '../../input.js';
import { scrollKeys } from '../useScroll.js';
import type { StringsState } from './useStringsState.js';

export function useStringsInput(state: StringsState): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (state.draft !== null) {
        const done = state.draftField.apply(input, key);
        if (done) state.endGrep(done === 'accept');
        return true;
      }
      if (scrollKeys(state.scroll)(input, key)) return true;
      if (input === 'l') state.cycleFilter();
      else if (input === 'x') state.toggleRedact();
      else if (input === '/') state.startGrep();
      else if (key.escape && state.grep) state.clearGrep();
      else return false;
      return true;
    },
    [state],
  );
}
