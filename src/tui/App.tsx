// The interactive session: samples the target, keeps each view's state, routes
// keys, and lays out header, view and status line to the terminal's size.
import { Box, Text, useApp } from 'ink';
import { memo, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ArenaSnapshot } from '../model/snapshot.js';
import { Header, headerHeight } from './components/Header.js';
import type { HeapMapData } from './components/HeapMap.js';
import type { KeyHandler } from './input.js';
import { hintsFor } from './keys.js';
import { useNavigation, type ViewName } from './navigation.js';
import { arenaGrowth } from './sampling/growth.js';
import { CpuMeter } from './sampling/budget.js';
import { heapMapFromCells } from './sampling/heapMapCells.js';
import { useAdvice } from './sampling/useAdvice.js';
import { useProcessSampler, type SamplerOptions, type SamplerState } from './sampling/useProcessSampler.js';
import type { ScanFunction } from './sampling/useStringScan.js';
import { describeSelection, selectionOfArena, selectionOfRegion, type TargetSelection } from './selection.js';
import { Styled, ThemeProvider, colorAllowed, type Theme } from './theme.js';
import { useAppInput } from './useAppInput.js';
import { useStableValue } from './useStableValue.js';
import { useTerminalSize, type TerminalSize } from './useTerminalSize.js';
import { ArenaDetail } from './views/ArenaDetail/ArenaDetail.js';
import { useArenaDetailInput } from './views/ArenaDetail/useArenaDetailInput.js';
import { useArenaDetailState } from './views/ArenaDetail/useArenaDetailState.js';
import { Arenas } from './views/Arenas/Arenas.js';
import { useArenasInput } from './views/Arenas/useArenasInput.js';
import { useArenasState } from './views/Arenas/useArenasState.js';
import { Dump } from './views/Dump/Dump.js';
import { useDumpInput } from './views/Dump/useDumpInput.js';
import { useDumpState, type DumpFunction } from './views/Dump/useDumpState.js';
import { Help } from './views/Help/Help.js';
import { useHelpInput } from './views/Help/useHelpInput.js';
import { useHelpState } from './views/Help/useHelpState.js';
import { Overview } from './views/Overview/Overview.js';
import { useOverviewInput } from './views/Overview/useOverviewInput.js';
import { useOverviewState } from './views/Overview/useOverviewState.js';
import { Regions } from './views/Regions/Regions.js';
import { useRegionsInput } from './views/Regions/useRegionsInput.js';
import { useRegionsState } from './views/Regions/useRegionsState.js';
import { Strings } from './views/Strings/Strings.js';
import { useStringsInput } from './views/Strings/useStringsInput.js';
import { useStringsState } from './views/Strings/useStringsState.js';

export interface AppProps {
  pid: number;
  intervalSeconds: number;
  /** Stop the target while sampling and dumping (--freeze); never automatic. */
  freeze: boolean;
  /** Share of one core the periodic work (samples, the Overview's advice) may use; defaultCpuBudget unless given. */
  cpuBudget?: number;
  /** Pin the terminal size instead of following stdout. */
  size?: Partial<TerminalSize>;
  theme?: Theme;
  initialView?: ViewName;
  /** Seams for callers that bring their own engine functions; the real ones by default. */
  sample?: SamplerOptions['sample'];
  scanStrings?: ScanFunction;
  dump?: DumpFunction;
}

export const minColumns = 60;
export const minRows = 12;

/** The arena's heap map, from the cells its walk built (the sample asks for the detail arena's). */
export function heapMapOf(arena: ArenaSnapshot | null): HeapMapData | undefined {
  if (!arena?.heapMap) return undefined;
  return heapMapFromCells(arena.heapMap, arena.heaps.reduce((s, h) => s + h.reserved, 0));
}

export function App(props: AppProps): ReactNode {
  return (
    <ThemeProvider theme={props.theme ?? { color: colorAllowed() }}>
      <Session {...props} />
    </ThemeProvider>
  );
}

function Session({ pid, intervalSeconds, freeze, cpuBudget, size: pinnedSize, initialView, sample, scanStrings, dump }: AppProps): ReactNode {
  const { exit } = useApp();
  const size = useTerminalSize(pinnedSize);
  const width = size.columns;
  // One line less than the terminal: a frame as tall as the screen makes Ink clear and redraw it whole.
  const bodyHeight = Math.max(3, size.rows - 1 - headerHeight - 1);

  const nav = useNavigation(initialView);
  const [paused, setPaused] = useState(false);
  const inDetail = nav.view === 'arenaDetail';
  // Eight rows of cells across the detail view's width.
  const heapMapCells = Math.max(10, width - 2) * 8;
  const [detailAddress, setDetailAddress] = useState<number | null>(null);
  // One budget for the session's periodic work: the advice's CPU is paid for by the samples' pace.
  const [meter] = useState(() => new CpuMeter());
  const sampler = useProcessSampler(pid, intervalSeconds, paused, {
    freeze,
    detail: inDetail,
    ...(inDetail && detailAddress !== null ? { heapMap: { arena: detailAddress, cells: heapMapCells } } : {}),
    cpuBudget,
    meter,
    sample,
  });
  const snapshot = sampler.current;
  const advice = useAdvice(pid, nav.view === 'overview', { cpuBudget, meter });

  // Views' state lives here so it survives switching views.
  const regions = useRegionsState(snapshot?.regions ?? []);
  const arenas = useArenasState(snapshot, sampler.first, sampler.previous);
  const detailArena = snapshot?.malloc?.arenas.find((a) => a.address === detailAddress) ?? null;
  const detailGrowth = useMemo(
    () => (snapshot && detailAddress !== null ? (arenaGrowth(sampler.first, sampler.previous, snapshot).get(detailAddress) ?? null) : null),
    [snapshot, sampler.first, sampler.previous, detailAddress],
  );

  // The selection for Strings and Dump: the cursor of the list used last.
  const [lastList, setLastList] = useState<'arenas' | 'regions' | 'arenaDetail' | null>(null);
  useEffect(() => {
    if (nav.view === 'arenas' || nav.view === 'regions' || nav.view === 'arenaDetail') setLastList(nav.view);
  }, [nav.view]);
  const selection = useStableValue<TargetSelection | null>(
    lastList === 'arenas' && arenas.selectedArena
      ? selectionOfArena(arenas.selectedArena)
      : lastList === 'arenaDetail' && detailArena
        ? selectionOfArena(detailArena)
        : lastList === 'regions' && regions.selectedRegion
          ? selectionOfRegion(regions.selectedRegion)
          : null,
  );

  const overviewInput = useMemo(
    () => (snapshot ? { snapshot, first: sampler.first, previous: sampler.previous, cgroup: sampler.cgroup, advice, width } : null),
    [snapshot, sampler.first, sampler.previous, sampler.cgroup, advice, width],
  );
  const overview = useOverviewState(overviewInput, bodyHeight);
  const heapMap = useMemo(() => heapMapOf(detailArena), [detailArena]);
  const detailInput = useMemo(
    () => (detailArena ? { arena: detailArena, growth: detailGrowth, heapMap, width } : null),
    [detailArena, detailGrowth, heapMap, width],
  );
  const detail = useArenaDetailState(detailInput, bodyHeight);
  const strings = useStringsState(pid, selection, nav.view === 'strings', width, bodyHeight, scanStrings);
  const dumpState = useDumpState(pid, selection, freeze, dump);
  const help = useHelpState(width, bodyHeight);

  const openArena = useCallback(
    (address: number) => {
      setDetailAddress(address);
      arenas.cursor.moveToKey(address);
      nav.go('arenaDetail');
    },
    [arenas, nav],
  );
  const listActions = useMemo(() => ({ openArena }), [openArena]);

  const handlers: Record<ViewName, KeyHandler> = {
    overview: useOverviewInput(overview),
    regions: useRegionsInput(regions, listActions, bodyHeight - 2),
    arenas: useArenasInput(arenas, listActions, bodyHeight - 3),
    arenaDetail: useArenaDetailInput(detail),
    strings: useStringsInput(strings),
    dump: useDumpInput(dumpState, bodyHeight),
    help: useHelpInput(help),
  };

  useAppInput(nav, handlers, {
    quit: exit,
    togglePause: () => setPaused((p) => !p),
    refresh: () => {
      sampler.refresh();
      if (nav.view === 'strings') strings.rescan();
    },
    dump: () => nav.go('dump'),
  });

  const hints = useMemo(() => hintsFor(nav.view), [nav.view]);

  if (width < minColumns || size.rows < minRows) {
    return <Text>{`terminal too small: ${width}x${size.rows}, arenascope needs ${minColumns}x${minRows}`}</Text>;
  }

  let body: ReactNode;
  if (!snapshot) {
    body = sampler.error ? null : <Text>{`sampling pid ${pid}…`}</Text>;
  } else if (nav.view === 'overview') {
    body = <Overview lines={overview.lines} scroll={overview.scroll} height={bodyHeight} />;
  } else if (nav.view === 'regions') {
    body = (
      <Regions
        rows={regions.rows}
        total={regions.total}
        selected={regions.selected}
        sort={regions.sort}
        kind={regions.kind}
        filter={regions.filter.value}
        editing={regions.editing}
        thp={regions.thp}
        width={width}
        height={bodyHeight}
      />
    );
  } else if (nav.view === 'arenas') {
    const unavailable = snapshot.malloc ? null : (snapshot.mallocError ?? `allocator is ${snapshot.allocator.allocator}`);
    body = <Arenas rows={arenas.rows} selected={arenas.selected} sort={arenas.sort} unavailable={unavailable} width={width} height={bodyHeight} />;
  } else if (nav.view === 'arenaDetail') {
    body = <ArenaDetail lines={detail.lines} address={detailAddress ?? 0} scroll={detail.scroll} height={bodyHeight} />;
  } else if (nav.view === 'strings') {
    body = (
      <Strings
        target={describeSelection(selection)}
        scan={strings.scan}
        lines={strings.lines}
        filter={strings.filter}
        grep={strings.grep}
        draft={strings.draft}
        redact={strings.redact}
        scroll={strings.scroll.scroll}
        width={width}
        height={bodyHeight}
      />
    );
  } else if (nav.view === 'dump') {
    body = (
      <Dump
        selectionLabel={describeSelection(selection)}
        targets={dumpState.targets}
        chosen={dumpState.chosen}
        path={dumpState.path}
        draft={dumpState.draft}
        job={dumpState.job}
        freeze={freeze}
        width={width}
        height={bodyHeight}
      />
    );
  } else {
    body = <Help lines={help.lines} scroll={help.scroll} height={bodyHeight} />;
  }

  return (
    <Box flexDirection="column" width={width}>
      <Header
        pid={pid}
        comm={snapshot?.comm ?? ''}
        view={nav.view}
        tabView={nav.tabView}
        paused={paused}
        freeze={freeze}
        gone={sampler.gone}
        busy={sampler.busy}
        intervalSeconds={intervalSeconds}
        hints={hints}
        width={width}
      />
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        {body}
      </Box>
      <StatusLine sampler={sampler} pid={pid} paused={paused} />
    </Box>
  );
}

const StatusLine = memo(function StatusLine({ sampler, pid, paused }: { sampler: SamplerState; pid: number; paused: boolean }): ReactNode {
  if (sampler.gone) {
    return (
      <Text wrap="truncate">
        <Styled tone="bad" bold>{`pid ${pid} has exited${sampler.current ? '; showing its last snapshot' : ''}. q quits.`}</Styled>
      </Text>
    );
  }
  if (sampler.error) {
    return (
      <Text wrap="truncate">
        <Styled tone="bad">{`sampling failed (${sampler.error.code}): ${sampler.error.message}`}</Styled>
      </Text>
    );
  }
  const s = sampler.current;
  if (!s) return <Text> </Text>;
  const at = new Date(s.takenAt).toTimeString().slice(0, 8);
  const took = sampler.lastDurationMs === null ? '' : ` in ${sampler.lastDurationMs.toFixed(0)} ms`;
  // In the warning tone: sampling runs slower than the operator asked for.
  const slowed = !paused && sampler.slowdown ? sampler.slowdown : null;
  return (
    <Text wrap="truncate">
      <Styled tone="muted">{`sample ${sampler.samples} at ${at}${took}`}</Styled>
      {slowed ? <Styled tone="warn">{` · ${slowed}`}</Styled> : null}
      <Styled tone="muted">{`${paused ? ' · paused: r samples once, p resumes' : ''}${s.malloc ? '' : ` · arenas: ${s.mallocError ?? 'unavailable'}`}`}</Styled>
    </Text>
  );
});
