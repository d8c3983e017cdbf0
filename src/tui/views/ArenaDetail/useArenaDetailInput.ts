import { useCallback } from 'react';
import type { KeyHandler } from '../../input.js';
import { scrollKeys } from '../useScroll.js';
import type { ArenaDetailState } from './useArenaDetailState.js';

export function useArenaDetailInput(state: ArenaDetailState): KeyHandler {
  return useCallback(scrollKeys(state), [state.scroll, state.lineCount, state.height, state.setScroll]);
}
