import { useCallback } from 'react';
import type { KeyHandler } from '../../input.js';
import { scrollKeys } from '../useScroll.js';
import type { HelpState } from './useHelpState.js';

export function useHelpInput(state: HelpState): KeyHandler {
  return useCallback(scrollKeys(state), [state.scroll, state.lineCount, state.height, state.setScroll]);
}
