// Progress of a long job: bar, percent, bytes done of total, rate.
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { formatBytes, formatRate } from '../../util/format.js';
import { Styled } from '../theme.js';

export interface ProgressBarProps {
  done: number;
  total: number;
  /** Milliseconds the job has run, for the rate. */
  elapsedMs: number;
  width: number;
}

export function ProgressBar({ done, total, elapsedMs, width }: ProgressBarProps): ReactNode {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const text = ` ${(frac * 100).toFixed(0).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}  ${formatRate(done, elapsedMs / 1000)}`;
  const barWidth = Math.max(10, width - text.length - 2);
  const filled = Math.round(frac * barWidth);
  return (
    <Text>
      [<Styled tone="good">{'#'.repeat(filled)}</Styled>
      {'-'.repeat(barWidth - filled)}]{text}
    </Text>
  );
}
