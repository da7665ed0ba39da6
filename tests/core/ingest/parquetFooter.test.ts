import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { withConnection, sqlString } from '../../../core/engine/duckdbEngine.js';
import { replaceFooterKeyValue, rewriteFooter, summarizeParquetBytes, summarizeParquetFile } from '../../../core/ingest/parquetFooter.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

describe('parquetFooter', () => {
  const { dir, cleanup } = tempDir('mes-data-footer-');
  afterAll(cleanup);
  const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

  it('summarizes a file in one read: size, hashes, rows, row groups, codecs, keys, columns', async () => {
    const file = path.join(dir, 'a.parquet');
    await writeParquet(ohlcvTable(300), file, { compression: 'zstd', rowGroupSize: 128, metadata: { 'mes_data.layer': 'raw' } });
    const summary = await summarizeParquetFile(file);
    const meta = await getParquetMetadata(file);
    expect(summary).toMatchObject({ bytes: fs.statSync(file).size, sha256: sha(file), rows: 300, rowGroups: 3 });
    expect(new Set(summary.codecs)).toEqual(new Set(['ZSTD']));
    expect(summary.keyValue).toEqual(meta.keyValue);
    expect(summary.columns[0]).toMatch(/^timestamp:Timestamp<(NANO|MICRO|MILLI)SECOND, UTC>:(true|false)$/);
    // the same summary from the bytes in memory
    expect(summarizeParquetBytes(fs.readFileSync(file), file)).toEqual(summary);
  });

  it('replaces the key-value metadata in place: the rows stay, the keys are the new ones, the digest ignores the source keys', async () => {
    const file = path.join(dir, 'b.parquet');
    await writeParquet(ohlcvTable(50), file, { compression: 'snappy', metadata: { 'mes_data.layer': 'raw', old: 'x' } });
    const before = tableToJsonRows(await readParquet(file));
    const first = await rewriteFooter(file, { 'mes_data.layer': 'raw', 'mes_data.date': '2024-01-15', 'mes_data.source_sha256': 'a'.repeat(64), note: 'é ✓' });
    expect((await getParquetMetadata(file)).keyValue).toEqual({ 'mes_data.layer': 'raw', 'mes_data.date': '2024-01-15', 'mes_data.source_sha256': 'a'.repeat(64), note: 'é ✓' });
    expect(tableToJsonRows(await readParquet(file))).toEqual(before);
    expect(first).toMatchObject({ bytes: fs.statSync(file).size, sha256: sha(file), rows: 50 });
    // another source, same rows: another file hash, the same content digest
    const second = await rewriteFooter(file, { 'mes_data.layer': 'raw', 'mes_data.date': '2024-01-15', 'mes_data.source_sha256': 'b'.repeat(64), note: 'é ✓' });
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.contentSha256).toBe(first.contentSha256);
    // another date is other content
    const third = await rewriteFooter(file, { 'mes_data.layer': 'raw', 'mes_data.date': '2024-01-16', 'mes_data.source_sha256': 'b'.repeat(64), note: 'é ✓' });
    expect(third.contentSha256).not.toBe(first.contentSha256);
  });

  it('adds key-value metadata to a file written without any (DuckDB, no KV_METADATA)', async () => {
    const file = path.join(dir, 'duck.parquet');
    await withConnection((c) => c.run(`COPY (SELECT range AS n, range * 0.5 AS x FROM range(1000)) TO ${sqlString(file)} (FORMAT parquet)`, 'write a test file'));
    expect((await getParquetMetadata(file)).keyValue).toEqual({});
    await rewriteFooter(file, { 'mes_data.date': '2024-01-15' });
    const meta = await getParquetMetadata(file);
    expect(meta.keyValue).toEqual({ 'mes_data.date': '2024-01-15' });
    expect(meta.numRows).toBe(1000);
    const rows = await withConnection((c) => c.rows(`SELECT count(*)::INTEGER AS n, sum(x) AS s FROM read_parquet(${sqlString(file)})`, 'read the test file'));
    expect(rows).toEqual([{ n: 1000, s: 249_750 }]);
  });

  it('takes a column out of the footer: readers see the others, with every row', async () => {
    const file = path.join(dir, 'rows.parquet');
    await withConnection((c) =>
      c.run(`COPY (SELECT range AS a, range * 7 AS __row, range::VARCHAR AS b FROM range(250000)) TO ${sqlString(file)} (FORMAT parquet, ROW_GROUP_SIZE 100000)`, 'write a test file'),
    );
    const summary = await rewriteFooter(file, { 'mes_data.date': '2024-01-15' }, '__row');
    expect({ columns: summary.columns, rows: summary.rows, rowGroups: summary.rowGroups, keyValue: summary.keyValue }).toEqual({
      columns: ['a:Int64:true', 'b:Utf8:true'],
      rows: 250000,
      rowGroups: 3,
      keyValue: { 'mes_data.date': '2024-01-15' },
    });
    const table = await readParquet(file);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['a', 'b']);
    expect(tableToJsonRows(table.slice(249_998))).toEqual([
      { a: 249998, b: '249998' },
      { a: 249999, b: '249999' },
    ]);
    const described = await withConnection((c) => c.rows(`SELECT count(*)::INTEGER AS n, max(a)::INTEGER AS a, max(b) AS b FROM read_parquet(${sqlString(file)})`, 'read the test file'));
    expect(described).toEqual([{ n: 250000, a: 249999, b: '99999' }]);
    await expect(rewriteFooter(file, {}, 'missing')).rejects.toMatchObject({ code: 'CORRUPTED_FILE', message: `${file}: cannot drop column "missing" from the Parquet footer: no top-level column "missing"` });
  });

  it('a damaged footer is CORRUPTED_FILE naming the file', async () => {
    const file = path.join(dir, 'bad.parquet');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(20, 0xff), Buffer.from([10, 0, 0, 0]), Buffer.from('PAR1')]));
    await expect(summarizeParquetFile(file)).rejects.toMatchObject({ code: 'CORRUPTED_FILE', message: expect.stringContaining(file) as string });
    expect(() => replaceFooterKeyValue(Buffer.from([0x19, 0xff]), {}, file)).toThrow(expect.objectContaining({ code: 'CORRUPTED_FILE' }) as Error);
    fs.writeFileSync(file, 'short');
    await expect(summarizeParquetFile(file)).rejects.toMatchObject({ code: 'CORRUPTED_FILE', message: `${file} is too short to be a Parquet file (5 bytes)` });
    expect(() => summarizeParquetBytes(Buffer.from('PAR1 no footer here PAR2'), file)).toThrow(
      expect.objectContaining({ code: 'CORRUPTED_FILE', message: `${file} has no valid Parquet footer (footer length 543519333 in a file of 24 bytes)` }) as Error,
    );
  });
});
