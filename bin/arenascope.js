#!/usr/bin/env node
// Launcher (CommonJS: bin/package.json). Plain commands run from one
// CommonJS bundle, everything else (the interactive view, demo, help, usage
// errors) from the ES module build; both are the same src/cli/main.ts, so the
// choice changes start-up time only, never behaviour (scripts/bundle.mjs says
// why). A command missing from this list still works, through the ES build.
'use strict';

const plainCommands = new Set(['maps', 'arenas', 'chunks', 'report', 'strings', 'dump']);

/** The CLI build for these arguments: the first word that is not an option names the command. */
function buildFor(args) {
  const first = args.find((a) => !a.startsWith('-'));
  return plainCommands.has(first) ? 'plain' : 'esm';
}

function run() {
  const loaded = buildFor(process.argv.slice(2)) === 'plain'
    ? Promise.resolve(require('../dist/bundle/plain.cjs'))
    : import('../dist/bundle/esm/cli/main.js');
  loaded
    .then((cli) => cli.main(process.argv))
    .then((code) => {
      process.exitCode = code;
    });
}

if (require.main === module) run();
module.exports = { plainCommands, buildFor };
