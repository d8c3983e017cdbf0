// Strings found in the selected arena or region. Renders its props only.
import { Box, Text } from 'ink';
import { memo, type ReactNode } from 'react';
import type { ChunkFilter } from '../../../model/strings.js';
import { formatBytes } from '../../../util/format.js';
import { ScrollLines, type Line } from '../../components/Lines.js';
import { ProgressBar } from '../../components/ProgressBar.js';
import type { StringScanState } from '../../sampling/useStringScan.js';
import { Styled } from '../../theme.js';
import { stringsHeaderLines } from './useStringsState.js';

export interface StringsProps {
  target: string;
  scan: StringScanState;
  /** The result as lines (useStringsState builds them once per result). */
  lines: Line[];
  filter: ChunkFilter;
  grep: string;
  draft: string | null;
  redact: boolean;
  scroll: number;
  width: number;
  height: number;
}

const filterText: Record<ChunkFilter, string> = { all: 'all chunks', live: 'live chunks only', free: 'free chunks only' };

function statusLine({ scan, width }: StringsProps): ReactNode {
  if (scan.running) {
    if (scan.progress) {
      return (
        <Text>
          <Styled tone="accent">scanning </Styled>
          <ProgressBar done={scan.progress.done} total={scan.progress.total} elapsedMs={scan.progress.at - (scan.startedAt ?? scan.progress.at)} width={Math.max(20, width - 9)} />
        </Text>
      );
    }
    return <Styled tone="accent">scanning…</Styled>;
  }
  if (scan.error) return <Styled tone="bad">{`scan failed: ${scan.error.message}`}</Styled>;
  const r = scan.result;
  if (!r) return <Styled tone="muted">no scan yet</Styled>;
  return (
    <Text>
      {`scanned ${formatBytes(r.scanned.bytes)} in ${r.scanned.ranges.length} range(s), ${r.stringsFound} strings, ${r.durationMs.toFixed(0)} ms`}
      {r.approximate ? <Styled tone="warn"> (approximate counts: too many distinct strings)</Styled> : null}
    </Text>
  );
}

export const Strings = memo(function Strings(props: StringsProps): ReactNode {
  const { target, lines, filter, grep, draft, redact, scroll, height } = props;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {`Strings in ${target} · ${filterText[filter]} · redact ${redact ? 'on' : 'off'} · `}
        {draft !== null ? <Styled tone="accent" bold>{`filter /${draft}_`}</Styled> : `filter ${grep ? '/' + grep : '-'}`}
      </Text>
      <Text wrap="truncate">{statusLine(props)}</Text>
      <Text> </Text>
      <ScrollLines lines={lines} scroll={scroll} height={Math.max(1, height - stringsHeaderLines)} />
    </Box>
  );
});
