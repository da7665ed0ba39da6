/**
 * Child process of parquetBench.ts: measures how much the resident set of a fresh process
 * grows while it previews a Parquet file (open + 10 pages), so nothing the benchmark did
 * before (a 5M-row table, DuckDB) blurs the figure. Sends one PreviewRssResult to the parent.
 *
 *   argv: <ours|duckdb> <file> <pageRows> <offsets as JSON>
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { DecoderPool } from '../core/parquet/decoderPool.js';
import { openParquetFile } from '../core/parquet/parquetFile.js';
import { sqlString } from './benchUtil.js';

export interface PreviewRssResult {
  engine: 'ours' | 'duckdb';
  before: number;
  peak: number;
  after: number;
  afterClose: number;
  wasmBytes: number | null;
  ms: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const [engine, file, pageRowsArg, offsetsArg] = process.argv.slice(2);
  const pageRows = Number(pageRowsArg);
  const offsets = JSON.parse(offsetsArg) as number[];
  if (engine !== 'ours' && engine !== 'duckdb') throw new Error(`unknown engine ${engine}`);

  gc();
  await sleep(50);
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 2);
  const start = performance.now();
  let wasmBytes: number | null = null;
  let close: () => Promise<void>;

  if (engine === 'ours') {
    const pool = new DecoderPool();
    const handle = await openParquetFile(file, { decoder: pool });
    sample();
    for (const offset of offsets) {
      const page = await handle.readRows(offset, pageRows);
      if (page.numRows !== pageRows) throw new Error(`expected ${pageRows} rows at ${offset}, got ${page.numRows}`);
      sample();
    }
    wasmBytes = pool.wasmBytes;
    close = () => pool.close();
  } else {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    sample();
    for (const offset of offsets) {
      const result = await connection.run(`SELECT * FROM read_parquet(${sqlString(file)}) OFFSET ${offset} LIMIT ${pageRows}`);
      const rows = await result.getRowsJS();
      if (rows.length !== pageRows) throw new Error(`expected ${pageRows} rows at ${offset}, got ${rows.length}`);
      sample();
    }
    close = () => {
      connection.closeSync();
      instance.closeSync();
      return Promise.resolve();
    };
  }
  const ms = performance.now() - start;
  sample();
  clearInterval(timer);
  const after = process.memoryUsage().rss;
  await close();
  await sleep(200);
  gc();
  await sleep(50);
  const afterClose = process.memoryUsage().rss;
  const result: PreviewRssResult = { engine, before, peak, after, afterClose, wasmBytes, ms };
  if (process.send) process.send(result);
  else console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
