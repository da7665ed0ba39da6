import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../core/errors.js';
import { readParquet } from '../../core/parquet/parquetFile.js';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { ingestIntoStore } from '../../core/store/ingestIntoStore.js';
import { initStore } from '../../core/store/openStore.js';
import type { Store } from '../../core/store/storeLayout.js';
import { readTarget } from '../../core/validation/validateDataset.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';
import { seededRandom as random } from '../../core/demo/seededRandom.js';

/**
 * A seeded, bounded fuzz test: mutants of one valid Parquet file and one valid CSV file
 * (bit flips, overwritten bytes with boundary values, truncations, insertions, duplicated
 * and deleted spans, a rewritten footer length) go through every reader a user's file
 * meets: our Parquet reader, the validate read (DuckDB for Parquet, the ingest reader for
 * CSV) and an ingest dry run. Each read either succeeds or throws a typed MesDataError
 * (never INTERNAL, never a bare Error) within its time bound. The same seed gives the same
 * mutants, so a failure names the mutant to replay.
 */

const SEED = 20261201;
const PARQUET_MUTANTS = 130;
const CSV_MUTANTS = 130;
/** One read of one small mutant must end within this, in milliseconds (a hang fails the test). */
const READ_BOUND_MS = 15_000;

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x2c, 0x22, 0x0a, 0x0d, 0x3b, 0x09];

/** One mutant of `bytes` and what was done to it. */
function mutate(bytes: Uint8Array, next: () => number, parquet: boolean): { data: Uint8Array; how: string } {
  const at = (n: number) => Math.floor(next() * n);
  const data = Uint8Array.from(bytes);
  const kind = at(parquet ? 8 : 7);
  switch (kind) {
    case 0: {
      const flips = 1 + at(8);
      for (let i = 0; i < flips; i++) data[at(data.length)] ^= 1 << at(8);
      return { data, how: `${flips} bit flip(s)` };
    }
    case 1: {
      const count = 1 + at(16);
      for (let i = 0; i < count; i++) data[at(data.length)] = BOUNDARY[at(BOUNDARY.length)];
      return { data, how: `${count} byte(s) set to boundary values` };
    }
    case 2: {
      const length = at(data.length);
      return { data: data.slice(0, length), how: `truncated to ${length} bytes` };
    }
    case 3: {
      const where = at(data.length);
      const insert = Uint8Array.from({ length: 1 + at(64) }, () => at(256));
      return { data: Uint8Array.from([...data.slice(0, where), ...insert, ...data.slice(where)]), how: `${insert.length} random byte(s) inserted at ${where}` };
    }
    case 4: {
      const start = at(data.length);
      const end = Math.min(data.length, start + 1 + at(256));
      return { data: Uint8Array.from([...data.slice(0, end), ...data.slice(start, end), ...data.slice(end)]), how: `bytes ${start}–${end} duplicated` };
    }
    case 5: {
      const start = at(data.length);
      const end = Math.min(data.length, start + 1 + at(256));
      return { data: Uint8Array.from([...data.slice(0, start), ...data.slice(end)]), how: `bytes ${start}–${end} deleted` };
    }
    case 6: {
      // a span of random bytes over the middle (CSV: binary garbage inside the text)
      const start = at(data.length);
      for (let i = start; i < Math.min(data.length, start + 32); i++) data[i] = at(256);
      return { data, how: `32 random bytes from ${start}` };
    }
    default: {
      // the footer length (the 4 bytes before the closing "PAR1"): huge, zero or just off
      const value = [0xffffffff, 0, 0x7fffffff, new DataView(data.buffer).getUint32(data.length - 8, true) + 1 + at(1000)][at(4)];
      new DataView(data.buffer).setUint32(data.length - 8, value >>> 0, true);
      return { data, how: `footer length set to ${value >>> 0}` };
    }
  }
}

async function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${READ_BOUND_MS} ms`)), READ_BOUND_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Result = { ok: true } | { ok: false; code: string };

/** Runs one read; a typed error is a result, anything else fails the test with the mutant named. */
async function attempt(read: () => Promise<unknown>, what: string, file: string): Promise<Result> {
  try {
    await bounded(read(), what);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof MesDataError) || error.code === 'INTERNAL') {
      throw new Error(`${what}: not a typed error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
    }
    expect(error.message.includes(path.basename(file)) || JSON.stringify(error.details).includes(path.basename(file)), `${what}: ${error.code} "${error.message}" does not name the file`).toBe(true);
    return { ok: false, code: error.code };
  }
}

describe('fuzz: mutated Parquet and CSV files give typed errors or correct reads', () => {
  const { dir, cleanup } = tempDir('mes-data-fuzz-');
  let store: Store;
  let parquet: Uint8Array;
  let csv: Uint8Array;
  const tally = new Map<string, number>();
  const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

  beforeAll(async () => {
    store = (await initStore(path.join(dir, 'store'))).store;
    const file = path.join(dir, 'base.parquet');
    await writeParquet(ohlcvTable(300), file, { rowGroupSize: 100 });
    parquet = fs.readFileSync(file);
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 120; i++) lines.push(`2024-01-03T${String(15 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z,${5000 + i * 0.25},${5001 + i * 0.25},${4999 + i * 0.25},${5000.5 + i * 0.25},${100 + i}`);
    csv = Buffer.from(`${lines.join('\n')}\n`);
  });
  afterAll(() => {
    process.stdout.write(`fuzz outcomes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}\n`);
    cleanup();
  });

  it(`${PARQUET_MUTANTS} Parquet mutants (seed ${SEED}) through our reader and the validate read`, async () => {
    const next = random(SEED);
    const started = Date.now();
    for (let i = 0; i < PARQUET_MUTANTS; i++) {
      const { data, how } = mutate(parquet, next, true);
      const file = path.join(dir, `mutant-${i}.parquet`);
      fs.writeFileSync(file, data);
      const own = await attempt(() => readParquet(file), `parquet mutant ${i} (${how}), our reader`, file);
      const validate = await attempt(() => readTarget(null, file), `parquet mutant ${i} (${how}), validate read`, file);
      count(`parquet/ours/${own.ok ? 'read' : own.code}`);
      count(`parquet/validate/${validate.ok ? 'read' : validate.code}`);
      fs.rmSync(file);
    }
    process.stdout.write(`${PARQUET_MUTANTS} Parquet mutants in ${Date.now() - started} ms\n`);
  }, 300_000);

  it(`${CSV_MUTANTS} CSV mutants (seed ${SEED + 1}) through the validate read and an ingest dry run`, async () => {
    const next = random(SEED + 1);
    const started = Date.now();
    for (let i = 0; i < CSV_MUTANTS; i++) {
      const { data, how } = mutate(csv, next, false);
      const file = path.join(dir, `MES_mutant-${i}.csv`);
      fs.writeFileSync(file, data);
      const validate = await attempt(() => readTarget(null, file), `csv mutant ${i} (${how}), validate read`, file);
      const ingest = await attempt(() => ingestIntoStore(store, [file], { asset: 'MES', dryRun: true }), `csv mutant ${i} (${how}), ingest dry run`, file);
      count(`csv/validate/${validate.ok ? 'read' : validate.code}`);
      count(`csv/ingest/${ingest.ok ? 'read' : ingest.code}`);
      fs.rmSync(file);
    }
    // a dry run writes nothing
    expect(fs.readdirSync(path.join(store.root, 'raw'))).toEqual([]);
    process.stdout.write(`${CSV_MUTANTS} CSV mutants in ${Date.now() - started} ms\n`);
  }, 300_000);
});
