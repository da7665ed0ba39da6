/**
 * Schema evolution by field id: what Iceberg v2 allows (add, rename, int → long,
 * float → double, decimal precision), what it refuses with SCHEMA_MISMATCH naming the
 * column and both types, and a table read after a rename and a promotion by our reader and
 * by icebird, old files and new alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine, withConnection } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';
import { writeDataFile } from '../../../core/iceberg/dataFileWrite.js';
import type { IcebergSchema } from '../../../core/iceberg/icebergSchema.js';
import { addColumn, canPromote, commitSchema, dropColumn, evolveFor, renameColumn, widenColumn } from '../../../core/iceberg/schemaEvolution.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { currentSchema } from '../../../core/iceberg/tableMetadata.js';
import { listSnapshots } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { appendFiles, createTable, newDataFilePath } from '../../../core/iceberg/tableWrite.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';

const SCHEMA: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'date', required: true, type: 'date' },
    { id: 2, name: 'close', required: true, type: 'float' },
    { id: 3, name: 'trades', required: false, type: 'int' },
    { id: 4, name: 'fee', required: false, type: 'decimal(9, 2)' },
  ],
};

function refusal(work: () => unknown): [string, string, Record<string, unknown>] {
  try {
    work();
  } catch (error) {
    if (error instanceof MesDataError) return [error.code, error.message, error.details];
    throw error;
  }
  throw new Error('expected a MesDataError');
}

describe('schema changes Iceberg v2 allows', () => {
  it('promotes int → long, float → double and decimal precision only', () => {
    expect([canPromote('int', 'long'), canPromote('float', 'double'), canPromote('decimal(9, 2)', 'decimal(18, 2)'), canPromote('long', 'long')]).toEqual([true, true, true, true]);
    expect([canPromote('int', 'float'), canPromote('int', 'double'), canPromote('long', 'int'), canPromote('double', 'float'), canPromote('decimal(9, 2)', 'decimal(18, 3)'), canPromote('decimal(9, 2)', 'decimal(9, 2)'), canPromote('date', 'timestamptz')]).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      false,
    ]);
  });

  it('adds a column with the next id, renames by id, widens; each a new schema id', () => {
    const added = addColumn(SCHEMA, 4, 'open_interest', 'long');
    expect([added['schema-id'], added.fields.at(-1)]).toEqual([1, { id: 5, name: 'open_interest', required: false, type: 'long' }]);
    const renamed = renameColumn(added, 'close', 'settle');
    expect(renamed.fields.map((f) => [f.id, f.name])).toEqual([
      [1, 'date'],
      [2, 'settle'],
      [3, 'trades'],
      [4, 'fee'],
      [5, 'open_interest'],
    ]);
    const widened = widenColumn(widenColumn(widenColumn(renamed, 'trades', 'long'), 'settle', 'double'), 'fee', 'decimal(12, 2)');
    expect([widened['schema-id'], widened.fields.map((f) => f.type)]).toEqual([5, ['date', 'double', 'long', 'decimal(12, 2)', 'long']]);
    expect(SCHEMA.fields[1].name).toBe('close');
  });

  it('evolves toward new data: new columns added, allowed promotions applied, optional columns kept', () => {
    const next = evolveFor(SCHEMA, 4, [
      { name: 'date', type: 'date' },
      { name: 'close', type: 'double' },
      { name: 'trades', type: 'long' },
      { name: 'open_interest', type: 'long' },
    ]);
    expect(next.fields).toEqual([
      { id: 1, name: 'date', required: true, type: 'date' },
      { id: 2, name: 'close', required: true, type: 'double' },
      { id: 3, name: 'trades', required: false, type: 'long' },
      { id: 4, name: 'fee', required: false, type: 'decimal(9, 2)' },
      { id: 5, name: 'open_interest', required: false, type: 'long' },
    ]);
    expect(evolveFor(SCHEMA, 4, SCHEMA.fields.map((f) => ({ name: f.name, type: f.type as 'int' })))).toBe(SCHEMA);
  });

  it('refuses breaking changes with SCHEMA_MISMATCH naming the column and both types', () => {
    expect(refusal(() => widenColumn(SCHEMA, 'trades', 'float'))).toEqual([
      'SCHEMA_MISMATCH',
      'column "trades" cannot change from int to float: Iceberg v2 promotes only int → long, float → double and decimal precision',
      { column: 'trades', from: 'int', to: 'float' },
    ]);
    expect(refusal(() => evolveFor(widenColumn(SCHEMA, 'trades', 'long'), 4, [{ name: 'date', type: 'date' }, { name: 'close', type: 'float' }, { name: 'trades', type: 'int' }]))).toEqual([
      'SCHEMA_MISMATCH',
      'column "trades" cannot change from long to int: Iceberg v2 promotes only int → long, float → double and decimal precision',
      { column: 'trades', from: 'long', to: 'int' },
    ]);
    expect(refusal(() => evolveFor(SCHEMA, 4, [{ name: 'date', type: 'date' }, { name: 'trades', type: 'int' }]))).toEqual([
      'SCHEMA_MISMATCH',
      'the required column "close" (float) is missing from the new data; dropping a required column breaks the table',
      { column: 'close', from: 'float', to: 'absent' },
    ]);
    expect(refusal(() => dropColumn(SCHEMA, 'close'))).toEqual(['SCHEMA_MISMATCH', 'column "close" (float) is required; it cannot be dropped', { column: 'close', from: 'float', to: 'absent' }]);
    expect(refusal(() => dropColumn(SCHEMA, 'date', [1]))[1]).toBe('column "date" (date) is required; it cannot be dropped');
    expect(dropColumn(SCHEMA, 'fee').fields.map((f) => f.name)).toEqual(['date', 'close', 'trades']);
    expect(refusal(() => evolveFor(SCHEMA, 4, [{ name: 'date', type: 'date' }, { name: 'close', type: 'string' }]))[0]).toBe('SCHEMA_MISMATCH');
    expect(refusal(() => addColumn(SCHEMA, 4, 'close', 'double'))).toEqual(['BAD_REQUEST', 'the table already has a column "close"', { column: 'close' }]);
  });
});

describe('a table read after a rename and a promotion', () => {
  let root: string;
  let dir: string;
  let restoreFetch: () => void;
  const schema: IcebergSchema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'date', required: true, type: 'date' },
      { id: 2, name: 'close', required: false, type: 'double' },
      { id: 3, name: 'trades', required: false, type: 'int' },
    ],
  };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-evolve-'));
    dir = path.join(root, 'ES');
    restoreFetch = serveFileUrls();
    await createTable(dir, schema);
    const old = newDataFilePath(dir, '2024-03-01');
    await withConnection((c) => writeDataFile(c, `SELECT DATE '2024-03-01' AS date, 5000.25::DOUBLE AS close, 7::INTEGER AS trades`, old, schema));
    await appendFiles(dir, [{ path: old }]);
    const table = await loadTable(dir);
    const evolved = widenColumn(renameColumn(currentSchema(table.metadata), 'close', 'settle'), 'trades', 'long');
    await commitSchema(dir, evolved);
    const next = newDataFilePath(dir, '2024-03-04');
    await withConnection((c) => writeDataFile(c, `SELECT DATE '2024-03-04' AS date, 5010.5::DOUBLE AS settle, 9000000000::BIGINT AS trades`, next, evolved));
    await appendFiles(dir, [{ path: next }]);
  });
  afterAll(async () => {
    restoreFetch();
    fs.rmSync(root, { recursive: true, force: true });
    await closeEngine();
  });

  it('reads old files under the new name and type with our reader', async () => {
    const table = await loadTable(dir);
    const [first, second] = listSnapshots(table);
    expect(await readSnapshotRows(table, second)).toEqual([
      { date: '2024-03-04', settle: 5010.5, trades: 9_000_000_000n },
      { date: '2024-03-01', settle: 5000.25, trades: 7n },
    ]);
    // the first snapshot with the schema it was written with
    expect(await readSnapshotRows(table, first)).toEqual([{ date: '2024-03-01', close: 5000.25, trades: 7 }]);
    expect(currentSchema(table.metadata).fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [1, 'date', 'date'],
      [2, 'settle', 'double'],
      [3, 'trades', 'long'],
    ]);
  });

  it('is read the same by icebird, which finds the renamed column by field id', async () => {
    const rows = await icebergRead({ tableUrl: fileLocation(dir) });
    expect(rows).toEqual([
      { date: new Date('2024-03-04T00:00:00Z'), settle: 5010.5, trades: 9_000_000_000n },
      { date: new Date('2024-03-01T00:00:00Z'), settle: 5000.25, trades: 7 },
    ]);
  });

  it('refuses a new file that does not carry the promoted type', async () => {
    const table = await loadTable(dir);
    const bad = newDataFilePath(dir, '2024-03-05');
    await withConnection((c) => writeDataFile(c, `SELECT DATE '2024-03-05' AS date, 'x' AS settle, 1::BIGINT AS trades`, bad, currentSchema(table.metadata)));
    await expect(appendFiles(dir, [{ path: bad }]).catch((e: MesDataError) => ({ code: e.code, message: e.message }))).resolves.toEqual({
      code: 'SCHEMA_MISMATCH',
      message: `${bad}: column "settle" (field id 2) does not fit the table: its Parquet type is BYTE_ARRAY UTF8, the table's field is double`,
    });
  });
});
