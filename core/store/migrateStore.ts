import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError, MesDataError } from '../errors.js';
import { NAME_MAPPING_PROPERTY, type PartitionInput } from '../iceberg/dataFiles.js';
import type { DataType } from 'apache-arrow';
import { icebergSchemaOf, typeNameOf, type ArrowColumn, type IcebergSchema } from '../iceberg/icebergSchema.js';
import { commitSchema } from '../iceberg/schemaEvolution.js';
import { currentVersion, loadTable } from '../iceberg/tableCommit.js';
import { listSnapshots, snapshotDataFiles, snapshotForVersion } from '../iceberg/tableRead.js';
import { appendFiles, createTable, replacePartitions, type NewDataFile } from '../iceberg/tableWrite.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import { crashPoint } from './crashPoints.js';
import { errnoOf, exists, fsyncDir, ioError, listDir, mkdirDurable, moveNoReplace, removeTree, writeFileDurable } from './durableFs.js';
import { hashFile } from './fileHash.js';
import { openStore } from './openStore.js';
import type { DatasetMetadata } from './metadataManager.js';
import { retireStaleRevisions, staleRevisions } from './rawSnapshot.js';
import { STORE_TABLE_PROPERTIES } from './versionCommit.js';
import { acquireStoreLock } from './storeLock.js';
import {
  STORE_MARKER,
  VERSION_LEDGER,
  absolute,
  featureKey,
  linkFileName,
  parseVersionFolder,
  rawSidecarPath,
  tablePath,
  versionPath,
  versionSidecarPath,
  type Store,
  type VersionedLayer,
} from './storeLayout.js';
import { checkAssetName, checkFeatureSetName, isValidName } from './storeNames.js';

/**
 * `mes-data migrate`: a store of format 1 becomes format 2 in place (docs/data_storage_structure.md,
 * "Migrating a format-1 store"). Crash-safe and resumable:
 *
 * 1. the plan is computed from the format-1 layout and written durably to
 *    `.migration/journal.json` (the commit point: from then on a rerun follows the journal,
 *    not the half-converted folders); nothing has moved before it;
 * 2. raw sidecars move to `catalog/raw/{ASSET}/{DATE}.json`;
 * 3. each versioned dataset (cleaned `{ASSET}`, a feature set of one asset) becomes an Iceberg
 *    table: per version, oldest first, its data files move into the table's `data/` (the same
 *    bytes; a file whose sha256 an earlier version already stored is not stored again), the
 *    snapshot is committed with the version's own number (gaps stay), the sidecar is written
 *    to `catalog/` with `files[].path` (and the paths of cleaned inputs in `dependencies`)
 *    naming the new version folder's files, and the version folder is rebuilt flat: hard links
 *    to the snapshot's files. Format-1 files have no Iceberg field ids: the table's
 *    `schema.name-mapping.default` maps their column names to ids (core/iceberg reads it);
 *    the `date` partition of cleaned data is not in those files, so the table has `date` as
 *    an optional column its identity partition fills (Iceberg readers) and the files keep
 *    only what they held. A version whose files bring columns the versions before it lack
 *    (a vendor that started sending `open_interest`) first commits the schema with them
 *    (`evolvedSchema`), so older snapshots keep theirs;
 * 4. the version ledger is rewritten with format 2's keys (a feature set's `ASSET/set`);
 * 5. the marker switches to format 2, last; then the journal goes.
 *
 * Every step checks what is already done, so a rerun after a kill at any point finishes the
 * migration and ends with the same store. A feature set's asset is the one its sidecar names
 * (format 1 writes it); a set without one is refused (BAD_REQUEST) before anything moves.
 */

const JOURNAL_DIR = '.migration';
const JOURNAL = 'journal.json';

interface PlannedFile {
  /** store-relative, in the format-1 version folder */
  from: string;
  /** the partition value (cleaned: the date of its `date=` folder), null for a feature set */
  date: string | null;
  sha256: string;
  bytes: number;
  /** store-relative path in the table's data/; the same for a file an earlier version stored */
  to: string;
  /** whether this version moves it there (false: an earlier version's identical file) */
  moves: boolean;
}

interface PlannedVersion {
  version: number;
  /** the format-1 version folder, store-relative */
  folder: string;
  /** how many data files it holds */
  fileCount: number;
  /** the files its snapshot adds (the partitions it changes; the rest is shared with the version before) */
  files: PlannedFile[];
  /** partitions the previous version had and this one lacks */
  removeDates: string[];
  /** the sidecar as format 2 writes it */
  sidecar: Record<string, unknown>;
  /** the table schema from this version on (it grows when a version brings new columns); absent in journals of older runs */
  schema?: IcebergSchema;
}

interface PlannedTable {
  layer: VersionedLayer;
  key: string;
  partitioned: boolean;
  /** the schema of the last version: every column any version has (the name mapping of the old files) */
  schema: IcebergSchema;
  versions: PlannedVersion[];
}

interface MigrationPlan {
  createdAt: string;
  raw: { from: string; to: string }[];
  tables: PlannedTable[];
  ledger: Record<VersionedLayer, Record<string, number>>;
}

interface MigrateResult {
  dryRun: boolean;
  /** `migrated`: done now; `resumed`: an interrupted migration finished; `current`: the store already has format 2 */
  status: 'migrated' | 'resumed' | 'current' | 'dry-run';
  store: string;
  rawSidecars: number;
  /** older revisions of raw snapshots moved out of their date folders (a store written before revisions did so itself) */
  rawRevisions: number;
  tables: { table: string; versions: number[]; filesMoved: number; filesShared: number; bytes: number }[];
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw ioError('read', file, error);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // below
  }
  throw new MesDataError('CORRUPTED_FILE', `${file} is not a JSON object; the migration cannot read this sidecar`, { path: file });
}

const HIVE_DATE = /^date=(\d{4}-\d{2}-\d{2})$/;

/** Parquet files below a format-1 version folder, store-relative, with the date of their `date=` folder. */
async function versionFiles(store: Store, folder: string): Promise<{ relative: string; date: string | null; k: number }[]> {
  const found: { relative: string; date: string | null; k: number }[] = [];
  const walk = async (relative: string, date: string | null): Promise<void> => {
    const names = await listDir(absolute(store, relative));
    let k = 0;
    for (const name of names) {
      const child = `${relative}/${name}`;
      const stats = await fs.lstat(absolute(store, child));
      if (stats.isDirectory()) {
        const match = HIVE_DATE.exec(name);
        await walk(child, match ? match[1] : date);
      } else if (stats.isFile() && name.endsWith('.parquet')) found.push({ relative: child, date, k: k++ });
    }
  };
  await walk(folder, null);
  return found;
}

/** The table schema of a format-1 file: its columns with ids 1, 2, …, and for cleaned data an optional `date` after them. */
async function schemaOfOldFile(file: string, withDate: boolean): Promise<IcebergSchema> {
  const handle = await openParquetFile(file);
  const schema = icebergSchemaOf(handle.schema.fields.map((field): ArrowColumn => ({ name: field.name, type: field.type as DataType, nullable: field.nullable })));
  if (withDate && !schema.fields.some((f) => f.name === 'date')) schema.fields.push({ id: schema.fields.length + 1, name: 'date', required: false, type: 'date' });
  return schema;
}

/**
 * The table schema that also holds a later file's columns, matched by name: a column the
 * table lacks is added (optional, the next id; the versions before it read it as null), and
 * int → long or float → double widens a column (Iceberg's promotions). SCHEMA_MISMATCH
 * naming the file, the column and both types for any other change of type.
 */
function evolvedSchema(schema: IcebergSchema, file: IcebergSchema, relative: string): IcebergSchema {
  let nextId = Math.max(0, ...schema.fields.map((f) => f.id)) + 1;
  let changed = false;
  const fields = schema.fields.map((field) => {
    const incoming = file.fields.find((f) => f.name === field.name);
    if (!incoming) return field;
    const [from, to] = [typeNameOf(field), typeNameOf(incoming)];
    if (from === to) return field;
    if ((from === 'int' && to === 'long') || (from === 'float' && to === 'double')) {
      changed = true;
      return { ...field, type: incoming.type };
    }
    throw new MesDataError('SCHEMA_MISMATCH', `${relative} has column ${field.name} as ${to} where the versions before it have ${from}; the migration widens int to long and float to double only`, { path: relative, column: field.name, from, to });
  });
  for (const incoming of file.fields) {
    if (fields.some((f) => f.name === incoming.name)) continue;
    fields.push({ ...incoming, id: nextId++, required: false });
    changed = true;
  }
  return changed ? { ...schema, fields } : schema;
}

/** A cleaned input path of format 1 (`cleaned/v1/MES/date=2024-01-08/part-0.parquet`) as format 2 names it (`cleaned/v1/MES/2024-01-08.parquet`). */
function newDependencyPath(dependency: string): string {
  const match = /^cleaned\/(v[1-9]\d*)\/([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/part-(\d+)\.parquet$/.exec(dependency);
  return match ? `cleaned/${match[1]}/${match[2]}/${linkFileName(match[3], Number(match[4]))}` : dependency;
}

/** The sidecar of a version as format 2 keeps it: `files[].path` names the link in the new folder. */
function newSidecar(old: Record<string, unknown>, links: Map<string, string>, folder: string): Record<string, unknown> {
  const files = Array.isArray(old.files) ? (old.files as Record<string, unknown>[]) : [];
  const dependencies = Array.isArray(old.dependencies) ? (old.dependencies as Record<string, unknown>[]) : null;
  return {
    ...old,
    files: files.map((file) => ({ ...file, path: links.get(`${folder}/${String(file.path)}`) ?? file.path })),
    ...(dependencies ? { dependencies: dependencies.map((d) => (typeof d.path === 'string' ? { ...d, path: newDependencyPath(d.path) } : d)) } : {}),
  };
}

/** The plan of a format-1 store (see the module comment); reads sidecars and footers, hashes each data file, changes nothing. */
async function planMigration(store: Store): Promise<MigrationPlan> {
  const raw: MigrationPlan['raw'] = [];
  for (const asset of await listDir(absolute(store, 'raw'))) {
    if (!isValidName(checkAssetName, asset)) continue;
    for (const date of await listDir(absolute(store, `raw/${asset}`))) {
      if (await exists(absolute(store, `raw/${asset}/${date}/metadata.json`))) raw.push({ from: `raw/${asset}/${date}/metadata.json`, to: rawSidecarPath(asset, date) });
    }
  }
  // every version folder of each key, oldest first
  const byKey = new Map<string, { layer: VersionedLayer; key: string; versions: { version: number; folder: string; sidecar: Record<string, unknown> }[] }>();
  for (const layer of ['cleaned', 'features'] as const) {
    for (const name of await listDir(absolute(store, layer))) {
      const version = parseVersionFolder(name);
      if (version === null) continue;
      for (const entry of await listDir(absolute(store, `${layer}/${name}`))) {
        const folder = `${layer}/${name}/${entry}`;
        const sidecarFile = absolute(store, `${folder}/metadata.json`);
        // a folder without its sidecar is not a committed version (format 1's rule)
        if (!(await exists(sidecarFile))) continue;
        const sidecar = await readJson(sidecarFile);
        let key: string;
        if (layer === 'cleaned') {
          if (!isValidName(checkAssetName, entry)) continue;
          key = entry;
        } else {
          if (!isValidName(checkFeatureSetName, entry)) continue;
          const asset = typeof sidecar.asset === 'string' && isValidName(checkAssetName, sidecar.asset) ? sidecar.asset : null;
          if (asset === null) {
            throw new BadRequestError(`${folder} was built with no single asset (its sidecar names none); format 2 keeps a feature set per asset, so the migration cannot place it. Move it out of the store or rebuild it for one asset, then run migrate again`, { path: folder });
          }
          key = featureKey(asset, entry);
        }
        const id = `${layer}\0${key}`;
        if (!byKey.has(id)) byKey.set(id, { layer, key, versions: [] });
        byKey.get(id)?.versions.push({ version, folder, sidecar });
      }
    }
  }
  const tables: PlannedTable[] = [];
  const ledgerOld: Record<string, unknown> = await readJson(absolute(store, VERSION_LEDGER)).catch(() => ({}));
  const ledger: MigrationPlan['ledger'] = { cleaned: {}, features: {} };
  for (const { layer, key, versions } of [...byKey.values()].sort((a, b) => (a.layer + a.key < b.layer + b.key ? -1 : 1))) {
    versions.sort((a, b) => a.version - b.version);
    const partitioned = layer === 'cleaned';
    const tableDir = tablePath(layer, key);
    const stored = new Map<string, string>(); // sha256 → path in data/
    let previous = new Map<string, string>(); // partition → sha256s of the previous version
    let schema: IcebergSchema | null = null;
    const planned: PlannedVersion[] = [];
    for (const { version, folder, sidecar } of versions) {
      const files: PlannedFile[] = [];
      const links = new Map<string, string>();
      const current = new Map<string, string>();
      for (const { relative, date, k } of await versionFiles(store, folder)) {
        const file = absolute(store, relative);
        const own = await schemaOfOldFile(file, partitioned);
        schema = schema === null ? own : evolvedSchema(schema, own, relative);
        if (partitioned && date === null) throw new BadRequestError(`${relative} is not inside a date=YYYY-MM-DD folder; the migration cannot tell its partition`, { path: relative });
        const { sha256, bytes } = await hashFile(file);
        const partition = date ?? '';
        const reused = stored.get(sha256);
        const to = reused ?? `${tableDir}/data/${date === null ? '' : `${date}/`}${randomUUID()}.parquet`;
        if (!reused) stored.set(sha256, to);
        files.push({ from: relative, date, sha256, bytes, to, moves: !reused });
        links.set(relative, linkFileName(date, k));
        current.set(partition, `${current.get(partition) ?? ''}${sha256},`);
      }
      if (files.length === 0) throw new BadRequestError(`${folder} holds no Parquet files; the migration cannot make a snapshot of it`, { path: folder });
      // a partition whose files are those of the previous version is shared as it is
      const changed = files.filter((f) => previous.get(f.date ?? '') !== current.get(f.date ?? ''));
      const removeDates = partitioned ? [...previous.keys()].filter((d) => !current.has(d)) : [];
      planned.push({
        version,
        folder,
        fileCount: files.length,
        // for a replace: only changed partitions; the first version takes every file
        files: planned.length === 0 || !partitioned ? files : changed.length > 0 || removeDates.length > 0 ? changed : files.slice(0, 1),
        removeDates,
        sidecar: newSidecar(sidecar, new Map([...links].map(([from, name]) => [from, name])), folder),
        ...(schema ? { schema } : {}),
      });
      previous = current;
    }
    if (!schema) continue;
    tables.push({ layer, key, partitioned, schema, versions: planned });
    const set = layer === 'features' ? key.split('/')[1] : key;
    const recorded = (ledgerOld[layer] as Record<string, number> | undefined)?.[set] ?? 0;
    ledger[layer][key] = Math.max(recorded, planned[planned.length - 1].version);
  }
  return { createdAt: new Date().toISOString(), raw, tables, ledger };
}

function summaryOf(plan: MigrationPlan): MigrateResult['tables'] {
  return plan.tables.map((t) => {
    const files = t.versions.flatMap((v) => v.files);
    const moved = files.filter((f) => f.moves).length;
    return {
      table: tablePath(t.layer, t.key),
      versions: t.versions.map((v) => v.version),
      filesMoved: moved,
      // files of a later version identical to one stored before: kept by reference
      filesShared: t.versions.reduce((sum, v) => sum + v.fileCount, 0) - moved,
      bytes: files.filter((f) => f.moves).reduce((sum, f) => sum + f.bytes, 0),
    };
  });
}

/** Moves a file unless that is done: `from` gone and `to` there (or both the same inode after a crash between link and unlink). */
async function moveOnce(store: Store, from: string, to: string): Promise<void> {
  const source = absolute(store, from);
  const target = absolute(store, to);
  const [a, b] = await Promise.all([fs.stat(source).catch(() => null), fs.stat(target).catch(() => null)]);
  if (!a) {
    if (b) return;
    throw new MesDataError('CORRUPTED_STORE', `the migration journal moves ${from} to ${to}, but neither exists`, { from, to });
  }
  if (b) {
    if (a.ino === b.ino && a.dev === b.dev) {
      await fs.unlink(source);
      await fsyncDir(path.dirname(source));
      return;
    }
    throw new MesDataError('CORRUPTED_STORE', `the migration would move ${from} to ${to}, which holds another file`, { from, to });
  }
  await mkdirDurable(path.dirname(target));
  await moveNoReplace(source, target, 'file');
}

/** Whether a version folder already has format 2's layout: flat files, no sidecar, no subfolder. */
async function isFlat(store: Store, folder: string): Promise<boolean> {
  const dir = absolute(store, folder);
  const names = await listDir(dir);
  if (names.length === 0) return false;
  for (const name of names) {
    if (name === 'metadata.json') return false;
    if ((await fs.lstat(path.join(dir, name))).isDirectory()) return false;
  }
  return true;
}

/** What `writeFileDurable` writes before its rename (see `temporaryName`). */
const LEFTOVER_TEMP = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;

/** Removes the temporary files of interrupted durable writes in `dir` (and below it with `deep`). */
async function removeLeftoverTemps(dir: string, deep: boolean): Promise<void> {
  for (const name of await listDir(dir)) {
    const file = path.join(dir, name);
    const stats = await fs.lstat(file);
    if (stats.isFile() && LEFTOVER_TEMP.test(name)) await fs.unlink(file);
    else if (deep && stats.isDirectory()) await removeLeftoverTemps(file, true);
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (error) {
    const code = errnoOf(error);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw ioError('link', to, error);
    await fs.copyFile(from, to);
  }
}

async function migrateTable(store: Store, table: PlannedTable, signal?: AbortSignal): Promise<void> {
  const dir = absolute(store, tablePath(table.layer, table.key));
  // a table whose creation was cut short has a metadata folder but no metadata file yet
  const created = await currentVersion(dir).then(
    () => true,
    (error: unknown) => {
      if (error instanceof MesDataError && error.code === 'NOT_FOUND') return false;
      throw error;
    },
  );
  if (!created) {
    const mapping = table.schema.fields.map((f) => ({ 'field-id': f.id, names: [f.name] }));
    await createTable(dir, table.versions[0]?.schema ?? table.schema, {
      partitionColumn: table.partitioned ? 'date' : null,
      properties: { ...STORE_TABLE_PROPERTIES, 'mes-data.layer': table.layer, 'mes-data.key': table.key, [NAME_MAPPING_PROPERTY]: JSON.stringify(mapping) },
    });
  }
  for (const [index, planned] of table.versions.entries()) {
    if (signal?.aborted) throw new MesDataError('CANCELLED', `migrate: cancelled before ${versionPath(table.layer, planned.version, table.key)} (run it again to finish)`);
    const committed = new Set(listSnapshots(await loadTable(dir)).map((s) => s.version));
    if (!committed.has(planned.version)) {
      for (const file of planned.files) if (file.moves) await moveOnce(store, file.from, file.to);
      const files: NewDataFile[] = planned.files.map((f) => {
        const partition: PartitionInput = table.partitioned ? { date: f.date } : {};
        return { path: absolute(store, f.to), partition };
      });
      // a version that brings columns first records the schema that has them (again after a crash: the same schema changes nothing)
      if (planned.schema) await commitSchema(dir, planned.schema);
      const summary: Record<string, string> = { 'mes-data.migrated-from': planned.folder };
      if (typeof planned.sidecar.fingerprint === 'string') summary['mes-data.fingerprint'] = planned.sidecar.fingerprint;
      if (index === 0) await appendFiles(dir, files, { version: planned.version, summary });
      else await replacePartitions(dir, files, { version: planned.version, summary, ...(table.partitioned ? { removeDates: planned.removeDates } : {}) });
    }
    const sidecar = absolute(store, versionSidecarPath(table.layer, table.key, planned.version));
    await mkdirDurable(path.dirname(sidecar));
    await writeFileDurable(sidecar, `${JSON.stringify(planned.sidecar, null, 2)}\n`);
    // the version folder, flat: links to the snapshot's files, built beside and swapped in
    const target = versionPath(table.layer, planned.version, table.key);
    if (!(await isFlat(store, target))) {
      const building = absolute(store, `${JOURNAL_DIR}/build-${table.layer}-v${planned.version}-${table.key.replace('/', '-')}`);
      await removeTree(building);
      await mkdirDurable(building);
      const loaded = await loadTable(dir);
      const seen = new Map<string, number>();
      for (const file of await snapshotDataFiles(loaded, snapshotForVersion(loaded, planned.version))) {
        const value = table.partitioned ? String(file.partition.date) : null;
        const k = seen.get(String(value)) ?? 0;
        seen.set(String(value), k + 1);
        await linkOrCopy(file.path, path.join(building, linkFileName(value, k)));
      }
      await fsyncDir(building);
      crashPoint(`built the flat folder of ${target}`);
      // the format-1 folder now holds only its sidecar (copied above) and files an earlier version stored
      await removeTree(absolute(store, planned.folder));
      if (planned.folder !== target) await removeTree(absolute(store, target));
      crashPoint(`removed the format-1 folder ${planned.folder}`);
      await mkdirDurable(path.dirname(absolute(store, target)));
      await moveNoReplace(building, absolute(store, target), 'dir');
    } else if (planned.folder !== target) {
      await removeTree(absolute(store, planned.folder));
    }
  }
}

/** The older raw revisions the format-1 sidecars of `plan` list in their date folders, which the migration moves out at its end. */
async function staleRevisionsOfPlan(store: Store, plan: MigrationPlan): Promise<number> {
  let count = 0;
  for (const { from } of plan.raw) {
    const sidecar = await readJson(absolute(store, from));
    if (Array.isArray(sidecar.files)) count += staleRevisions(sidecar as unknown as DatasetMetadata).length;
  }
  return count;
}

/**
 * Migrates the store in `dir` (see the module comment) or, with `dryRun`, says what it would
 * do. Throws NOT_FOUND when `dir` is not a store, LOCKED when a writer holds it, BAD_REQUEST
 * for what format 2 cannot hold (a feature set of no single asset), SCHEMA_MISMATCH for a
 * column whose type changes between versions other than by widening, before anything changes.
 */
export async function migrateStore(dir: string, options: { dryRun?: boolean; signal?: AbortSignal; progress?: (update: { fraction: number; stage: string }) => void } = {}): Promise<MigrateResult> {
  const store = await openStore(dir, { allowFormat1: true, recover: false });
  const journalFile = absolute(store, `${JOURNAL_DIR}/${JOURNAL}`);
  const resumed = await exists(journalFile);
  const lock = await acquireStoreLock(store, { purpose: options.dryRun ? 'migrate (dry run)' : 'migrate' });
  try {
    if (store.formatVersion >= 2 && !resumed) {
      // a store of format 2 may still hold older raw revisions in their date folders
      const retired = await retireStaleRevisions(store, lock, { dryRun: options.dryRun, signal: options.signal });
      const status = retired.files === 0 ? 'current' : options.dryRun ? 'dry-run' : 'migrated';
      return { dryRun: options.dryRun === true, status, store: store.root, rawSidecars: 0, rawRevisions: retired.files, tables: [] };
    }
    options.progress?.({ fraction: 0, stage: resumed ? 'reading the migration journal' : 'planning' });
    const plan = resumed ? ((await readJson(journalFile)) as unknown as MigrationPlan) : await planMigration(store);
    if (options.dryRun) return { dryRun: true, status: 'dry-run', store: store.root, rawSidecars: plan.raw.length, rawRevisions: await staleRevisionsOfPlan(store, plan), tables: summaryOf(plan) };
    if (!resumed) {
      await mkdirDurable(absolute(store, JOURNAL_DIR));
      await writeFileDurable(journalFile, `${JSON.stringify(plan)}\n`);
      crashPoint('wrote the migration journal');
    }
    options.progress?.({ fraction: 0.05, stage: 'raw sidecars' });
    for (const { from, to } of plan.raw) {
      if (!(await exists(absolute(store, from)))) continue;
      await mkdirDurable(path.dirname(absolute(store, to)));
      if (await exists(absolute(store, to))) await fs.unlink(absolute(store, from));
      else await moveNoReplace(absolute(store, from), absolute(store, to), 'file');
    }
    for (const [index, table] of plan.tables.entries()) {
      await lock.assertHeld();
      options.progress?.({ fraction: 0.1 + (0.85 * index) / Math.max(1, plan.tables.length), stage: tablePath(table.layer, table.key) });
      await migrateTable(store, table, options.signal);
    }
    await writeFileDurable(absolute(store, VERSION_LEDGER), `${JSON.stringify(plan.ledger, null, 2)}\n`);
    // the format-1 version folders left empty (features/vN/ once its sets moved below an asset)
    for (const layer of ['cleaned', 'features'] as const) {
      for (const name of await listDir(absolute(store, layer))) {
        if (parseVersionFolder(name) !== null && (await listDir(absolute(store, `${layer}/${name}`))).length === 0) await fs.rmdir(absolute(store, `${layer}/${name}`));
      }
    }
    await mkdirDurable(absolute(store, 'catalog'));
    // temporary files of durable writes a kill cut short (a sidecar, the ledger)
    await removeLeftoverTemps(absolute(store, 'catalog'), true);
    await removeLeftoverTemps(store.root, false);
    const marker = await readJson(absolute(store, STORE_MARKER));
    await writeFileDurable(absolute(store, STORE_MARKER), `${JSON.stringify({ ...marker, formatVersion: 2 }, null, 2)}\n`);
    crashPoint('switched the marker to format 2');
    await removeTree(absolute(store, JOURNAL_DIR));
    options.progress?.({ fraction: 0.97, stage: 'raw revisions' });
    const retired = await retireStaleRevisions({ ...store, formatVersion: 2 }, lock, { signal: options.signal });
    options.progress?.({ fraction: 1, stage: 'done' });
    return { dryRun: false, status: resumed ? 'resumed' : 'migrated', store: store.root, rawSidecars: plan.raw.length, rawRevisions: retired.files, tables: summaryOf(plan) };
  } finally {
    await lock.release();
  }
}
