import { describe, expect, it } from 'vitest';
import { JobResultSchemas } from '../../../core/api/contract.ts';
import { badRowsOfError, baseName, ingestAsset, snapshotStatus, sourceColumns } from '../../../renderer/src/ingest/ingestResult.ts';

/** The result of an ingest dry run of one semicolon CSV (core/store/ingestIntoStore's shape), as the schema accepts it. */
function dryRunResult() {
  return JobResultSchemas.ingest.parse({
    snapshots: [
      { asset: 'MES', date: '2024-01-05', path: 'raw/MES/2024-01-05/MES_bad.parquet', rows: 29, sha256: null, status: 'dry-run', wouldBe: 'created', period: 'day', source: 'MES_bad.csv' },
      { asset: 'MES', date: '2024-01-08', path: 'raw/MES/2024-01-08/MES_bad.parquet', rows: 10, sha256: null, status: 'dry-run', wouldBe: 'unchanged', period: 'day', source: 'MES_bad.csv' },
    ],
    rowsRead: 40,
    rowsWritten: 39,
    badRows: [{ line: 5, reason: 'unparseable number "4851,x" in column "Open"', file: 'MES_bad.csv' }],
    badRowCount: 1,
    mapping: { date: 'Date', time: 'Time', open: 'Open', volume: 'Volume' },
    timezone: 'America/Chicago',
    dryRun: true,
    files: [
      {
        path: '/store/.uploads/ab/MES_bad.csv',
        name: 'MES_bad.csv',
        bytes: 1500,
        sha256: 'ff',
        format: 'csv',
        dialect: { format: 'csv', encoding: 'utf-8', bom: false, delimiter: ';', quote: '"', lineEnding: 'lf', header: true, decimal: ',', thousands: null, columns: ['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume'] },
        mapping: { date: 'Date', time: 'Time', open: 'Open', volume: 'Volume' },
        columns: [{ name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' }],
        dateSpan: { first: '2024-01-05', last: '2024-01-08' },
        dst: { gaps: 0, repeats: 0, gapPolicy: 'shift', repeatPolicy: 'infer' },
        timestamp: { kind: 'split', epochUnit: null, dateOnly: false },
        timezone: 'America/Chicago',
        timezoneSource: 'instrument',
        instrument: { symbol: 'MES', exchange: 'CME', session: 'cme_globex_equity', timeZone: 'America/Chicago', source: 'built-in' },
        tradingDateRule: 'the CME trading date: a session opening in the evening belongs to the next day',
        sessionWarnings: [],
        period: 'day',
        engine: 'ours',
        preview: [{ timestamp: '2024-01-04T23:00:00.000000000Z', open: 4850 }],
      },
    ],
  });
}

describe('ingest result', () => {
  it('reads what the dialog shows from a dry run: statuses, the asset, the columns a mapping can choose', () => {
    const result = dryRunResult();
    expect(result.snapshots.map(snapshotStatus)).toEqual(['would write', 'would write']);
    expect(snapshotStatus({ ...result.snapshots[0], status: 'created' })).toBe('created');
    expect(ingestAsset(result)).toBe('MES');
    expect(ingestAsset({ ...result, snapshots: [] })).toBe('');
    expect(sourceColumns(result)).toEqual(['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume']);
    // a Parquet file's detected columns are its own
    const parquet = { ...result.files[0], format: 'parquet' as const, dialect: { format: 'parquet' as const, columns: ['ts', 'px', 'Open'] } };
    expect(sourceColumns({ ...result, files: [result.files[0], parquet] })).toEqual(['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume', 'ts', 'px']);
    expect(sourceColumns({ ...result, files: [] })).toEqual(['Date', 'Time', 'Open', 'Volume']);
  });

  it('the schema refuses a dialect of a format it does not know, at its path', () => {
    const result = dryRunResult();
    const parsed = JobResultSchemas.ingest.safeParse({ ...result, files: [{ ...result.files[0], dialect: { format: 'xlsx', columns: [] } }] });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => [i.path, i.message])).toEqual([[['files', 0, 'dialect', 'format'], "Invalid discriminator value. Expected 'csv' | 'parquet' | 'arrow' | 'jsonl'"]]);
  });

  it('lists the bad rows of a PARSE_ERROR (ingest with fail), and none of another error', () => {
    const details = { path: '/data/MES_bad.csv', badRows: [{ line: 5, reason: 'expected 7 fields, found 2' }], badRowCount: 3, rowsRead: 40, complete: true };
    expect(badRowsOfError({ code: 'PARSE_ERROR', message: '3 of 40 rows are malformed', details })).toEqual({ badRows: [{ line: 5, reason: 'expected 7 fields, found 2' }], badRowCount: 3 });
    expect(badRowsOfError({ code: 'PARSE_ERROR', message: 'the file holds no records', details: { path: '/data/empty.csv' } })).toBeNull();
    expect(badRowsOfError({ code: 'ALREADY_EXISTS', message: 'm', details })).toBeNull();
  });

  it('names uploaded files without their folder', () => {
    expect(baseName('/store/.uploads/ab12/MES_2024.csv')).toBe('MES_2024.csv');
    expect(baseName('C:\\data\\es.csv')).toBe('es.csv');
  });
});
