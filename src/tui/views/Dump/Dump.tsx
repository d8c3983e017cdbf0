// Dump the selected arena heap or region to a file. Renders its props only.
import { Box, Text } from 'ink';
import { memo, type ReactNode } from 'react';
import { formatBytes, formatRate } from '../../../util/format.js';
import { ProgressBar } from '../../components/ProgressBar.js';
import type { DumpTarget } from '../../selection.js';
import { fit } from '../../text.js';
import { Styled } from '../../theme.js';
import type { DumpJob } from './useDumpState.js';

export interface DumpProps {
  selectionLabel: string;
  targets: DumpTarget[];
  chosen: number;
  path: string;
  draft: string | null;
  job: DumpJob;
  freeze: boolean;
  width: number;
  height: number;
}

function JobLines({ job, width }: { job: DumpJob; width: number }): ReactNode {
  if (job.phase === 'idle') return <Styled tone="muted">Enter starts the dump; e edits the path.</Styled>;
  if (job.phase === 'running') {
    return (
      <Box flexDirection="column">
        <Text wrap="truncate">{`dumping to ${job.path}`}</Text>
        <ProgressBar done={job.done} total={job.total} elapsedMs={job.at - job.startedAt} width={width} />
      </Box>
    );
  }
  if (job.phase === 'error') {
    return (
      <Text wrap="truncate">
        <Styled tone="bad">{`dump failed: ${job.message}`}</Styled>
      </Text>
    );
  }
  const r = job.record;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Styled tone="good" bold>
          wrote
        </Styled>
        {` ${r.path}`}
      </Text>
      <Text wrap="truncate">{`size ${formatBytes(r.size)} (${r.size} bytes) from ${r.start}-${r.end}, read ${formatBytes(r.bytesRead)}`}</Text>
      <Text wrap="truncate">{r.holes.length ? `holes ${r.holes.length} (${formatBytes(r.holeBytes)} unreadable, written as zeros)` : 'holes none'}</Text>
      <Text wrap="truncate">{`sha256 ${r.sha256}`}</Text>
      <Text wrap="truncate">{`${formatRate(r.size, r.durationMs / 1000)} in ${r.durationMs.toFixed(0)} ms; ${r.frozen ? `target stopped ${r.stoppedMs?.toFixed(1)} ms` : 'target not stopped'}`}</Text>
      <Text wrap="truncate">{`record ${fit(r.path + '.json', Math.max(10, width - 7))}`}</Text>
    </Box>
  );
}

export const Dump = memo(function Dump({ selectionLabel, targets, chosen, path, draft, job, freeze, width, height }: DumpProps): ReactNode {
  if (targets.length === 0) {
    return (
      <Text wrap="truncate">
        <Styled tone="muted">Nothing selected to dump: pick an arena (Arenas) or a region (Regions), then press d.</Styled>
      </Text>
    );
  }
  const listHeight = Math.max(1, Math.min(targets.length, height - 9));
  const start = Math.max(0, Math.min(chosen - Math.floor(listHeight / 2), targets.length - listHeight));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">{`Dump ${selectionLabel}${freeze ? ' (target stopped while reading: --freeze)' : ' (target keeps running)'}`}</Text>
      {targets.slice(start, start + listHeight).map((t, i) => {
        const selected = start + i === chosen;
        return (
          <Text key={t.start} wrap="truncate">
            <Styled tone={selected ? 'accent' : undefined} bold={selected}>
              {`${selected ? '› ' : '  '}${t.label}`}
            </Styled>
          </Text>
        );
      })}
      <Text wrap="truncate">
        {'file '}
        {draft !== null ? <Styled tone="accent" bold>{`${draft}_`}</Styled> : path}
      </Text>
      <Text> </Text>
      <JobLines job={job} width={width} />
    </Box>
  );
});
