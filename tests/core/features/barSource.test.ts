import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine, withConnection } from '../../../core/engine/duckdbEngine.js';
import { checkBarColumns, streamBars } from '../../../core/features/barSource.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { errorOf } from '../store/storeTestKit.js';

describe('streamBars', () => {
  const { dir, cleanup } = tempDir('mes-data-bar-source-');
  // five files of 4, 9, 20, 3 and 6 rows; row k of the whole has time k minutes and close 100 + k (null at k = 7)
  const sizes = [4, 9, 20, 3, 6];
  const files: { path: string; rows: number }[] = [];
  beforeAll(async () => {
    let first = 0;
    for (const [n, rows] of sizes.entries()) {
      const file = path.join(dir, `f${n}.parquet`);
      await withConnection((c) =>
        c.run(
          `COPY (SELECT make_timestamptz(1704186000000000 + k * 60000000) AS "timestamp", CASE WHEN k = 7 THEN NULL ELSE 100 + k END::DOUBLE AS close, (k % 3)::BIGINT AS volume FROM range(${first}, ${first + rows}) t(k) ORDER BY k) TO '${file}' (FORMAT parquet)`,
          'writing a test file',
        ),
      );
      files.push({ path: file, rows });
      first += rows;
    }
  });
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  async function everything() {
    const us: number[] = [];
    const close: number[] = [];
    const volume: number[] = [];
    await withConnection((c) =>
      streamBars(c, files, ['close', 'volume'], 'reading test bars', (chunk) => {
        us.push(...chunk.us.subarray(0, chunk.rows));
        close.push(...chunk.columns.close.subarray(0, chunk.rows));
        volume.push(...chunk.columns.volume.subarray(0, chunk.rows));
      }),
    );
    return { us, close, volume };
  }

  it('reads every row of every file in file order (nulls as NaN)', async () => {
    const total = sizes.reduce((a, b) => a + b, 0);
    const expected = {
      us: Array.from({ length: total }, (_, k) => 1_704_186_000_000_000 + k * 60_000_000),
      close: Array.from({ length: total }, (_, k) => (k === 7 ? Number.NaN : 100 + k)),
      volume: Array.from({ length: total }, (_, k) => k % 3),
    };
    expect(await everything()).toEqual(expected);
    // the read-ahead is the build connection's own: a new connection has DuckDB's default
    const [fresh] = await withConnection((c) => c.rows(`SELECT current_setting('streaming_buffer_size') AS size`, 'reading a setting'));
    const [set] = await withConnection(async (c) => {
      await streamBars(c, files.slice(0, 1), ['close'], 'reading test bars', () => undefined);
      return c.rows(`SELECT current_setting('streaming_buffer_size') AS size`, 'reading a setting');
    });
    expect(set.size).not.toBe(fresh.size);
    const [after] = await withConnection((c) => c.rows(`SELECT current_setting('streaming_buffer_size') AS size`, 'reading a setting'));
    expect(after.size).toBe(fresh.size);
  });

  it('stops with CANCELLED when the connection’s signal aborts between chunks', async () => {
    const controller = new AbortController();
    const error = await errorOf(
      withConnection(
        (c) =>
          streamBars(c, files, ['close'], 'reading test bars', () => controller.abort()),
        controller.signal,
      ),
    );
    expect(error.code).toBe('CANCELLED');
  });

  it('checkBarColumns names a missing column and its file', async () => {
    const error = await errorOf(withConnection((c) => checkBarColumns(c, files[0].path, ['close', 'high'], 'checking')));
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: `features need an OHLCV table; column "high" is missing in ${files[0].path}` });
    expect(await withConnection((c) => checkBarColumns(c, files[0].path, ['close', 'volume'], 'checking'))).toBe(true);
  });
});
