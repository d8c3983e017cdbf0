// Fixed-width text helpers: the TUI lays out columns itself so every line fits
// the terminal exactly (Ink would wrap, and a wrapped line breaks the layout).

/** Cuts text to width characters, marking the cut with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return '…';
  return text.slice(0, width - 1) + '…';
}

export function padRight(text: string, width: number): string {
  const t = fit(text, width);
  return t + ' '.repeat(width - t.length);
}

export function padLeft(text: string, width: number): string {
  const t = fit(text, width);
  return ' '.repeat(width - t.length) + t;
}

/** Control characters and other non-printables would move the cursor: show them as dots. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '·');
}

/** "3m 05s", "42s", "1h 02m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function signedBytes(n: number, format: (n: number) => string): string {
  if (n === 0) return '0 B';
  return n > 0 ? `+${format(n)}` : format(n);
}

/** Splits text into lines of at most width characters at spaces (a longer word is cut). */
export function wrapWords(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > w) {
      out.push(line);
      line = '';
    }
    let wd = word;
    while (wd.length > w) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(wd.slice(0, w));
      wd = wd.slice(w);
    }
    line = line ? `${line} ${wd}` : wd;
  }
  if (line || out.length === 0) out.push(line);
  return out;
}
