// `npm test`: every test suite, then one summary line. Vitest writes its JSON report to
// test-results/; the totals also land in test-results/summary.json for .ci/run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });

const vitestReport = path.join(results, 'vitest.json');
fs.rmSync(vitestReport, { force: true });
const vitest = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
if (fs.existsSync(vitestReport)) {
  /** @type {{numPassedTests: number, numFailedTests: number, testResults?: {status: string, assertionResults?: unknown[]}[]}} */
  const report = JSON.parse(fs.readFileSync(vitestReport, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // a suite that could not even load has no tests to count: count it as one failure
  failed += (report.testResults ?? []).filter((suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0).length;
} else {
  failed += 1;
}
if (vitest.status !== 0 && failed === 0) failed = 1;

fs.writeFileSync(path.join(results, 'summary.json'), JSON.stringify({ passed, failed }));
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
