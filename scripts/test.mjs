// `npm test`: every test suite — the unit and integration tests, then the end-to-end tests
// in Chromium — and one summary line. Each run writes its JSON report to test-results/;
// the totals also land in test-results/summary.json for .ci/run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countReport, skippedLines } from './testSummary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });
const extra = process.argv.slice(2);

const suites = [
  { name: 'unit and integration', config: 'vitest.config.ts', report: 'vitest.json' },
  { name: 'end to end (Chromium)', config: 'vitest.e2e.config.ts', report: 'vitest-e2e.json' },
];

let passed = 0;
let failed = 0;
let skipped = 0;
/** "suite: reason" → tests skipped for it */
const skipReasons = new Map();

for (const suite of suites) {
  const report = path.join(results, suite.report);
  fs.rmSync(report, { force: true });
  process.stdout.write(`\n== ${suite.name}\n`);
  // --config=FILE as one argument: the CLI tests' global setup reads the arguments after
  // `run` that do not start with "-" as file filters (and would take the config file for one)
  const run = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', `--config=${suite.config}`, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
    { cwd: root, stdio: 'inherit' },
  );
  let suiteFailed = 0;
  if (fs.existsSync(report)) {
    const counts = countReport(JSON.parse(fs.readFileSync(report, 'utf8')), extra);
    passed += counts.passed;
    skipped += counts.skipped;
    suiteFailed += counts.failed;
    for (const [reason, n] of counts.reasons) skipReasons.set(`${suite.name}: ${reason}`, (skipReasons.get(`${suite.name}: ${reason}`) ?? 0) + n);
  } else {
    suiteFailed += 1;
  }
  if (run.status !== 0 && suiteFailed === 0) suiteFailed = 1;
  failed += suiteFailed;
}

fs.writeFileSync(path.join(results, 'summary.json'), JSON.stringify({ passed, failed, skipped }));
process.stdout.write(skippedLines(skipped, skipReasons));
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
