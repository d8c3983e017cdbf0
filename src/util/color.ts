// Colour only on a TTY and never when NO_COLOR is set (https://no-color.org).
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR) return true;
  return Boolean(stream.isTTY);
}

const codes = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
export type Style = keyof typeof codes;

export function paint(text: string, style: Style, enabled = colorEnabled()): string {
  return enabled ? `\u001b[${codes[style]}m${text}\u001b[0m` : text;
}
