// Line-oriented screens (Overview, Arena detail, Help): the state hook builds
// an array of lines, the view shows the window the scroll offset selects.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { Styled, type Tone } from '../theme.js';

export type Segment = { text: string; tone?: Tone; bold?: boolean } | { node: ReactNode };
export type Line = Segment[];

export function text(t: string, tone?: Tone, bold?: boolean): Segment {
  return { text: t, tone, bold };
}

export function node(n: ReactNode): Segment {
  return { node: n };
}

/** The first visible line, clamped so the window never runs past the end. */
export function clampScroll(scroll: number, count: number, height: number): number {
  return Math.max(0, Math.min(scroll, count - height));
}

export interface ScrollLinesProps {
  lines: Line[];
  scroll: number;
  height: number;
}

export function ScrollLines({ lines, scroll, height }: ScrollLinesProps): ReactNode {
  const overflow = lines.length > height;
  const visible = overflow ? Math.max(1, height - 1) : height;
  const start = clampScroll(scroll, lines.length, visible);
  const shown = lines.slice(start, start + visible);
  return (
    <Box flexDirection="column">
      {shown.map((line, i) => (
        <Text key={start + i} wrap="truncate">
          {line.length === 0 ? ' ' : null}
          {line.map((seg, j) =>
            'node' in seg ? (
              <Text key={j}>{seg.node}</Text>
            ) : (
              <Styled key={j} tone={seg.tone} bold={seg.bold}>
                {seg.text}
              </Styled>
            ),
          )}
        </Text>
      ))}
      {overflow ? (
        <Text wrap="truncate">
          <Styled tone="muted">{`  lines ${start + 1}-${start + shown.length} of ${lines.length} (j/k to scroll)`}</Styled>
        </Text>
      ) : null}
    </Box>
  );
}
