// What `npm test` (scripts/test.mjs) reads from one Vitest JSON report: the counts, and
// why each skipped test was skipped, so the closing lines can say it.

/**
 * @typedef {{status: string, title?: string, ancestorTitles?: string[], meta?: {skipReason?: unknown}}} TestResult
 * @typedef {{numPassedTests: number, numFailedTests: number, numPendingTests?: number, numTodoTests?: number, testResults?: {status: string, assertionResults?: TestResult[]}[]}} VitestReport
 */

/**
 * Why a test was skipped: the reason the test recorded in its meta (`skipReason`, see
 * tests/helpers/corpus.ts), else the one a skipped suite gives in its name after
 * "skipped: ", else what usually causes it (in a file that failed, a hook that failed
 * before it could run).
 * @param {TestResult} test
 * @param {string[]} args the arguments `npm test` passed on to Vitest
 * @param {boolean} fileFailed
 * @returns {string}
 */
export function skipReason(test, args = [], fileFailed = false) {
  if (typeof test.meta?.skipReason === 'string') return test.meta.skipReason;
  for (const title of [...(test.ancestorTitles ?? []), test.title ?? '']) {
    const at = title.indexOf('skipped: ');
    if (at >= 0) return title.slice(at + 'skipped: '.length);
  }
  if (fileFailed) return 'not run: its file failed before it (a hook or the suite, see the failures above)';
  return args.length > 0 ? `not selected by the arguments given (${args.join(' ')})` : 'marked skip or todo in the test file, no reason given';
}

/**
 * The counts of one suite's report. A test file that could not even load has no tests to
 * count: it counts as one failure. `reasons` maps each skip reason to its number of tests.
 * @param {VitestReport} report
 * @param {string[]} args
 * @returns {{passed: number, failed: number, skipped: number, reasons: Map<string, number>}}
 */
export function countReport(report, args = []) {
  const reasons = new Map();
  let failed = report.numFailedTests;
  failed += (report.testResults ?? []).filter((file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0).length;
  for (const file of report.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'skipped' && test.status !== 'pending' && test.status !== 'todo') continue;
      const reason = skipReason(test, args, file.status === 'failed');
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  return { passed: report.numPassedTests, failed, skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0), reasons };
}

/**
 * The lines naming the skipped tests' reasons, one per reason, each prefixed by its suite.
 * @param {number} skipped
 * @param {Map<string, number>} reasons "suite: reason" → tests
 * @returns {string}
 */
export function skippedLines(skipped, reasons) {
  if (skipped === 0) return '';
  return `\n${skipped} skipped:\n${[...reasons].map(([reason, n]) => `  ${n} × ${reason}\n`).join('')}`;
}
