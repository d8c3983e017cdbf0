// Number and address formatting shared by tables, JSON and the TUI.

export function hex(n: number): string {
  return '0x' + n.toString(16);
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 -> "1.5 KiB"; exact bytes below 1 KiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${neg ? '-' : ''}${s} ${units[u]}`;
}

/** Parses an address or length: hex (0x...), decimal, with an optional +LENGTH (gdb's form). */
export function parseAddressExpr(text: string): number | null {
  const t = text.trim();
  const plus = t.indexOf('+');
  if (plus > 0) {
    const a = parseAddressExpr(t.slice(0, plus));
    const b = parseAddressExpr(t.slice(plus + 1));
    return a === null || b === null ? null : a + b;
  }
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^[0-9]+$/.test(t)) v = parseInt(t, 10);
  else if (/^[0-9a-f]+$/i.test(t) && /[a-f]/i.test(t)) v = parseInt(t, 16);
  else return null;
  return Number.isSafeInteger(v) ? v : null;
}

export function formatRate(bytes: number, seconds: number): string {
  return seconds > 0 ? `${formatBytes(bytes / seconds)}/s` : '-';
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}
