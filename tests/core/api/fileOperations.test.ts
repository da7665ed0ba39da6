import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

/** The single-file operations (`file.rows`, `file.schema`, `file.meta`, `file.convert`) that `show`, `schema`, `meta` and `convert` call. */
describe('file operations through ApiSession.invoke', () => {
  const { dir, cleanup } = tempDir('mes-data-file-ops-');
  const session = new ApiSession('cli');
  const file = path.join(dir, 'bars.parquet');

  beforeAll(async () => {
    await writeParquet(ohlcvTable(2500), file, { rowGroupSize: 1000, metadata: { source: 'test' } });
  });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('file.rows reads a page from the middle with values as the CLI prints them', async () => {
    const page = await session.invoke('file.rows', { path: file, offset: 1999, rows: 2, columns: ['timestamp', 'close'] });
    expect(page).toEqual({
      path: file,
      numRows: 2500,
      offset: 1999,
      columns: [
        { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' },
        { name: 'close', type: 'Float64' },
      ],
      rows: [
        { timestamp: '2024-01-03T09:19:00.000000000Z', close: 5500.25 },
        { timestamp: '2024-01-03T09:20:00.000000000Z', close: 5500.5 },
      ],
    });
  });

  it('file.schema and file.meta read the footer', async () => {
    expect(await session.invoke('file.schema', { path: file })).toEqual({
      path: file,
      numRows: 2500,
      columns: [
        { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>', nullable: true },
        { name: 'open', type: 'Float64', nullable: true },
        { name: 'high', type: 'Float64', nullable: true },
        { name: 'low', type: 'Float64', nullable: true },
        { name: 'close', type: 'Float64', nullable: true },
        { name: 'volume', type: 'Int64', nullable: true },
      ],
    });
    const meta = (await session.invoke('file.meta', { path: file })) as { numRows: number; numRowGroups: number; keyValue: Record<string, string>; rowGroups: { numRows: number; rowStart: number }[] };
    expect(meta.numRows).toBe(2500);
    expect(meta.numRowGroups).toBe(3);
    expect(meta.keyValue.source).toBe('test');
    expect(meta.rowGroups.map((g) => [g.numRows, g.rowStart])).toEqual([
      [1000, 0],
      [1000, 1000],
      [500, 2000],
    ]);
  });

  it('file.convert writes a Parquet file with the codec asked for; a missing input is NOT_FOUND naming it', async () => {
    const out = path.join(dir, 'bars.zstd.parquet');
    const written = await session.invoke('file.convert', { input: file, output: out, compression: 'zstd', rowGroupSize: 500 });
    expect(written).toMatchObject({ path: out, numRows: 2500, compression: 'zstd' });
    expect((written as { bytes: number }).bytes).toBe(fs.statSync(out).size);
    expect(((await session.invoke('file.meta', { path: out })) as { numRowGroups: number }).numRowGroups).toBe(5);
    const missing = path.join(dir, 'nothing.parquet');
    await expect(session.invoke('file.convert', { input: missing, output: out })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `file not found: ${missing}` });
    await expect(session.invoke('file.convert', { input: file, output: out, compression: 'lzo' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { operation: 'file.convert' } });
  });

  it('the browser mode may read only files of the store or granted to it; only the command line converts', async () => {
    const browser = new ApiSession('browser');
    try {
      await expect(browser.invoke('file.rows', { path: file, offset: 0, rows: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { path: file } });
      await expect(browser.invoke('file.schema', { path: 'bars.parquet' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      browser.grantFile(file);
      expect(((await browser.invoke('file.meta', { path: file })) as { numRows: number }).numRows).toBe(2500);
      expect(((await browser.invoke('file.rows', { path: file, offset: 0, rows: 5000 })) as { rows: unknown[] }).rows).toHaveLength(2500);
      await expect(browser.invoke('file.rows', { path: file, offset: 0, rows: 5001 })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'file.rows asks for 5001 rows; the browser host reads at most 5000 at a time',
        details: { operation: 'file.rows', rows: 5001, max: 5000 },
      });
      const out = path.join(dir, 'from-browser.parquet');
      await expect(browser.invoke('file.convert', { input: file, output: out })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'file.convert writes a file wherever the request says: it is for the command line only, not the browser host',
        details: { operation: 'file.convert', host: 'browser' },
      });
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      await browser.close();
    }
    const desktop = new ApiSession('electron');
    try {
      await expect(desktop.invoke('file.convert', { input: file, output: path.join(dir, 'from-desktop.parquet') })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { host: 'electron' } });
      expect(fs.existsSync(path.join(dir, 'from-desktop.parquet'))).toBe(false);
    } finally {
      await desktop.close();
    }
  });
});
