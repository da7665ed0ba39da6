/**
 * Iceberg benchmark: one more trading day onto ten years, as a new snapshot of an Iceberg
 * table (core/iceberg), beside DuckDB writing that day's file alone and DuckDB writing the
 * whole ten years again (what a version that is a full copy costs). Also the replace of
 * one old day, and what a daily snapshot adds to the disk.
 *
 *   npx tsx bench/icebergBench.ts        prints the Markdown section
 *
 * The table: 2,610 weekdays from 2010-01-04, 390 one-minute bars a day (1,017,900 rows),
 * one zstd data file a day, committed as one append; built fresh in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeEngine, sqlString, withConnection } from '../core/engine/duckdbEngine.js';
import { icebergCopyOptions, writeDataFile } from '../core/iceberg/dataFileWrite.js';
import type { IcebergSchema } from '../core/iceberg/icebergSchema.js';
import { appendFiles, createTable, newDataFilePath, replacePartitions } from '../core/iceberg/tableWrite.js';
import { promoteRaw } from '../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../core/schema/predefinedSchemas.js';
import { initStore } from '../core/store/openStore.js';
import { commitRawSnapshots } from '../core/store/rawSnapshot.js';
import { fmtMB, fmtMs, fmtRatio, fmtStat, mdTable, stat, timed } from './benchUtil.js';
import { runMeasured } from './scaleProcess.js';
import { buildCliIfStale } from '../scripts/buildCli.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const DAYS = 2_610;
const BARS = 390;
const RUNS = 5;

const SCHEMA: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'date', required: true, type: 'date' },
    { id: 2, name: 'timestamp', required: true, type: 'timestamptz' },
    { id: 3, name: 'close', required: false, type: 'double' },
    { id: 4, name: 'volume', required: false, type: 'long' },
  ],
};

function weekdays(count: number): string[] {
  const out: string[] = [];
  for (let d = 0; out.length < count; d++) {
    const day = new Date(Date.UTC(2010, 0, 4) + d * 86_400_000);
    if (day.getUTCDay() % 6 !== 0) out.push(day.toISOString().slice(0, 10));
  }
  return out;
}

/** The bars of the dates in `dates` (a SQL list), in the table's column order. */
function barsOf(datesSql: string): string {
  return `SELECT d::DATE AS date, (d::TIMESTAMP + INTERVAL 14 HOUR + m * INTERVAL 1 MINUTE)::TIMESTAMPTZ AS timestamp, (4000 + m * 0.25)::DOUBLE AS close, (m % 50)::BIGINT AS volume FROM (SELECT unnest(${datesSql}) AS d), range(${BARS}) r(m)`;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  return total;
}

export async function runIcebergBench(): Promise<{ markdown: string; failed: boolean }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-bench-'));
  try {
    const dir = path.join(root, 'MES');
    const all = weekdays(DAYS + 2 * RUNS + 1);
    const history = all.slice(0, DAYS);
    await createTable(dir, SCHEMA);
    // ten years, one file a day: one partitioned COPY, the files moved to data/<date>/
    const stage = path.join(root, 'stage');
    await withConnection((c) => c.run(`COPY (${barsOf(`[${history.map(sqlString).join(', ')}]`)}) TO ${sqlString(stage)} (${icebergCopyOptions(SCHEMA)}, PARTITION_BY (date), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'part-{i}')`, 'staging the history'));
    const files = history.map((date) => {
      const to = newDataFilePath(dir, date);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(path.join(stage, `date=${date}`, 'part-0.parquet'), to);
      return { path: to };
    });
    const [historyMs] = await timed(() => appendFiles(dir, files));

    const appendMs: number[] = [];
    const commitMs: number[] = [];
    const dayFileMs: number[] = [];
    const growth: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const date = all[DAYS + run];
      const before = folderBytes(dir);
      const [total] = await timed(async () => {
        const file = newDataFilePath(dir, date);
        await withConnection((c) => writeDataFile(c, barsOf(`[${sqlString(date)}]`), file, SCHEMA));
        const [ms] = await timed(() => appendFiles(dir, [{ path: file }]));
        commitMs.push(ms);
      });
      appendMs.push(total);
      growth.push(folderBytes(dir) - before);
      // DuckDB's part: the same day's bars to one Parquet file, nothing else
      const peer = path.join(root, `day-${run}.parquet`);
      const [ms] = await timed(() => withConnection((c) => c.run(`COPY (${barsOf(`[${sqlString(date)}]`)}) TO ${sqlString(peer)} (FORMAT parquet, COMPRESSION zstd)`, 'peer day')));
      dayFileMs.push(ms);
    }
    const replaceMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const date = history[100 + run * 200];
      const [ms] = await timed(async () => {
        const file = newDataFilePath(dir, date);
        await withConnection((c) => writeDataFile(c, barsOf(`[${sqlString(date)}]`), file, SCHEMA));
        await replacePartitions(dir, [{ path: file }]);
      });
      replaceMs.push(ms);
    }
    // a version that is a full copy: DuckDB writes the ten years and the new day again
    const copyDir = path.join(root, 'full-copy');
    const [fullMs] = await timed(() => withConnection((c) => c.run(`COPY (${barsOf(`[${all.slice(0, DAYS + 1).map(sqlString).join(', ')}]`)}) TO ${sqlString(copyDir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))`, 'full copy')));
    const fullBytes = folderBytes(copyDir);
    const append = stat(appendMs);
    const full = stat([fullMs]);
    const markdown = [
      '## Iceberg tables: one more day onto ten years',
      '',
      `A table of ${DAYS.toLocaleString('en-US')} trading days (${(DAYS * BARS).toLocaleString('en-US')} one-minute bars, one zstd file a day, committed as one snapshot in ${fmtStat(stat([historyMs]))}). Each new day is written with the table's field ids and appended as a snapshot; the commit opens none of the older manifests (their date ranges rule the day out). bench/icebergBench.ts.`,
      '',
      mdTable(
        ['operation', 'ours', 'DuckDB', 'ratio'],
        [
          ['one new day: its file + the snapshot', fmtStat(append), `${fmtStat(stat(dayFileMs))} (the day's file alone)`, fmtRatio(append.median, stat(dayFileMs).median)],
          ['… of which the commit (manifest, list, metadata, hint, all synced)', fmtStat(stat(commitMs)), '–', '–'],
          ['one new day as a full copy (today\u2019s versions)', '–', `${fmtStat(full)} (all ${(DAYS + 1).toLocaleString('en-US')} days written again)`, `1/${Math.round(full.median / append.median)}`],
          ['replace one old day (its file + the snapshot)', fmtStat(stat(replaceMs)), '–', '–'],
        ],
      ),
      '',
      `Disk added by one daily snapshot: ${(stat(growth).median / 1000).toFixed(1)} kB (the day's data file, one manifest, the manifest list and the new metadata file; every metadata file repeats the kept snapshots, see docs/iceberg.md), against ${fmtMB(fullBytes)} for a full copy.`,
      '',
    ].join('\n');
    return { markdown: `${markdown}\n${await dailyPromote(root)}`, failed: false };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** CPU time (user + system, ms) of this process's children that have ended, from /proc/self/stat (0 where there is none). */
function childrenCpuMs(): number {
  try {
    // the fields after the command's name: cutime and cstime are the 14th and 15th of them, in clock ticks (100 a second)
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ').at(-1)?.split(' ') ?? [];
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

/** Bytes of every file below `dir`, each inode counted once (a version folder of links adds no data). */
function diskBytes(dir: string): number {
  const seen = new Set<number>();
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const stats = fs.statSync(path.join(entry.parentPath, entry.name));
    if (seen.has(stats.ino)) continue;
    seen.add(stats.ino);
    total += stats.size;
  }
  return total;
}

/**
 * The same ten years through `promote` in a format-2 store: the whole history once, then
 * one more raw day at a time (incremental: the older dates are shared, one file written),
 * beside DuckDB copying that day's raw file; the disk growth counts each inode once.
 */
async function dailyPromote(root: string): Promise<string> {
  const storeDir = path.join(root, 'store');
  const { store } = await initStore(storeDir);
  // the history, RUNS days in process, RUNS days a process for each build measured
  const all = weekdays(DAYS + (process.env.MES_BENCH_BIN ? 3 : 2) * RUNS);
  const source = path.join(root, 'raw-source');
  const ohlcv = (datesSql: string) =>
    `SELECT (d::TIMESTAMP + INTERVAL 14 HOUR + m * INTERVAL 1 MINUTE)::TIMESTAMPTZ AS timestamp, (4000 + m * 0.25)::DOUBLE AS open, (4000.5 + m * 0.25)::DOUBLE AS high, (3999.5 + m * 0.25)::DOUBLE AS low, (4000.25 + m * 0.25)::DOUBLE AS close, (100 + m % 50)::BIGINT AS volume, strftime(d::DATE, '%Y-%m-%d') AS day FROM (SELECT unnest(${datesSql}) AS d), range(${BARS}) r(m)`;
  await withConnection((c) => c.run(`COPY (${ohlcv(`[${all.map(sqlString).join(', ')}]`)}) TO ${sqlString(source)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))`, 'raw source files'));
  const sourceOf = (date: string) => path.join(source, `day=${date}`, 'data_0.parquet');
  await commitRawSnapshots(store, all.slice(0, DAYS).map((date) => ({ asset: 'MES', date, name: 'bars', sourceParquetPath: sourceOf(date) })));
  const [historyMs] = await timed(() => promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA }));
  const promoteMs: number[] = [];
  const copyMs: number[] = [];
  const growth: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const date = all[DAYS + run];
    await commitRawSnapshots(store, [{ asset: 'MES', date, name: 'bars', sourceParquetPath: sourceOf(date) }]);
    const before = diskBytes(storeDir);
    const [ms, result] = await timed(() => promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true }));
    if (result.dates.written !== 1 || result.dates.shared !== DAYS + run) throw new Error(`the daily promote wrote ${result.dates.written} and shared ${result.dates.shared} dates`);
    growth.push(diskBytes(storeDir) - before);
    promoteMs.push(ms);
    const [copy] = await timed(() => withConnection((c) => c.run(`COPY (SELECT * FROM read_parquet(${sqlString(path.join(storeDir, 'raw', 'MES', date, 'bars.parquet'))})) TO ${sqlString(path.join(root, `copy-${run}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`, 'copy of the day')));
    copyMs.push(copy);
  }
  const daily = stat(promoteMs);
  // the same through the command, a process each (package.json bin, built from today's sources),
  // and, alternately, through another build of it when MES_BENCH_BIN names one (a copy of dist/cli/ made before a change)
  await buildCliIfStale(ROOT);
  const bin = path.join(ROOT, 'dist', 'cli', 'mes-data.mjs');
  const otherBin = process.env.MES_BENCH_BIN ? path.resolve(process.env.MES_BENCH_BIN) : null;
  const builds = [{ bin, wallMs: [] as number[], cpuMs: [] as number[] }];
  if (otherBin) builds.push({ bin: fs.statSync(otherBin).isDirectory() ? path.join(otherBin, 'mes-data.mjs') : otherBin, wallMs: [], cpuMs: [] });
  let day = DAYS + RUNS;
  for (let run = 0; run < RUNS; run++) {
    for (const build of builds) {
      const date = all[day++];
      await commitRawSnapshots(store, [{ asset: 'MES', date, name: 'bars', sourceParquetPath: sourceOf(date) }]);
      const cpuBefore = childrenCpuMs();
      const child = await runMeasured(process.execPath, [build.bin, 'promote', '--store', storeDir, '--asset', 'MES', '--append', '--json'], { timeoutMs: 300_000 });
      build.cpuMs.push(childrenCpuMs() - cpuBefore);
      const written = child.exitCode === 0 ? (JSON.parse(child.stdout) as { dates?: { written?: number } }).dates?.written : undefined;
      if (written !== 1) throw new Error(`${build.bin} promote --append of ${date} ended with ${child.exitCode}: ${child.stderrTail}`);
      build.wallMs.push(child.wallMs);
    }
  }
  const processMs = builds[0].wallMs;
  const version = await runMeasured(process.execPath, [bin, '--version'], { timeoutMs: 60_000 });
  const processRow = (label: string, build: (typeof builds)[number]) => [label, `${fmtStat(stat(build.wallMs))}; CPU ${fmtStat(stat(build.cpuMs))}`, '–', `\`mes-data --version\` took ${fmtStat(stat([version.wallMs]))}`];
  return [
    '### Daily promote onto ten years, through `promote`',
    '',
    `A format-2 store with ${DAYS.toLocaleString('en-US')} raw trading days of ${BARS} one-minute bars, promoted whole once (${fmtStat(stat([historyMs]))}); then one more raw day, promoted with \`--append\` (the ${DAYS.toLocaleString('en-US')} older dates kept by reference: one data file written, linked into the new version folder, one appended snapshot). bench/icebergBench.ts.`,
    '',
    mdTable(
      ['operation', 'ours', 'DuckDB', 'ratio'],
      [
        ['one new raw day onto ten years: gate, write, commit, version folder', fmtStat(daily), `${fmtStat(stat(copyMs))} (copying the day's raw file)`, fmtRatio(daily.median, stat(copyMs).median)],
        processRow('the same as a process: `mes-data promote --asset MES --append --json`', builds[0]),
        ...(builds[1] ? [processRow(`… the build in MES_BENCH_BIN, run alternately`, builds[1])] : []),
      ],
    ),
    '',
    `CPU of a process: user and system time of all its threads (the bench's children, from /proc/self/stat). Load average at the end: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores.`,
    '',
    `Disk added by one daily version (du of the store before and after, each inode once): ${(stat(growth).median / 1000).toFixed(1)} kB (the day's data file, the sidecar and the list pieces it writes, the Iceberg files of the snapshot less the metadata file it retires); the version folder's ${(DAYS + 1).toLocaleString('en-US')} links, which the command line's \`cleaned/vN/MES/\` paths need, add directory entries, not counted here.`,
    '',
    `Issue 15's target, a daily promote onto ten years in under a second: ${daily.median < 1000 ? 'met' : '**not met**'} in a running process (the app's host, a job: median ${fmtMs(daily.median)}); the command as a whole process takes ${fmtMs(stat(processMs).median)} (median), starting Node and its bundle included.`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runIcebergBench()
    .then(async ({ markdown }) => {
      process.stdout.write(`${markdown}\n`);
      await closeEngine();
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
}
