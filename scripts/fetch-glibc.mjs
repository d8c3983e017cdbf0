#!/usr/bin/env node
// Fetches a second (or third) glibc release as Debian packages into test/.cache/glibc/<version>/
// so the test targets can run under that glibc through its own dynamic loader.
//
// Usage: node scripts/fetch-glibc.mjs <2.31|2.36|2.41|2.43|2.44> [--json]
// Importable: `import { fetchGlibc } from './scripts/fetch-glibc.mjs'`.
//
// How: apt is pointed at a PRIVATE state directory (its own sources list, package lists,
// cache and an empty dpkg status) with -o Dir::... options, so the machine's apt state is
// never touched. The archive URI is read from the machine's own apt configuration; no host
// name is written into the project. Release files are verified with the keyring named by
// that configuration (or Debian's archive keyring).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const glibcCacheRoot = path.join(projectRoot, 'test', '.cache', 'glibc');

// Debian suite that ships each glibc release. bookworm is only used when the host is not 2.36.
const suiteForVersion = {
  '2.31': 'bullseye',
  '2.36': 'bookworm',
  '2.41': 'trixie',
  '2.43': 'forky',
  '2.44': 'experimental',
};

// libc6: loader + libraries; libc6-dbg: .build-id debug files (main_arena, mp_ symbols);
// libc6-dev + linux-libc-dev: headers, crt files and link stubs for building a target
// against this glibc with `gcc --sysroot` (needed when it is older than the host's).
const packages = ['libc6', 'libc6-dbg', 'libc6-dev', 'linux-libc-dev'];

const defaultKeyring = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** Parses deb822 (.sources) stanzas into plain objects with lower-case keys. */
function parseDeb822(text) {
  const stanzas = [];
  let current = {};
  let lastKey = null;
  for (const rawLine of text.split('\n')) {
    if (rawLine.trim() === '') {
      if (Object.keys(current).length > 0) stanzas.push(current);
      current = {};
      lastKey = null;
      continue;
    }
    if (rawLine.startsWith('#')) continue;
    if (/^\s/.test(rawLine) && lastKey) {
      current[lastKey] += '\n' + rawLine.trim();
      continue;
    }
    const colon = rawLine.indexOf(':');
    if (colon < 0) continue;
    lastKey = rawLine.slice(0, colon).trim().toLowerCase();
    current[lastKey] = rawLine.slice(colon + 1).trim();
  }
  if (Object.keys(current).length > 0) stanzas.push(current);
  return stanzas;
}

/** Parses one-line-style sources.list entries. */
function parseOneLine(text) {
  const entries = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ')) continue;
    let rest = line.slice(4).trim();
    let signedBy;
    const opts = rest.match(/^\[([^\]]*)\]\s*/);
    if (opts) {
      rest = rest.slice(opts[0].length);
      const sb = opts[1].match(/signed-by=(\S+)/);
      if (sb) signedBy = sb[1];
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (uri && suite) entries.push({ uris: [uri], suites: [suite], components, signedBy });
  }
  return entries;
}

/**
 * Finds the Debian main archive the machine's apt uses: a `deb` source carrying a plain
 * release suite (no -security/-updates/-backports) with the main component.
 */
export function findArchiveSource(aptEtc = '/etc/apt') {
  const entries = [];
  const partsDir = path.join(aptEtc, 'sources.list.d');
  const files = [];
  if (fs.existsSync(path.join(aptEtc, 'sources.list'))) files.push(path.join(aptEtc, 'sources.list'));
  if (fs.existsSync(partsDir)) {
    for (const name of fs.readdirSync(partsDir).sort()) files.push(path.join(partsDir, name));
  }
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const s of parseDeb822(text)) {
        if (s.enabled === 'no') continue;
        if (!(s.types ?? '').split(/\s+/).includes('deb')) continue;
        entries.push({
          uris: (s.uris ?? '').split(/\s+/).filter(Boolean),
          suites: (s.suites ?? '').split(/\s+/).filter(Boolean),
          components: (s.components ?? '').split(/\s+/).filter(Boolean),
          signedBy: s['signed-by'],
        });
      }
    } else if (file.endsWith('.list') || file.endsWith('sources.list')) {
      entries.push(...parseOneLine(text));
    }
  }
  const plainSuite = (suite) => /^[a-z]+$/.test(suite);
  const found = entries.find(
    (e) => e.uris.length > 0 && e.suites.some(plainSuite) && e.components.includes('main'),
  );
  if (!found) {
    throw new Error(`no Debian main archive source found in ${aptEtc}/sources.list(.d)`);
  }
  let keyring = defaultKeyring;
  // Signed-By may be a file name or an inline key block; only a file name is usable here.
  if (found.signedBy && !found.signedBy.includes('\n') && fs.existsSync(found.signedBy)) {
    keyring = found.signedBy;
  }
  return { uri: found.uris[0].replace(/\/+$/, ''), keyring };
}

function hostGlibcVersion() {
  const out = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).trim();
  const m = out.match(/(\d+\.\d+)/);
  return m ? m[1] : '';
}

/** Rewrites absolute symlinks (e.g. libpthread.so -> /lib/...) to stay inside `root`. */
function containSymlinks(root) {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        stack.push(full);
      } else if (entry.isSymbolicLink()) {
        const target = fs.readlinkSync(full);
        if (path.isAbsolute(target)) {
          const relative = path.relative(dir, path.join(root, target));
          fs.unlinkSync(full);
          fs.symlinkSync(relative, full);
        }
      }
    }
  }
}

function firstExisting(candidates) {
  return candidates.find((p) => fs.existsSync(p));
}

/** Runs the unpacked libc.so.6 (it is executable) under its own loader; returns "X.Y". */
function bannerVersion(loader, libDir) {
  const out = execFileSync(loader, ['--library-path', libDir, path.join(libDir, 'libc.so.6')], {
    encoding: 'utf8',
  });
  const m = out.match(/release version (\d+\.\d+)/);
  if (!m) throw new Error(`unexpected libc banner: ${out.slice(0, 200)}`);
  return { version: m[1], banner: out.split('\n')[0] };
}

function hostLayout(version) {
  const libDir = '/lib/x86_64-linux-gnu';
  return {
    version,
    source: 'host',
    packageVersion: null,
    root: '/',
    sysroot: null,
    loader: firstExisting(['/lib64/ld-linux-x86-64.so.2', path.join(libDir, 'ld-linux-x86-64.so.2')]),
    libDir,
    debugDir: fs.existsSync('/usr/lib/debug/.build-id') ? '/usr/lib/debug' : null,
  };
}

function withLock(lockDir, fn) {
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - fs.statSync(lockDir).mtimeMs;
      // A fetch takes well under 5 minutes; an older lock was left by a killed run.
      if (age > 5 * 60 * 1000) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > 10 * 60 * 1000) throw new Error(`timed out waiting for ${lockDir}`);
      execFileSync('sleep', ['1']);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Returns the paths of glibc `version`, fetching and unpacking it on first use.
 * The host's own glibc is returned as is when it is that version.
 * { version, source, packageVersion, root, sysroot, loader, libDir, debugDir }
 */
export function fetchGlibc(version, { log = () => {} } = {}) {
  if (version === hostGlibcVersion()) return hostLayout(version);
  const suite = suiteForVersion[version];
  if (!suite) {
    throw new Error(`unknown glibc version ${version}; known: ${Object.keys(suiteForVersion).join(', ')}`);
  }
  const versionDir = path.join(glibcCacheRoot, version);
  const manifestPath = path.join(versionDir, 'manifest.json');
  if (fs.existsSync(manifestPath)) return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  fs.mkdirSync(glibcCacheRoot, { recursive: true });
  return withLock(path.join(glibcCacheRoot, `.lock-${version}`), () => {
    if (fs.existsSync(manifestPath)) return JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const { uri, keyring } = findArchiveSource();
    const aptDir = path.join(glibcCacheRoot, 'apt', suite);
    const sourcesFile = path.join(aptDir, 'sources.list');
    for (const d of ['lists/partial', 'cache/archives/partial', 'preferences.d', 'debs']) {
      fs.mkdirSync(path.join(aptDir, d), { recursive: true });
    }
    fs.writeFileSync(sourcesFile, `deb [signed-by=${keyring}] ${uri} ${suite} main\n`);
    fs.writeFileSync(path.join(aptDir, 'status'), '');
    const aptOptions = [
      '-o', `Dir::Etc::sourcelist=${sourcesFile}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::Etc::preferences=${path.join(aptDir, 'preferences')}`,
      '-o', `Dir::Etc::preferencesparts=${path.join(aptDir, 'preferences.d')}`,
      '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`,
      '-o', `Dir::State::status=${path.join(aptDir, 'status')}`,
      '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
      // apt drops to the _apt user for downloads, which cannot write into the project tree.
      '-o', 'APT::Sandbox::User=root',
      '-qq',
    ];
    log(`apt-get update (${suite}, private state in ${aptDir})`);
    execFileSync('apt-get', [...aptOptions, 'update'], { stdio: ['ignore', 'inherit', 'inherit'] });
    const debsDir = path.join(aptDir, 'debs');
    for (const old of fs.readdirSync(debsDir)) fs.rmSync(path.join(debsDir, old));
    log(`apt-get download ${packages.join(' ')}`);
    execFileSync('apt-get', [...aptOptions, 'download', ...packages], {
      cwd: debsDir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const root = path.join(versionDir, 'root');
    fs.rmSync(versionDir, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    let packageVersion = null;
    for (const deb of fs.readdirSync(debsDir).sort()) {
      log(`dpkg-deb -x ${deb}`);
      execFileSync('dpkg-deb', ['-x', path.join(debsDir, deb), root]);
      const m = deb.match(/^libc6_([^_]+)_/);
      if (m) packageVersion = decodeURIComponent(m[1]);
    }
    containSymlinks(root);
    const libDir = path.dirname(
      firstExisting([
        path.join(root, 'lib/x86_64-linux-gnu/libc.so.6'),
        path.join(root, 'usr/lib/x86_64-linux-gnu/libc.so.6'),
      ]) ?? path.join(root, 'missing/libc.so.6'),
    );
    const loader = path.join(libDir, 'ld-linux-x86-64.so.2');
    if (!fs.existsSync(loader) || !fs.existsSync(path.join(libDir, 'libc.so.6'))) {
      throw new Error(`unpacked ${suite} packages have no loader/libc under ${root}`);
    }
    const banner = bannerVersion(loader, libDir);
    if (banner.version !== version) {
      throw new Error(`fetched ${suite} libc reports ${banner.version}, wanted ${version}`);
    }
    const debugDir = path.join(root, 'usr/lib/debug');
    const manifest = {
      version,
      source: suite,
      packageVersion,
      banner: banner.banner,
      root,
      sysroot: root,
      loader,
      libDir,
      debugDir: fs.existsSync(path.join(debugDir, '.build-id')) ? debugDir : null,
    };
    fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const version = args.find((a) => !a.startsWith('--'));
  if (!version) {
    process.stderr.write('usage: fetch-glibc.mjs <2.31|2.36|2.41|2.43|2.44> [--json]\n');
    process.exit(2);
  }
  const json = args.includes('--json');
  const result = fetchGlibc(version, { log: (m) => !json && process.stderr.write(m + '\n') });
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    for (const [k, v] of Object.entries(result)) process.stdout.write(`${k}: ${v}\n`);
  }
}
