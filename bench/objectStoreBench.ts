/**
 * Issue 16: a page of 100 rows in the middle of a 5M-row Parquet object, read over range
 * requests from a bucket on moto_server over loopback (target ≤ 150 ms), beside the same
 * page read by the same code from a local folder. Cold: a new cache (the footer and the row
 * group fetched); warm: the footer cached, a page of another row group. Then the object's
 * upload: one PutObject of the bytes, a multipart upload of the bytes (parts of 8 MiB, four at
 * a time) and `putFile` streaming the file in the same parts, each `If-None-Match: *`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../core/objectStore/localObjectStore.js';
import { ObjectParquetReader, RangeCache } from '../core/objectStore/objectRangeReader.js';
import type { ObjectStore } from '../core/objectStore/objectStore.js';
import { S3ObjectStore } from '../core/objectStore/s3ObjectStore.js';
import { writeParquet } from '../core/parquet/writeParquet.js';
import { MOTO_CREDENTIALS, startMoto } from '../tests/helpers/motoServer.js';
import { fmtMB, fmtMs, fmtStat, mdTable, stat, timed } from './benchUtil.js';
import { generateOhlcv } from './ohlcv.js';

const ROWS = Number(process.env.MES_BENCH_OBJECT_ROWS ?? 5_000_000);
const RUNS = 7;
const TARGET_MS = 150;

async function measure(store: ObjectStore, key: string): Promise<{ cold: number[]; coldCpu: number[]; warm: number[]; fetched: number }> {
  const cold: number[] = [];
  const coldCpu: number[] = [];
  const warm: number[] = [];
  let fetched = 0;
  for (let run = 0; run < RUNS; run++) {
    const cache = new RangeCache(64 * 1024 * 1024);
    const middle = Math.floor(ROWS / 2) + run * 1000;
    const before = process.cpuUsage();
    const [ms, rows] = await timed(async () => (await ObjectParquetReader.open(store, key, cache)).readRows(middle, 100));
    const used = process.cpuUsage(before);
    if (rows.length !== 100) throw new Error(`expected 100 rows, got ${rows.length}`);
    cold.push(ms);
    coldCpu.push((used.user + used.system) / 1000);
    fetched = cache.stats.bytesFetched;
    const reader = await ObjectParquetReader.open(store, key, cache);
    const [warmMs] = await timed(() => reader.readRows(Math.floor(ROWS / 4) + run * 150_000, 100));
    warm.push(warmMs);
  }
  return { cold, coldCpu, warm, fetched };
}

const UPLOAD_RUNS = 3;
const PART = 8 * 1024 * 1024;

/** Wall and CPU time (this process) of `runs` uploads of the object, each to a new key. */
async function uploads(runs: number, upload: (key: string) => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const before = process.cpuUsage();
    const [ms] = await timed(() => upload(`uploads/${run}-${Math.random().toString(36).slice(2)}.parquet`));
    const used = process.cpuUsage(before);
    wall.push(ms);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

export async function runObjectStoreBench(): Promise<{ markdown: string; failed: boolean }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-objectstore-bench-'));
  const moto = await startMoto();
  try {
    if (!moto) return { markdown: '## Object storage\n\nNot measured: moto_server is not on the PATH.\n', failed: false };
    const file = path.join(root, 'data.parquet');
    await writeParquet(generateOhlcv(ROWS), file);
    const bytes = new Uint8Array(fs.readFileSync(file));
    await moto.createBucket('bench-lake');
    const s3 = new S3ObjectStore({ kind: 's3', bucket: 'bench-lake', prefix: 'mes/', endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true }, { credentials: MOTO_CREDENTIALS });
    await s3.put('cleaned/MES/v1/data.parquet', bytes);
    const local = new LocalObjectStore(path.join(root, 'store'));
    await local.put('cleaned/MES/v1/data.parquet', bytes);
    const onS3 = await measure(s3, 'cleaned/MES/v1/data.parquet');
    const onDisk = await measure(local, 'cleaned/MES/v1/data.parquet');
    const loadBefore = os.loadavg()[0] ?? 0;
    const location = { kind: 's3' as const, bucket: 'bench-lake', prefix: 'mes/', endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true };
    const parts = new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, multipartThreshold: PART, partSize: PART });
    const single = await uploads(UPLOAD_RUNS, (key) => s3.put(key, bytes, { ifNoneMatch: '*' }));
    const multi = await uploads(UPLOAD_RUNS, (key) => parts.put(key, bytes, { ifNoneMatch: '*' }));
    const streamed = await uploads(UPLOAD_RUNS, (key) => parts.putFile(key, file, { ifNoneMatch: '*' }));
    const partCount = Math.ceil(bytes.length / PART);
    const coldMedian = stat(onS3.cold).median;
    const failed = coldMedian > TARGET_MS;
    const markdown = [
      '## Object storage',
      '',
      `A page of 100 rows in the middle of a ${ROWS.toLocaleString('en-US')}-row Parquet object (${fmtMB(bytes.length)}, row groups of 122,880 rows), read with range requests through the range cache (core/objectStore/objectRangeReader.ts); ${RUNS} runs. Cold: a new cache, so the footer and the page's row group are fetched; warm: the footer cached, a page in another row group. moto_server on 127.0.0.1.`,
      '',
      mdTable(
        ['read', 'moto_server (S3 over loopback)', 'local folder (same code)', 'fetched per cold page'],
        [
          ['cold page (open + footer + row group)', fmtStat(stat(onS3.cold)), fmtStat(stat(onDisk.cold)), fmtMB(onS3.fetched)],
          ['cold page, CPU of this process', fmtStat(stat(onS3.coldCpu)), fmtStat(stat(onDisk.coldCpu)), ''],
          ['warm page (another row group)', fmtStat(stat(onS3.warm)), fmtStat(stat(onDisk.warm)), ''],
        ],
      ),
      '',
      `Upload of the same object (${fmtMB(bytes.length)}) to moto_server, \`If-None-Match: *\`, ${UPLOAD_RUNS} runs each; CPU is this process's (moto's own not counted). Load average ${loadBefore.toFixed(1)} before the uploads.`,
      '',
      mdTable(
        ['upload', 'wall', 'CPU'],
        [
          ['one PutObject of the bytes', fmtStat(stat(single.wall)), fmtStat(stat(single.cpu))],
          [`multipart of the bytes (${partCount} parts of 8 MiB, 4 at a time)`, fmtStat(stat(multi.wall)), fmtStat(stat(multi.cpu))],
          [`putFile: the same parts read from the file as sent`, fmtStat(stat(streamed.wall)), fmtStat(stat(streamed.cpu))],
        ],
      ),
      '',
      `Target: a cold page ≤ ${TARGET_MS} ms on loopback — ${failed ? `**missed** (${fmtMs(coldMedian)})` : `met (${fmtMs(coldMedian)})`}. Load average at the end: ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores (moto_server is one Python process; its answers slow down first on a busy machine).`,
      '',
    ].join('\n');
    return { markdown, failed };
  } finally {
    await moto?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
