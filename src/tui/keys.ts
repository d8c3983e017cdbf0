// Every key of the TUI, in one table: the Help view lists it and the header
// shows the hints of the view in front.
import type { ViewName } from './navigation.js';

export interface KeyBinding {
  keys: string;
  action: string;
  /** Views where the key does something; 'global' for everywhere. */
  scope: 'global' | ViewName[];
  /** Short form for the header hint line; omitted keys only appear in Help. */
  hint?: string;
}

export const keyBindings: KeyBinding[] = [
  { keys: 'Tab / Shift-Tab', action: 'next / previous view (Overview, Regions, Arenas, Strings, Dump)', scope: 'global', hint: 'Tab view' },
  { keys: '↑ ↓  j k', action: 'move the cursor or scroll', scope: 'global' },
  { keys: 'PgUp PgDn  g G', action: 'page up / down, first / last row', scope: 'global' },
  { keys: 'Enter', action: 'open the arena under the cursor (Arenas; arena heaps in Regions); start the dump (Dump)', scope: ['arenas', 'regions', 'dump'], hint: '⏎ open' },
  { keys: 'Esc', action: 'back to the previous view; cancel text entry', scope: 'global', hint: 'Esc back' },
  { keys: '/', action: 'filter: type text, Enter keeps it, Esc clears it', scope: ['regions', 'strings'], hint: '/ filter' },
  { keys: 's', action: 'cycle the sort order (Regions: addr, size, rss; Arenas: rss, growth, free, addr)', scope: ['regions', 'arenas'], hint: 's sort' },
  { keys: 't', action: 'cycle the region kind shown (all, main-heap, arena-heap, ...)', scope: ['regions'], hint: 't kind' },
  { keys: 'l', action: 'strings from all chunks, live (in use) chunks only, or free chunks only', scope: ['strings'], hint: 'l live/free' },
  { keys: 'x', action: 'redact secrets (password=, tokens, keys) in the strings shown', scope: ['strings'], hint: 'x redact' },
  { keys: 'e', action: 'edit the output file path', scope: ['dump'], hint: 'e path' },
  { keys: 'd', action: 'dump the selected arena or region to a file', scope: 'global', hint: 'd dump' },
  { keys: 'r', action: 'refresh now (and rescan strings in Strings)', scope: 'global', hint: 'r refresh' },
  { keys: 'p', action: 'pause / resume sampling', scope: 'global', hint: 'p pause' },
  { keys: '?', action: 'show or hide this help', scope: 'global', hint: '? help' },
  { keys: 'q  Ctrl-C', action: 'quit (the demo target ends too)', scope: 'global', hint: 'q quit' },
];

/** Global hints in the order they stay visible when the line is cut at the terminal's width. */
const globalHintOrder = ['? help', 'q quit', 'Tab view', 'Esc back', 'p pause', 'r refresh', 'd dump'];

/** Hints for the header: the view's own keys first, then the global ones, help and quit leading. */
export function hintsFor(view: ViewName): string[] {
  const own = keyBindings.filter((b) => b.hint && b.scope !== 'global' && b.scope.includes(view)).map((b) => b.hint!);
  const global = keyBindings.filter((b) => b.hint && b.scope === 'global').map((b) => b.hint!);
  global.sort((a, b) => globalHintOrder.indexOf(a) - globalHintOrder.indexOf(b));
  return [...own, ...global];
}
