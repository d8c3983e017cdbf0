// Every key, from the one key table, wrapped to the terminal width.
import { keyBindings } from '../../keys.js';
import { text, type Line } from '../../components/Lines.js';
import { viewTitles } from '../../navigation.js';
import { wrapWords } from '../../text.js';

const keyColumn = 18;

export function helpLines(width: number): Line[] {
  const lines: Line[] = [[text('Keys', 'accent', true)]];
  const actionWidth = Math.max(20, width - keyColumn - 1);
  for (const k of keyBindings) {
    const where = k.scope === 'global' ? '' : ` [${k.scope.map((v) => viewTitles[v]).join(', ')}]`;
    wrapWords(k.action + where, actionWidth).forEach((part, i) => {
      lines.push([text(i === 0 ? `  ${k.keys.padEnd(keyColumn - 2)}` : ' '.repeat(keyColumn), 'accent'), text(part)]);
    });
  }
  lines.push([]);
  lines.push([text('Reading the screens', 'accent', true)]);
  const notes = [
    'Fill bars and the heap map: █ in use, ▒ free (in bins or tcache), ░ top chunk, · not resident (reserved address space not yet mapped).',
    '* in Arenas marks the arenas holding the most resident memory or growing the most since the session started.',
    'Growth is resident memory gained since the first sample; "last" is since the previous sample.',
    'arenascope only reads the target; it stops it only with --freeze.',
  ];
  for (const n of notes) wrapWords(n, Math.max(20, width - 4)).forEach((part) => lines.push([text(`  ${part}`)]));
  return lines;
}
