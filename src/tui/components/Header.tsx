// Top of every screen: who is being watched, the view in front, whether
// sampling runs, and the keys that work here.
import { Box, Text } from 'ink';
import { memo, type ReactNode } from 'react';
import { tabViews, viewTitles, type ViewName } from '../navigation.js';
import { fit } from '../text.js';
import { Styled } from '../theme.js';

export interface HeaderProps {
  pid: number;
  comm: string;
  view: ViewName;
  tabView: ViewName;
  paused: boolean;
  freeze: boolean;
  gone: boolean;
  busy: boolean;
  intervalSeconds: number;
  hints: string[];
  width: number;
}

function samplingState(p: HeaderProps): { text: string; tone: 'good' | 'warn' | 'bad' } {
  if (p.gone) return { text: 'TARGET GONE', tone: 'bad' };
  if (p.paused) return { text: 'PAUSED', tone: 'warn' };
  return { text: `${p.busy ? '◆' : '◇'} every ${p.intervalSeconds}s${p.freeze ? ' (freeze)' : ''}`, tone: 'good' };
}

export const Header = memo(function Header(props: HeaderProps): ReactNode {
  const { pid, comm, view, tabView, width, hints } = props;
  const state = samplingState(props);
  const left = `arenascope · pid ${pid} ${comm} · ${viewTitles[view]}`;
  const gap = Math.max(1, width - left.length - state.text.length);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Styled tone="title" bold>
          {fit(left, Math.max(10, width - state.text.length - 1))}
        </Styled>
        {' '.repeat(gap)}
        <Styled tone={state.tone} bold>
          {state.text}
        </Styled>
      </Text>
      <Text wrap="truncate">
        {tabViews.map((v) => {
          const current = v === tabView;
          return (
            <Text key={v}>
              {current ? '[' : ' '}
              <Styled tone={current ? 'accent' : 'muted'} bold={current}>
                {viewTitles[v]}
              </Styled>
              {current ? ']' : ' '}
            </Text>
          );
        })}
        {view === 'arenaDetail' || view === 'help' ? <Styled tone="accent"> › {viewTitles[view]}</Styled> : null}
      </Text>
      <Text wrap="truncate">
        <Styled tone="muted">{fit(hints.join('  '), width)}</Styled>
      </Text>
    </Box>
  );
});

export const headerHeight = 3;
