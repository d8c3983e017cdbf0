import type { Key } from 'ink';
import { useCallback } from 'react';
import { editText, type KeyHandler } from '../../input.js';
import { scrollKeys } from '../useScroll.js';
import type { StringsState } from './useStringsState.js';

export function useStringsInput(state: StringsState): KeyHandler {
  return useCallback(
    (input: string, key: Key) => {
      if (state.draft !== null) {
        const edit = editText(state.draft, input, key);
        state.setDraft(edit.text);
        if (edit.done) state.endGrep(edit.done === 'accept');
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
