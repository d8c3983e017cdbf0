// Which view is in front, and how Tab, Esc and Enter move between views.
import { useCallback, useState } from 'react';

export type ViewName = 'overview' | 'regions' | 'arenas' | 'arenaDetail' | 'strings' | 'dump' | 'help';

/** The Tab cycle; arena detail belongs to Arenas and Help sits outside the cycle. */
export const tabViews: ViewName[] = ['overview', 'regions', 'arenas', 'strings', 'dump'];

export const viewTitles: Record<ViewName, string> = {
  overview: 'Overview',
  regions: 'Regions',
  arenas: 'Arenas',
  arenaDetail: 'Arena detail',
  strings: 'Strings',
  dump: 'Dump',
  help: 'Help',
};

export interface Navigation {
  view: ViewName;
  /** The view Tab counts from (arena detail counts as Arenas; Help as the view under it). */
  tabView: ViewName;
  go(view: ViewName): void;
  back(): void;
  next(step: 1 | -1): void;
  toggleHelp(): void;
}

interface NavState {
  view: ViewName;
  history: ViewName[];
}

function tabAnchor(state: NavState): ViewName {
  let v = state.view;
  for (let i = state.history.length - 1; v === 'help' && i >= 0; i--) v = state.history[i]!;
  if (v === 'arenaDetail') return 'arenas';
  return tabViews.includes(v) ? v : 'overview';
}

export function useNavigation(initial: ViewName = 'overview'): Navigation {
  const [state, setState] = useState<NavState>({ view: initial, history: [] });

  const go = useCallback((view: ViewName) => {
    setState((s) => (s.view === view ? s : { view, history: [...s.history.slice(-20), s.view] }));
  }, []);
  const back = useCallback(() => {
    setState((s) => {
      if (s.history.length === 0) return s.view === 'overview' ? s : { view: 'overview', history: [] };
      return { view: s.history[s.history.length - 1]!, history: s.history.slice(0, -1) };
    });
  }, []);
  const next = useCallback((step: 1 | -1) => {
    setState((s) => {
      const i = tabViews.indexOf(tabAnchor(s));
      const view = tabViews[(i + step + tabViews.length) % tabViews.length]!;
      return { view, history: [...s.history.slice(-20), s.view] };
    });
  }, []);
  const toggleHelp = useCallback(() => {
    setState((s) => {
      if (s.view === 'help') return { view: s.history[s.history.length - 1] ?? 'overview', history: s.history.slice(0, -1) };
      return { view: 'help', history: [...s.history.slice(-20), s.view] };
    });
  }, []);

  return { view: state.view, tabView: tabAnchor(state), go, back, next, toggleHelp };
}
