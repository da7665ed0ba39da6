import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { summarizeParquetFile } from '../../../core/ingest/parquetFooter.js';
import { PartitionStager, type StagerOptions } from '../../../core/ingest/partitionStager.js';
import { ParquetStreamWriter, type FieldSpec } from '../../../core/ingest/parquetStreamWriter.js';
import type { ConvertedBatch } from '../../../core/ingest/rowConverter.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/** 2024-01-02, 2024-01-03, 2024-01-04 as days since 1970-01-01. */
const DAYS = [19_724, 19_725, 19_726];
const DATES = ['2024-01-02', '2024-01-03', '2024-01-04'];
const BASE_S = 1_704_153_600; // 2024-01-02T00:00:00Z

interface Row {
  day: number;
  /** seconds after BASE_S */
  at: number;
  close: number;
  venue: string | null;
}

const FIELDS: FieldSpec[] = [
  { name: 'timestamp', type: 'timestamp' },
  { name: 'close', type: 'float64' },
  { name: 'venue', type: 'utf8' },
];

/** Rows as the converter hands them on. */
function batch(rows: Row[]): ConvertedBatch {
  return {
    rows: rows.length,
    timestamps: BigInt64Array.from(rows, (r) => BigInt(BASE_S + r.at) * 1_000_000_000n + 5n),
    seconds: Float64Array.from(rows, (r) => BASE_S + r.at),
    nanos: Int32Array.from(rows, () => 5),
    tradingDays: Int32Array.from(rows, (r) => r.day),
    values: [Float64Array.from(rows, (r) => r.close), rows.map((r) => r.venue)],
    valid: [null, null],
  };
}

/** `count` rows per date, one date after the other (sorted) or round-robin (unsorted). */
function rowsFor(count: number, order: 'sorted' | 'interleaved'): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < count * DAYS.length; i++) {
    const d = order === 'sorted' ? Math.floor(i / count) : i % DAYS.length;
    const k = order === 'sorted' ? i % count : Math.floor(i / DAYS.length);
    rows.push({ day: DAYS[d], at: d * 86_400 + k * 60, close: 5000 + d * 100 + k, venue: k % 3 === 2 ? null : `V${k}` });
  }
  return rows;
}

/** What a staged file of a date must hold: that date's rows in input order. */
function expected(rows: Row[], day: number) {
  return rows
    .filter((r) => r.day === day)
    .map((r) => ({ timestamp: `${new Date((BASE_S + r.at) * 1000).toISOString().slice(0, 19)}.000000005Z`, close: r.close, venue: r.venue }));
}

describe('PartitionStager', () => {
  const { dir, cleanup } = tempDir('mes-data-stager-');
  const writers: ParquetStreamWriter[] = [];
  let run = 0;
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.terminate()));
  });
  afterAll(cleanup);

  function stager(options: Partial<StagerOptions> & { threads?: number } = {}): { stager: PartitionStager; stagingDir: string } {
    const stagingDir = path.join(dir, `staging-${run++}`);
    const own = options.dryRun ? [] : Array.from({ length: options.threads ?? 1 }, () => new ParquetStreamWriter());
    writers.push(...own);
    const made = new PartitionStager({
      stagingDir,
      asset: 'MES',
      name: 'bars',
      writers: own,
      fields: FIELDS,
      compression: 'zstd',
      rowGroupSize: 1000,
      keyValue: { 'mes_data.asset': 'MES' },
      createdBy: 'mes-data test',
      fsync: false,
      ...options,
    });
    return { stager: made, stagingDir };
  }

  it('sorted input: one file per trading date, in the staging layout, with its range, size and hash', async () => {
    const rows = rowsFor(4, 'sorted');
    const { stager: s, stagingDir } = stager();
    await s.add(batch(rows.slice(0, 5)));
    await s.add(batch(rows.slice(5)));
    const staged = await s.finish();
    expect(staged.map((p) => [p.date, p.rows, p.firstTimestamp, p.lastTimestamp, path.relative(stagingDir, p.path)])).toEqual([
      ['2024-01-02', 4, '2024-01-02T00:00:00.000000005Z', '2024-01-02T00:03:00.000000005Z', 'MES/2024-01-02/bars.parquet'],
      ['2024-01-03', 4, '2024-01-03T00:00:00.000000005Z', '2024-01-03T00:03:00.000000005Z', 'MES/2024-01-03/bars.parquet'],
      ['2024-01-04', 4, '2024-01-04T00:00:00.000000005Z', '2024-01-04T00:03:00.000000005Z', 'MES/2024-01-04/bars.parquet'],
    ]);
    for (const [i, p] of staged.entries()) {
      const bytes = fs.readFileSync(p.path);
      expect({ bytes: p.bytes, sha256: p.sha256 }).toEqual({ bytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
      // a date written whole carries the store's summary, the same as reading the file back gives
      expect(p.summary).toEqual(await summarizeParquetFile(p.path));
      expect(tableToJsonRows(await readParquet(p.path))).toEqual(expected(rows, DAYS[i]));
      expect((await getParquetMetadata(p.path)).keyValue).toMatchObject({ 'mes_data.asset': 'MES', 'mes_data.date': DATES[i] });
    }
    expect({ rowsStaged: s.rowsStaged, left: fs.readdirSync(stagingDir).sort() }).toEqual({ rowsStaged: 12, left: ['MES'] });
  });

  it('unsorted input through segments, least-recently-used closing, spills and merges keeps each date in input order', async () => {
    const rows = rowsFor(25, 'interleaved');
    // tiny limits: buffers of 4 rows, one open segment, spills past 5 buffered rows, two writer threads
    const { stager: s, stagingDir } = stager({ batchRows: 4, maxOpenSegments: 1, memoryRows: 5, threads: 2 });
    const used = (['open', 'close', 'write', 'spill', 'merge'] as const).map((method) => [method, vi.spyOn(ParquetStreamWriter.prototype, method)] as const);
    for (let i = 0; i < rows.length; i += 7) await s.add(batch(rows.slice(i, i + 7)));
    const staged = await s.finish();
    // every path of the stager was taken: segments opened and closed, spills written, every date merged
    const counts = Object.fromEntries(used.map(([method, spy]) => [method, spy.mock.calls.length]));
    used.forEach(([, spy]) => spy.mockRestore());
    expect({ segments: counts.open > 1 && counts.open === counts.close, spills: counts.spill > 0, merges: counts.merge }).toEqual({ segments: true, spills: true, merges: 3 });
    expect(staged.map((p) => [p.date, p.rows])).toEqual(DATES.map((date) => [date, 25]));
    for (const [i, p] of staged.entries()) expect(tableToJsonRows(await readParquet(p.path))).toEqual(expected(rows, DAYS[i]));
    // the work folder of pieces and spills is gone
    expect(fs.readdirSync(stagingDir)).toEqual(['MES']);
  });

  it('a dry run counts and describes the dates and writes nothing', async () => {
    const rows = rowsFor(3, 'interleaved');
    const { stager: s, stagingDir } = stager({ dryRun: true });
    await s.add(batch(rows));
    const staged = await s.finish();
    expect(staged.map((p) => [p.date, p.rows, p.bytes, p.sha256, p.lastTimestamp])).toEqual([
      ['2024-01-02', 3, null, null, '2024-01-02T00:02:00.000000005Z'],
      ['2024-01-03', 3, null, null, '2024-01-03T00:02:00.000000005Z'],
      ['2024-01-04', 3, null, null, '2024-01-04T00:02:00.000000005Z'],
    ]);
    expect(fs.existsSync(stagingDir)).toBe(false);
  });

  it('refuses to stage over an earlier file, and abort removes what it wrote but not that file', async () => {
    const { stager: s, stagingDir } = stager();
    const earlier = path.join(stagingDir, 'MES', DATES[1], 'bars.parquet');
    fs.mkdirSync(path.dirname(earlier), { recursive: true });
    fs.writeFileSync(earlier, 'an earlier ingest');
    await s.add(batch(rowsFor(2, 'sorted')));
    const error = (await s.finish().catch((e: unknown) => e)) as { code?: string; details?: unknown };
    expect({ code: error.code, details: error.details }).toEqual({ code: 'ALREADY_EXISTS', details: { path: earlier } });
    await s.abort();
    expect(fs.readFileSync(earlier, 'utf8')).toBe('an earlier ingest');
    expect(fs.readdirSync(path.join(stagingDir, 'MES'))).toEqual([DATES[1]]);
  });
});
