#!/usr/bin/env node
// Writes seed inputs for the grep fuzzer (native/fuzz/fuzz_grep.cc): patterns
// an operator might write, each with texts that match and miss, so fuzzing
// starts from valid regexes (brackets, ranges, repeats, anchors, case folding)
// instead of waiting for random bytes to close a bracket.
//
//   node scripts/fuzz/grep-seeds.mjs [--out test/fuzz-corpus/grep]
//
// Input format (fuzz_grep.cc): u8 flags (bit 0: ignore case), u8 pattern
// length, one byte per pattern character (its index in the harness's pattern
// alphabet), then text characters (indexes in the text alphabet) with 0xff
// between texts. The alphabets below must equal the harness's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const patternAlphabet = 'abAB: =.|*+?()[]{},^$\\-0123dwsbBx';
const textAlphabet = 'abAB: =.()[]{},-0123_dx\t';

const seeds = [
  ['[a-b]+:', false, ['ab:', 'AB:', 'x:']],
  ['[a-b]+:', true, ['AB:', 'x:']],
  ['[^a-]{1,2}=', true, ['A=', 'x=', 'b=']],
  ['^a.*b$', false, ['axxb', 'xab', 'ab']],
  ['(a|B)+x?$', true, ['aBbx', 'b', '0']],
  ['\\d{2,}\\w\\s', false, ['12a\t', '1a ']],
  ['[\\d-]x|b{0,1}A', false, ['-x', 'A', 'bb']],
  ['(?:ab|a)*B$', true, ['ababb', 'x']],
  ['a{3}|(0[1-3])+', false, ['aaa', '0203', 'aa']],
  ['\\.\\(|[.(]{2}', false, ['.(', '((', '.']],
  ['[B-a]', true, ['_', 'b', '0']],
  ['$|^', false, ['', 'a']],
  ['\\ba\\B|b\\b$', false, ['ab', 'a b', 'ab ']],
  ['\\b(A|b)+\\b', true, ['x a x', 'ab', '_a']],
];

const here = dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(here, '..', '..', 'test', 'fuzz-corpus', 'grep');
mkdirSync(out, { recursive: true });

function indexesIn(alphabet, text) {
  return [...text].map((c) => {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`'${c}' is not in the alphabet ${JSON.stringify(alphabet)}`);
    return i;
  });
}

seeds.forEach(([pattern, ignoreCase, texts], n) => {
  const bytes = [ignoreCase ? 1 : 0, pattern.length, ...indexesIn(patternAlphabet, pattern)];
  texts.forEach((t, k) => bytes.push(...(k > 0 ? [0xff] : []), ...indexesIn(textAlphabet, t)));
  writeFileSync(join(out, `seed-${String(n).padStart(2, '0')}`), Buffer.from(bytes));
});
console.log(`grep-seeds: ${seeds.length} seeds in ${out}`);
