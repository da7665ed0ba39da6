import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';

/**
 * A Python with the data libraries our interoperability tests read with (pyarrow, polars,
 * pandas, fastavro, duckdb): `$MES_DATA_PYTHON` (which `.ci/run` sets to the virtual
 * environment it makes), else `.venv-ci/bin/python` in the checkout (make it with
 * `python3 -m venv .venv-ci && .venv-ci/bin/pip install pyarrow polars pandas fastavro duckdb`).
 * In CI (`CI` true or 1) a missing Python fails the tests that need it; elsewhere they are
 * skipped with the reason printed by `npm test`.
 */

const PYTHON_MODULES = ['pyarrow', 'polars', 'pandas', 'fastavro', 'duckdb'] as const;

const REQUIRED = process.env.CI === 'true' || process.env.CI === '1';

function candidates(): string[] {
  const root = path.resolve(import.meta.dirname, '../..');
  const local = process.platform === 'win32' ? path.join(root, '.venv-ci', 'Scripts', 'python.exe') : path.join(root, '.venv-ci', 'bin', 'python');
  return [process.env.MES_DATA_PYTHON, local].filter((p): p is string => typeof p === 'string' && p !== '');
}

let found: { python: string | null; reason: string | null } | undefined;

function locate(): { python: string | null; reason: string | null } {
  if (found) return found;
  const tried: string[] = [];
  for (const python of candidates()) {
    if (!fs.existsSync(python)) {
      tried.push(`${python} (absent)`);
      continue;
    }
    const probe = spawnSync(python, ['-c', `import ${PYTHON_MODULES.join(', ')}`], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status === 0) return (found = { python, reason: null });
    tried.push(`${python} (${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop() ?? 'failed'})`);
  }
  const reason = `no Python with ${PYTHON_MODULES.join(', ')}: set MES_DATA_PYTHON or create .venv-ci (see tests/helpers/python.ts); tried ${tried.length === 0 ? 'nothing (MES_DATA_PYTHON unset, no .venv-ci)' : tried.join(', ')}`;
  return (found = { python: null, reason });
}

/**
 * The Python to run. Skips the running test (recording the reason in its meta, as
 * tests/helpers/corpus.ts does) when there is none outside CI; in CI throws, failing it.
 */
export function requirePython(context: TestContext): string {
  const { python, reason } = locate();
  if (python) return python;
  if (REQUIRED) throw new Error(`${reason} (required in CI)`);
  (context.task.meta as Record<string, unknown>).skipReason = reason;
  context.skip(reason ?? undefined);
  return '';
}

/** Runs `script` with `python`, passing `input` as JSON on stdin; returns its stdout parsed as JSON. Throws with stderr when it fails. */
export function runPythonJson<T>(python: string, script: string, input: unknown): T {
  const run = spawnSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python failed (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/**
 * A Python script: reads the Parquet folder named on stdin (a version folder of bars) with
 * pyarrow, polars and pandas, and prints each one's rows (date, timestamp as ISO UTC, close,
 * volume) sorted by time, and pyarrow's column types, as JSON.
 */
export const READ_BARS_FOLDER = String.raw`
import json, sys, datetime
import pyarrow.parquet as pq, polars as pl, pandas as pd
folder = json.load(sys.stdin)
def norm(rows):
    out = []
    for r in rows:
        o = {}
        for k, v in r.items():
            if isinstance(v, datetime.datetime): o[k] = v.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
            elif isinstance(v, datetime.date): o[k] = v.isoformat()
            else: o[k] = v.item() if hasattr(v, 'item') else v
        out.append(o)
    return sorted(out, key=lambda r: r['timestamp'])
pick = lambda rows: [{'date': r['date'], 'timestamp': r['timestamp'], 'close': r['close'], 'volume': r['volume']} for r in rows]
print(json.dumps({
  'pyarrow': pick(norm(pq.read_table(folder).to_pylist())),
  'pyarrow_types': [str(f.type) for f in pq.read_table(folder).schema],
  'polars': pick(norm(pl.read_parquet(folder + '/').to_dicts())),
  'pandas': pick(norm(pd.read_parquet(folder).to_dict('records'))),
}))
`;
