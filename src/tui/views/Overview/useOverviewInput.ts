import { useCallback } from 'react';
import type { KeyHandler } from '../../input.js';
import { scrollKeys } from '../useScroll.js';
import type { OverviewState } from './useOverviewState.js';

export function useOverviewInput(state: OverviewState): KeyHandler {
  return useCallback(scrollKeys(state), [state.scroll, state.lineCount, state.height, state.setScroll]);
}
