import { describe, expect, it } from 'vitest';
import { countReport, skipReason, skippedLines } from '../../scripts/testSummary.mjs';

describe('npm test summary', () => {
  const report = {
    numPassedTests: 3,
    numFailedTests: 1,
    numPendingTests: 5,
    numTodoTests: 0,
    testResults: [
      {
        status: 'passed',
        assertionResults: [
          { status: 'passed', title: 'a' },
          { status: 'skipped', title: 'reads the corpus', ancestorTitles: ['corpus'], meta: { skipReason: 'the Parquet test corpus is not at /x; set MES_DATA_CORPUS' } },
          { status: 'skipped', title: 'summary', ancestorTitles: ['corpus'], meta: { skipReason: 'the Parquet test corpus is not at /x; set MES_DATA_CORPUS' } },
        ],
      },
      {
        status: 'passed',
        assertionResults: [{ status: 'skipped', title: 'opens a window', ancestorTitles: ['the desktop app (Electron) — skipped: no Electron binary in node_modules/electron/dist'] }],
      },
      { status: 'passed', assertionResults: [{ status: 'skipped', title: 'later' }] },
      // a file whose beforeAll failed: its tests are reported skipped
      { status: 'failed', assertionResults: [{ status: 'skipped', title: 'after a failed hook' }, { status: 'failed', title: 'b' }] },
      // a file that could not load: one failure, no tests
      { status: 'failed', assertionResults: [] },
    ],
  };

  it('counts passed, failed (a file that did not load is one), skipped', () => {
    const counts = countReport(report);
    expect({ passed: counts.passed, failed: counts.failed, skipped: counts.skipped }).toEqual({ passed: 3, failed: 2, skipped: 5 });
    expect([...counts.reasons.values()].reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('gives each skipped test its reason: its meta, its suite name, or what usually causes it', () => {
    expect([...countReport(report).reasons]).toEqual([
      ['the Parquet test corpus is not at /x; set MES_DATA_CORPUS', 2],
      ['no Electron binary in node_modules/electron/dist', 1],
      ['marked skip or todo in the test file, no reason given', 1],
      ['not run: its file failed before it (a hook or the suite, see the failures above)', 1],
    ]);
    expect(skipReason({ status: 'skipped', title: 'x' }, ['tests/cli'])).toBe('not selected by the arguments given (tests/cli)');
  });

  it('prints one line per reason before the closing line', () => {
    expect(skippedLines(3, new Map([['unit and integration: the corpus is missing', 2], ['end to end (Chromium): no Electron', 1]]))).toBe(
      '\n3 skipped:\n  2 × unit and integration: the corpus is missing\n  1 × end to end (Chromium): no Electron\n',
    );
    expect(skippedLines(0, new Map())).toBe('');
  });
});
