// The terminal's size, following resizes. Callers may pin a size (tests, or a
// caller that knows better); otherwise it comes from Ink's stdout.
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export function useTerminalSize(pinned?: Partial<TerminalSize>): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => ({
    columns: pinned?.columns ?? (stdout.columns || 80),
    rows: pinned?.rows ?? (stdout.rows || 24),
  });
  const [size, setSize] = useState<TerminalSize>(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    onResize();
    return () => {
      stdout.off('resize', onResize);
    };
    // read depends only on stdout and the pinned values
  }, [stdout, pinned?.columns, pinned?.rows]);
  return size;
}
