#!/usr/bin/env node
// Checks (and, as root on Debian/Ubuntu, installs) what the test suite needs
// besides Node and npm packages: the one list in test/prerequisites.json.
//
//   node scripts/test-prereqs.mjs          # npm test runs this first; so does .ci/run
//   node scripts/test-prereqs.mjs --list   # print the list
//
// As root with apt-get it installs what is missing, saying what and why;
// otherwise it stops at once with the one command that fixes it, so a
// newcomer meets one line, not a storm of failing tests.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const list = JSON.parse(readFileSync(join(root, 'test', 'prerequisites.json'), 'utf8'));

function say(msg) {
  process.stderr.write(`test-prereqs: ${msg}\n`);
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Packages dpkg does not report as installed (all of them where there is no dpkg). */
function missingPackages() {
  const names = list.debianPackages.map((p) => p.package);
  if (!has('dpkg-query')) return names;
  return names.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return r.status !== 0 || !/install ok installed/.test(r.stdout);
  });
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const p of list.debianPackages) process.stdout.write(`${p.package}\t${p.for}\n`);
    return 0;
  }
  const isRoot = process.getuid?.() === 0;
  const missing = missingPackages();
  const fix = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot) {
    say(`the tests need root: ${list.root}`);
    if (missing.length) say(`and these packages: sudo ${fix}`);
    return 1;
  }
  if (missing.length === 0) return 0;
  if (!has('apt-get')) {
    say(`missing: ${missing.join(' ')}; on Debian or Ubuntu: ${fix} (see test/prerequisites.json for what each is for)`);
    return 1;
  }
  say(`installing what the tests need and this machine lacks: ${missing.join(' ')}`);
  for (const p of list.debianPackages.filter((x) => missing.includes(x.package))) say(`  ${p.package}: ${p.for}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env }) : update;
  const still = missingPackages();
  if (install.status !== 0 || still.length) {
    say(`could not install ${still.join(' ') || missing.join(' ')}; fix it with: apt-get install -y --no-install-recommends ${(still.length ? still : missing).join(' ')}`);
    return 1;
  }
  say('installed');
  return 0;
}

process.exit(main());
