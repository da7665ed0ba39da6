import { describe, expect, it } from 'vitest';
import { baseName, parseIngestResult, sourceColumns } from '../../../renderer/src/ingest/ingestResult.ts';

describe('parseIngestResult', () => {
  it('reads the CLI ingest JSON', () => {
    const view = parseIngestResult(
      {
        snapshots: [{ asset: 'MES', date: '2024-01-03', path: 'raw/MES/2024-01-03/mes.parquet', rows: 3, sha256: 'ab', status: 'created' }],
        rowsRead: 4,
        rowsWritten: 3,
        badRows: [{ line: 3, reason: 'open: "x" is not a number' }],
        mapping: { timestamp: 'Date', open: 'Open' },
        timezone: 'America/Chicago',
      },
      false,
    );
    expect(view.snapshots).toEqual([{ asset: 'MES', date: '2024-01-03', path: 'raw/MES/2024-01-03/mes.parquet', rows: 3, status: 'created', firstTimestamp: undefined, lastTimestamp: undefined }]);
    expect(view.badRows).toEqual([{ line: 3, reason: 'open: "x" is not a number' }]);
    expect(view.mapping).toEqual({ timestamp: 'Date', open: 'Open' });
    expect(view.asset).toBe('MES');
    expect(view.dryRun).toBe(false);
  });

  it('reads the ingest job result of a dry run: per-file dialect and preview, snapshots it would write', () => {
    // the shape of core/store/ingestIntoStore's result
    const view = parseIngestResult(
      {
        snapshots: [{ asset: 'MES', date: '2024-01-05', path: 'raw/MES/2024-01-05/MES_bad.parquet', rows: 29, sha256: null, status: 'dry-run', source: 'MES_bad.csv' }],
        rowsRead: 30,
        rowsWritten: 29,
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
            dialect: { format: 'csv', delimiter: ';', header: true, columns: ['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume'] },
            mapping: { date: 'Date', time: 'Time' },
            columns: [{ name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' }],
            dateSpan: { first: '2024-01-05', last: '2024-01-05' },
            dst: { gaps: 0, repeats: 0, gapPolicy: 'shift', repeatPolicy: 'infer' },
            preview: [{ timestamp: '2024-01-04T23:00:00.000000000Z', open: 4850 }],
          },
        ],
      },
      true,
    );
    expect(view.files.map((f) => [f.source, f.format, f.dialect?.delimiter, f.preview.length])).toEqual([['MES_bad.csv', 'csv', ';', 1]]);
    expect(view.snapshots.map((s) => [s.date, s.rows, s.status])).toEqual([['2024-01-05', 29, 'would write']]);
    expect(view.badRows).toEqual([{ line: 5, reason: 'unparseable number "4851,x" in column "Open"', source: 'MES_bad.csv' }]);
    expect(view.badRowCount).toBe(1);
    expect(view.mapping).toEqual({ date: 'Date', time: 'Time', open: 'Open', volume: 'Volume' });
    expect(view.asset).toBe('MES');
    expect(view.timezone).toBe('America/Chicago');
    expect(sourceColumns(view)).toEqual(['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume']);
    expect(view.rowsRead).toBe(30);
  });

  it('survives a result it does not know', () => {
    const view = parseIngestResult('surprise', true);
    expect(view.files).toEqual([]);
    expect(view.snapshots).toEqual([]);
    expect(view.rowsRead).toBeNull();
  });

  it('names uploaded files without their folder', () => {
    expect(baseName('/store/.uploads/ab12/MES_2024.csv')).toBe('MES_2024.csv');
    expect(baseName('C:\\data\\es.csv')).toBe('es.csv');
  });
});
