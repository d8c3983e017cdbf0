// Colour policy for the TUI: colours and text styles only when NO_COLOR is
// unset or empty (https://no-color.org). With colour off every component
// still tells states apart by glyphs and markers, never by colour alone.
import { Text } from 'ink';
import { createContext, useContext, type ReactNode } from 'react';

export interface Theme {
  color: boolean;
}

export function colorAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

const ThemeContext = createContext<Theme>({ color: colorAllowed() });

export function ThemeProvider({ theme, children }: { theme: Theme; children: ReactNode }): ReactNode {
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

export type Tone = 'accent' | 'good' | 'warn' | 'bad' | 'muted' | 'used' | 'free' | 'top' | 'unmapped' | 'title';

const toneColor: Record<Tone, string> = {
  accent: 'cyan',
  good: 'green',
  warn: 'yellow',
  bad: 'red',
  muted: 'gray',
  used: 'green',
  free: 'yellow',
  top: 'blue',
  unmapped: 'gray',
  title: 'magenta',
};

export interface StyledProps {
  tone?: Tone;
  bold?: boolean;
  inverse?: boolean;
  children?: ReactNode;
}

/** Text that carries colour and emphasis only when the theme allows it. */
export function Styled({ tone, bold, inverse, children }: StyledProps): ReactNode {
  const { color } = useTheme();
  if (!color) return <Text>{children}</Text>;
  return (
    <Text color={tone ? toneColor[tone] : undefined} bold={bold} inverse={inverse}>
      {children}
    </Text>
  );
}
