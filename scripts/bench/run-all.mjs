// Runs every benchmark in this folder, one after another; not the soak
// (tui-soak.mjs runs for an hour by default: run it on its own).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const f of readdirSync(here).filter((n) => n.endsWith('.mjs') && !['lib.mjs', 'run-all.mjs', 'tui-soak.mjs'].includes(n)).sort()) {
  console.log(`\n=== ${f}`);
  spawnSync(process.execPath, [join(here, f)], { stdio: 'inherit' });
}
