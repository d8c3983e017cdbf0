// The installed package's root directory (where package.json, build/ and
// demo/ are), found from a module's own URL. Modules run from dist/ (tsc
// output, one file per module) or from dist/bundle/ (the CLI bundle, where a
// module may sit in a shared chunk), so a fixed '../../' would be wrong in one
// of them: walk up to the nearest package.json instead.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`arenascope: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  cached = dir;
  return dir;
}
