import { readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, MesDataError } from '../errors.js';
import { STORE_INSTRUMENT_FOLDER } from '../instruments/instrumentRegistry.js';
import { hashFile } from './fileHash.js';
import type { DatasetMetadata, FileInfo } from './metadataManager.js';
import { parquetFileFacts } from './parquetFileFacts.js';
import { KV } from './parquetKeyValue.js';
import { checkSidecar } from './sidecarSchema.js';
import { SymlinkInStoreError } from './storePaths.js';
import { findLeftoverStaging, isWriterStagingName, readJournal } from './stagingArea.js';
import { inspectStoreLock } from './storeLock.js';
import { UPLOADS_DIR, expiredUploads, listUploads } from './uploadArea.js';
import { checkAssetName, checkFeatureSetName, isIsoDate, isValidName } from './storeNames.js';
import { LISTS_DIR, unpackLists } from './sidecarLists.js';
import { supersededFiles } from './rawSnapshot.js';
import { CATALOG_DIR, LAYERS, LOCK_DIR, RAW_SUPERSEDED_DIR, STAGING_DIR, STORE_MARKER, VERSION_LEDGER, featureKey, parseVersionFolder, rawDatePath, rawSidecarPath, rawSupersededPath, tablePath, versionPath, versionSidecarPath, type Layer, type Store, type VersionedLayer } from './storeLayout.js';
import type { JobResult } from '../api/contract.js';
import { verifyTables } from './verifyTables.js';

/**
 * `verifyStore`: checks everything the store promises, reading every byte. Sidecars live in
 * `catalog/` (store format 2): `catalog/raw/{ASSET}/{DATE}.json` for `raw/{ASSET}/{DATE}/`,
 * `catalog/{layer}/{key}/v{N}.json` for `{layer}/v{N}/{key}/`. Problem codes:
 *
 *   MISSING_SIDECAR     a date or version folder without its sidecar in catalog/ (not a committed snapshot or version)
 *   MISSING_FOLDER      a sidecar in catalog/ whose date or version folder does not exist
 *   CORRUPTED_SIDECAR   a sidecar is not JSON
 *   INVALID_SIDECAR     a sidecar breaks schema/metadata_schema.json, disagrees with its folder or its totals
 *   MISSING_FILE        a file the sidecar lists is gone
 *   SIZE_MISMATCH       a file's size differs from the sidecar (changed since commit)
 *   HASH_MISMATCH       a file's SHA-256 differs from the sidecar (tampered with or corrupted)
 *   ROW_COUNT_MISMATCH  a file's footer counts other rows than the sidecar
 *   CORRUPTED_FILE      a file's Parquet footer cannot be read
 *   METADATA_MISMATCH   a file's embedded key facts (mes_data.*) name another layer, asset, date or version
 *   UNEXPECTED_FILE     a file or folder that no sidecar describes and the layout does not allow (in a
 *                       data folder, or in an Iceberg table's folder beside data/ and metadata/)
 *   INVALID_NAME        a folder whose name breaks the naming rules
 *   LEFTOVER_STAGING    work left in .staging/ by a writer that is gone
 *   CORRUPTED_LEDGER    version-ledger.json is not readable
 *   SYMLINK             a symbolic link anywhere in the store (never followed: readers and writers refuse it)
 *   CORRUPTED_STORE     a staging journal this program did not write (it is never applied)
 *   STALE_LOCK          a writer lock whose holder is gone (the next writer breaks it)
 *   EXPIRED_UPLOAD      a browser-mode upload older than a day that no ingest took
 */

/** Where `schemas register` keeps a store's own schemas (see core/schema/schemaRegistry.ts). */
const SCHEMAS_DIR = 'schemas';

/** The verify job's result: its shape is the contract's `VerifyResultSchema`. */
export type VerifyResult = JobResult<'verify'>;
export type VerifyProblem = VerifyResult['problems'][number];

interface VerifyOptions {
  signal?: AbortSignal;
  /** Called after each file is checked. */
  onProgress?: (done: number, total: number) => void;
}

interface Expected {
  layer: Layer;
  asset?: string;
  date?: string;
  featureSet?: string;
  version?: number;
}

interface FileTask {
  datasetPath: string;
  file: FileInfo;
  expected: Expected;
}

const HASH_CONCURRENCY = 8;

async function entriesOf(dir: string): Promise<{ name: string; isDir: boolean; isLink: boolean }[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.map((entry) => ({ name: entry.name, isDir: entry.isDirectory(), isLink: entry.isSymbolicLink() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every file under `dir` as relative paths with forward slashes (folders too when empty); symbolic links go to `links`, never followed. */
async function walk(dir: string, links: string[], prefix = ''): Promise<string[]> {
  const found: string[] = [];
  const entries = await entriesOf(dir);
  for (const entry of entries) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isLink) links.push(relative);
    else if (entry.isDir) {
      const inner = await walk(path.join(dir, entry.name), links, relative);
      found.push(...(inner.length > 0 ? inner : [`${relative}/`]));
    } else found.push(relative);
  }
  return found;
}

function describeExpected(expected: Expected): string {
  if (expected.layer === 'raw') return `raw ${expected.asset} ${expected.date}`;
  if (expected.layer === 'features') return `features ${expected.asset}/${expected.featureSet} v${expected.version}`;
  return `${expected.layer} ${expected.asset} v${expected.version}`;
}

function sidecarMismatch(metadata: DatasetMetadata, expected: Expected): string | null {
  const found: string[] = [];
  if (metadata.layer !== expected.layer) found.push(`layer "${metadata.layer}"`);
  if (expected.asset !== undefined && metadata.asset !== expected.asset) found.push(`asset "${String(metadata.asset)}"`);
  if (expected.date !== undefined && metadata.date !== expected.date) found.push(`date "${String(metadata.date)}"`);
  if (expected.featureSet !== undefined && metadata.featureSet !== expected.featureSet) found.push(`feature set "${String(metadata.featureSet)}"`);
  if (expected.version !== undefined && metadata.version !== expected.version) found.push(`version ${String(metadata.version)}`);
  return found.length > 0 ? `its sidecar says ${found.join(', ')} but the folder is ${describeExpected(expected)}` : null;
}

function keyFactsMismatch(keyValue: Record<string, string>, expected: Expected): string | null {
  if (keyValue[KV.layer] === undefined) return null;
  const wrong: string[] = [];
  if (keyValue[KV.layer] !== expected.layer) wrong.push(`${KV.layer}=${keyValue[KV.layer]}`);
  if (expected.layer !== 'features' && expected.asset !== undefined && keyValue[KV.asset] !== undefined && keyValue[KV.asset] !== expected.asset) wrong.push(`${KV.asset}=${keyValue[KV.asset]}`);
  if (expected.date !== undefined && keyValue[KV.date] !== undefined && keyValue[KV.date] !== expected.date) wrong.push(`${KV.date}=${keyValue[KV.date]}`);
  // a feature set's files name the set alone or with its asset (`MES/momentum_indicators`)
  const featureSets = expected.featureSet === undefined ? [] : [expected.featureSet, `${expected.asset}/${expected.featureSet}`];
  if (expected.featureSet !== undefined && keyValue[KV.featureSet] !== undefined && !featureSets.includes(keyValue[KV.featureSet])) wrong.push(`${KV.featureSet}=${keyValue[KV.featureSet]}`);
  // no check of the version: a version folder links the files it shares with the versions before it
  return wrong.length > 0 ? `its embedded key facts (${wrong.join(', ')}) do not match ${describeExpected(expected)}` : null;
}

function isSafeRelative(relative: string): boolean {
  const parts = relative.split('/');
  return !relative.includes('\\') && parts.every((part) => part !== '' && part !== '.' && part !== '..');
}

type Report = (problemPath: string, code: string, message: string) => void;

/**
 * The folder of one Iceberg table (`cleaned/MES`, `features/MES/rsi`): it holds `data/` and
 * `metadata/` only (core/iceberg). This is where the checks of the table itself belong
 * (its metadata against the version folders and sidecars, data files no snapshot names).
 */
async function checkTableFolder(store: Store, layer: VersionedLayer, key: string, report: Report, reportLink: (linkPath: string) => void): Promise<void> {
  const table = tablePath(layer, key);
  for (const entry of await entriesOf(path.join(store.root, ...table.split('/')))) {
    const entryPath = `${table}/${entry.name}`;
    if (entry.isLink) reportLink(entryPath);
    else if (!entry.isDir || (entry.name !== 'data' && entry.name !== 'metadata')) {
      report(entryPath, 'UNEXPECTED_FILE', `${entryPath} does not belong in the Iceberg table ${table} (it holds data/ and metadata/)`);
    }
  }
}

interface CatalogCheck {
  /** Date and version folders found (and checked with their sidecars) in the data tree. */
  rawFolders: Set<string>;
  versionFolders: Set<string>;
  report: Report;
  reportLink: (linkPath: string) => void;
  checkDataset: (datasetPath: string, sidecarPath: string, expected: Expected, dirExists?: boolean) => Promise<void>;
  /** The superseded raw files the sidecars list (`catalog/raw/{ASSET}/superseded/{DATE}/{name}`). */
  superseded: Set<string>;
}

/**
 * The sidecar tree: `catalog/raw/{ASSET}/{DATE}.json`, `catalog/cleaned/{ASSET}/v{N}.json`,
 * `catalog/features/{ASSET}/{set}/v{N}.json`. A sidecar whose folder was not found in the
 * data tree is MISSING_FOLDER; anything else the layout does not allow is UNEXPECTED_FILE or
 * INVALID_NAME.
 */
async function checkCatalog(store: Store, check: CatalogCheck): Promise<void> {
  const { report, reportLink } = check;
  const entries = async (relative: string, what: string, expectDirs: boolean, allowedDir?: string): Promise<{ name: string; path: string }[]> => {
    const kept: { name: string; path: string }[] = [];
    for (const entry of await entriesOf(path.join(store.root, ...relative.split('/')))) {
      const entryPath = `${relative}/${entry.name}`;
      if (entry.isLink) reportLink(entryPath);
      else if (entry.isDir && entry.name === allowedDir) continue;
      else if (entry.isDir !== expectDirs) report(entryPath, 'UNEXPECTED_FILE', `${entryPath} does not belong in ${relative}/ (it holds ${what})`);
      else kept.push({ name: entry.name, path: entryPath });
    }
    return kept;
  };
  for (const top of await entries(CATALOG_DIR, 'one folder per layer', true)) {
    if (top.name !== 'raw' && top.name !== 'cleaned' && top.name !== 'features') report(top.path, 'UNEXPECTED_FILE', `${top.path} does not belong in ${CATALOG_DIR}/ (it holds raw/, cleaned/ and features/)`);
  }
  const assetsOf = async (layer: Layer): Promise<{ name: string; path: string }[]> => {
    const assets = await entries(`${CATALOG_DIR}/${layer}`, 'one folder per asset', true);
    return assets.filter((asset) => {
      if (isValidName(checkAssetName, asset.name)) return true;
      report(asset.path, 'INVALID_NAME', `${asset.path}: "${asset.name}" is not a valid asset name`);
      return false;
    });
  };
  for (const asset of await assetsOf('raw')) {
    // the files revisions superseded: each listed by its date's sidecar, nothing else
    for (const date of await entries(`${asset.path}/${RAW_SUPERSEDED_DIR}`, 'one folder per date', true)) {
      for (const file of await entries(date.path, 'the files revisions of this date superseded', false)) {
        if (!check.superseded.has(file.path)) report(file.path, 'UNEXPECTED_FILE', `${file.path} is not listed as superseded in ${rawSidecarPath(asset.name, date.name)}`);
      }
    }
    for (const file of await entries(asset.path, 'one sidecar {DATE}.json per date folder', false, RAW_SUPERSEDED_DIR)) {
      const date = file.name.endsWith('.json') ? file.name.slice(0, -'.json'.length) : '';
      if (!isIsoDate(date)) report(file.path, 'UNEXPECTED_FILE', `${file.path} is not the sidecar of a date folder ({YYYY-MM-DD}.json)`);
      else if (!check.rawFolders.has(rawDatePath(asset.name, date))) await check.checkDataset(rawDatePath(asset.name, date), file.path, { layer: 'raw', asset: asset.name, date }, false);
    }
  }
  const versionSidecars = async (layer: VersionedLayer, folder: string, key: string, expected: Omit<Expected, 'version'>): Promise<void> => {
    // the pieces of long lists sit beside the sidecars; each is checked as a sidecar naming it is read
    for (const file of await entries(folder, 'one sidecar v{N}.json per version', false, LISTS_DIR)) {
      const version = file.name.endsWith('.json') ? parseVersionFolder(file.name.slice(0, -'.json'.length)) : null;
      if (version === null) report(file.path, 'UNEXPECTED_FILE', `${file.path} is not the sidecar of a version (v{N}.json)`);
      else if (!check.versionFolders.has(versionPath(layer, version, key))) await check.checkDataset(versionPath(layer, version, key), versionSidecarPath(layer, key, version), { ...expected, version }, false);
    }
  };
  for (const asset of await assetsOf('cleaned')) await versionSidecars('cleaned', asset.path, asset.name, { layer: 'cleaned', asset: asset.name });
  for (const asset of await assetsOf('features')) {
    for (const set of await entries(asset.path, 'one folder per feature set', true)) {
      if (!isValidName(checkFeatureSetName, set.name)) report(set.path, 'INVALID_NAME', `${set.path}: "${set.name}" is not a valid feature-set name`);
      else await versionSidecars('features', set.path, featureKey(asset.name, set.name), { layer: 'features', asset: asset.name, featureSet: set.name });
    }
  }
}

/**
 * Checks the whole store: every sidecar against the JSON Schema and its folder, every file
 * against its recorded size, SHA-256 and row count (hashes are recomputed from the bytes),
 * plus unexpected files, bad names and leftover staging. Never changes anything. `ok` is
 * true when no problem was found. Throws CANCELLED when `signal` aborts.
 */
export async function verifyStore(store: Store, options: VerifyOptions = {}): Promise<VerifyResult> {
  const problems: VerifyProblem[] = [];
  const report = (problemPath: string, code: string, message: string): void => {
    problems.push({ path: problemPath, code, message });
  };
  const tasks: FileTask[] = [];
  let datasets = 0;

  /** The store-relative paths a committed journal left in staging will still move into place. */
  const journaled = new Set<string>();

  /**
   * One date or version folder against its sidecar in catalog/ (`sidecarPath`, store-relative).
   * `dirExists` false: the sidecar has no folder (MISSING_FOLDER unless a journal moves it in).
   */
  const checkDataset = async (datasetPath: string, sidecarPath: string, expected: Expected, dirExists = true): Promise<void> => {
    datasets++;
    const dir = path.join(store.root, ...datasetPath.split('/'));
    const links: string[] = [];
    const present = dirExists ? await walk(dir, links) : [];
    for (const link of links) reportLink(`${datasetPath}/${link}`);
    const sidecarFile = path.join(store.root, ...sidecarPath.split('/'));
    const sidecarStat = await fs.lstat(sidecarFile).catch(() => null);
    if (sidecarStat?.isSymbolicLink()) {
      reportLink(sidecarPath);
      return;
    }
    let text: string;
    try {
      text = await fs.readFile(sidecarFile, 'utf8');
    } catch {
      if (!journaled.has(sidecarPath)) report(datasetPath, 'MISSING_SIDECAR', `${datasetPath} has no sidecar ${sidecarPath}, so it is not a committed ${expected.layer === 'raw' ? 'snapshot' : 'version'} (${present.length} file(s) inside)`);
      return;
    }
    if (!dirExists) {
      if (!journaled.has(datasetPath)) report(sidecarPath, 'MISSING_FOLDER', `${sidecarPath} describes ${datasetPath}, which does not exist`);
      return;
    }
    let metadata: DatasetMetadata;
    try {
      metadata = JSON.parse(text) as DatasetMetadata;
    } catch (error) {
      report(sidecarPath, 'CORRUPTED_SIDECAR', `${sidecarPath} is not valid JSON: ${(error as Error).message}`);
      return;
    }
    try {
      // long lists kept in pieces beside the sidecar: each piece's bytes are checked against its name
      if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) unpackLists(metadata as unknown as Record<string, unknown>, sidecarFile);
    } catch (error) {
      report(sidecarPath, 'CORRUPTED_SIDECAR', `${sidecarPath}: ${(error as Error).message}`);
      return;
    }
    const check = checkSidecar(metadata);
    if (!check.valid) {
      report(sidecarPath, 'INVALID_SIDECAR', `${sidecarPath} does not match schema/metadata_schema.json: ${check.errors.slice(0, 5).join('; ')}`);
      if (!Array.isArray(metadata?.files)) return;
    }
    const mismatch = sidecarMismatch(metadata, expected);
    if (mismatch) report(sidecarPath, 'INVALID_SIDECAR', `${sidecarPath}: ${mismatch}`);
    const files = metadata.files.filter((file) => typeof file?.path === 'string');
    const rows = files.reduce((sum, file) => sum + (Number.isFinite(file.rows) ? file.rows : 0), 0);
    const bytes = files.reduce((sum, file) => sum + (Number.isFinite(file.bytes) ? file.bytes : 0), 0);
    if (check.valid && (rows !== metadata.recordCount || bytes !== metadata.fileSizeBytes)) {
      report(sidecarPath, 'INVALID_SIDECAR', `${sidecarPath} records ${metadata.recordCount} rows and ${metadata.fileSizeBytes} bytes in all, but its files add up to ${rows} rows and ${bytes} bytes`);
    }
    const listed = new Set<string>();
    for (const file of files) {
      if (!isSafeRelative(file.path)) {
        report(sidecarPath, 'INVALID_SIDECAR', `${sidecarPath} lists a file outside its folder: ${JSON.stringify(file.path)}`);
        continue;
      }
      listed.add(file.path);
      // a listed file that is a link is reported as SYMLINK above and never read through
      if (links.includes(file.path)) continue;
      tasks.push({ datasetPath, file, expected });
    }
    for (const relative of present) {
      if (!listed.has(relative)) report(`${datasetPath}/${relative.replace(/\/$/, '')}`, 'UNEXPECTED_FILE', `${datasetPath}/${relative} is not listed in ${sidecarPath}`);
    }
    if (expected.layer === 'raw' && expected.asset !== undefined && expected.date !== undefined) {
      // the files its revisions superseded, moved out of the folder: each where the layout puts it, with the bytes it had
      const home = path.posix.dirname(rawSupersededPath(expected.asset, expected.date, 'file.parquet'));
      for (const moved of supersededFiles(metadata)) {
        const name = path.posix.basename(moved.path);
        if (moved.path !== `${home}/${name}` || !isSafeRelative(name)) {
          report(sidecarPath, 'INVALID_SIDECAR', `${sidecarPath} lists a superseded file outside ${home}/: ${JSON.stringify(moved.path)}`);
          continue;
        }
        superseded.add(moved.path);
        tasks.push({ datasetPath: home, file: { ...moved, path: name }, expected });
      }
    }
  };
  const superseded = new Set<string>();

  const reportLink = (linkPath: string): void => {
    let target = '';
    try {
      target = readlinkSync(path.join(store.root, ...linkPath.split('/')));
    } catch {
      // the target is only for the message
    }
    report(linkPath, 'SYMLINK', `${linkPath} is a symbolic link${target ? ` to ${target}` : ''}; the store never follows links (readers and writers refuse it)`);
  };

  // the top of the store
  const known = new Set<string>([STORE_MARKER, VERSION_LEDGER, ...LAYERS, CATALOG_DIR, STAGING_DIR, LOCK_DIR, SCHEMAS_DIR, STORE_INSTRUMENT_FOLDER, UPLOADS_DIR]);
  const linkedTop = new Set<string>();
  for (const entry of await entriesOf(store.root)) {
    if (entry.isLink) {
      reportLink(entry.name);
      linkedTop.add(entry.name);
      continue;
    }
    if (known.has(entry.name)) continue;
    if (entry.name.startsWith('.lock-') || /^\..+\.\d+\.[0-9a-f]+\.tmp$/.test(entry.name)) {
      report(entry.name, 'LEFTOVER_STAGING', `${entry.name} was left by a writer that stopped; the next writer removes it`);
    } else if (!entry.name.startsWith('.')) {
      report(entry.name, 'UNEXPECTED_FILE', `${entry.name} does not belong at the top of a store (expected ${[...known].join(', ')})`);
    }
  }
  try {
    const ledgerText = await fs.readFile(path.join(store.root, VERSION_LEDGER), 'utf8');
    try {
      JSON.parse(ledgerText);
    } catch (error) {
      report(VERSION_LEDGER, 'CORRUPTED_LEDGER', `${VERSION_LEDGER} is not valid JSON: ${(error as Error).message}`);
    }
  } catch {
    // no ledger yet: nothing was ever versioned
  }
  if (!linkedTop.has(STAGING_DIR)) {
    for (const entry of await entriesOf(path.join(store.root, STAGING_DIR))) {
      const entryPath = `${STAGING_DIR}/${entry.name}`;
      if (entry.isLink) reportLink(entryPath);
      else if (!entry.isDir || !isWriterStagingName(entry.name)) {
        report(entryPath, 'UNEXPECTED_FILE', `${entryPath} was not made by a writer of this program; it is never applied or removed automatically (look at it, then remove it)`);
      }
    }
  }
  for (const leftover of await findLeftoverStaging(store)) {
    if (leftover.committed) {
      try {
        for (const move of await readJournal(store, leftover.path)) journaled.add(move.to);
      } catch (error) {
        report(leftover.path, 'CORRUPTED_STORE', error instanceof Error ? error.message : String(error));
        continue;
      }
    }
    report(
      leftover.path,
      'LEFTOVER_STAGING',
      leftover.committed
        ? `${leftover.path} holds a commit that was interrupted after its commit point; the next writer (or opening the store) finishes it`
        : `${leftover.path} holds unfinished work of a writer that stopped; the next writer (or opening the store) removes it`,
    );
  }
  if (!linkedTop.has(LOCK_DIR)) {
    const lock = await inspectStoreLock(store);
    if (lock.state === 'stale') {
      const owner = lock.owner;
      report(LOCK_DIR, 'STALE_LOCK', `${LOCK_DIR} is a stale writer lock${owner ? ` (taken by ${owner.purpose} in process ${owner.pid} on ${owner.hostname} at ${owner.acquiredAt})` : ''}: ${lock.reason ?? 'its holder is gone'}; the next writer breaks it`);
    }
  }
  if (!linkedTop.has(UPLOADS_DIR)) {
    const uploads = listUploads(path.join(store.root, UPLOADS_DIR));
    for (const upload of uploads) {
      const uploadPath = `${UPLOADS_DIR}/${upload.name}`;
      if (upload.link) reportLink(uploadPath);
    }
    for (const upload of expiredUploads(path.join(store.root, UPLOADS_DIR)).filter((entry) => !entry.link)) {
      const uploadPath = `${UPLOADS_DIR}/${upload.name}`;
      report(uploadPath, 'EXPIRED_UPLOAD', `${uploadPath} (${upload.bytes} bytes) was uploaded ${new Date(upload.mtimeMs).toISOString()} and never ingested; the browser mode removes it when it next starts`);
    }
  }
  for (const folder of [SCHEMAS_DIR, STORE_INSTRUMENT_FOLDER]) {
    if (linkedTop.has(folder)) continue;
    for (const entry of await entriesOf(path.join(store.root, folder))) {
      if (entry.isLink) reportLink(`${folder}/${entry.name}`);
    }
  }

  // raw/{ASSET}/{DATE}, each with its sidecar catalog/raw/{ASSET}/{DATE}.json
  const rawFolders = new Set<string>();
  for (const asset of linkedTop.has('raw') ? [] : await entriesOf(path.join(store.root, 'raw'))) {
    const assetPath = `raw/${asset.name}`;
    if (asset.isLink) {
      reportLink(assetPath);
      continue;
    }
    if (!asset.isDir) {
      report(assetPath, 'UNEXPECTED_FILE', `${assetPath} is a file; raw/ holds one folder per asset`);
      continue;
    }
    if (!isValidName(checkAssetName, asset.name)) {
      report(assetPath, 'INVALID_NAME', `${assetPath}: "${asset.name}" is not a valid asset name (upper-case A–Z, 0–9, ".", "_", "-")`);
      continue;
    }
    for (const date of await entriesOf(path.join(store.root, 'raw', asset.name))) {
      const datePath = `${assetPath}/${date.name}`;
      if (date.isLink) reportLink(datePath);
      else if (!date.isDir) report(datePath, 'UNEXPECTED_FILE', `${datePath} is a file; ${assetPath}/ holds one folder per trading date`);
      else if (!isIsoDate(date.name)) report(datePath, 'INVALID_NAME', `${datePath}: "${date.name}" is not a date YYYY-MM-DD`);
      else {
        rawFolders.add(datePath);
        await checkDataset(datePath, rawSidecarPath(asset.name, date.name), { layer: 'raw', asset: asset.name, date: date.name });
      }
    }
  }

  // cleaned/v{N}/{ASSET}, features/v{N}/{ASSET}/{set}, and the Iceberg tables cleaned/{ASSET}, features/{ASSET}/{set}
  const versionFolders = new Set<string>();
  const tables: { layer: VersionedLayer; key: string }[] = [];
  const keyKind = (layer: VersionedLayer): string => (layer === 'cleaned' ? 'asset' : 'asset and feature set');
  const checkVersion = async (layer: VersionedLayer, version: number, asset: string, featureSet?: string): Promise<void> => {
    const key = featureSet === undefined ? asset : featureKey(asset, featureSet);
    versionFolders.add(versionPath(layer, version, key));
    await checkDataset(versionPath(layer, version, key), versionSidecarPath(layer, key, version), featureSet === undefined ? { layer, asset, version } : { layer, asset, featureSet, version });
  };
  for (const layer of ['cleaned', 'features'] as const) {
    for (const folder of linkedTop.has(layer) ? [] : await entriesOf(path.join(store.root, layer))) {
      const folderPath = `${layer}/${folder.name}`;
      if (folder.isLink) {
        reportLink(folderPath);
        continue;
      }
      if (!folder.isDir) {
        report(folderPath, 'UNEXPECTED_FILE', `${folderPath} is a file; ${layer}/ holds version folders v{N} and one table folder per asset`);
        continue;
      }
      const version = parseVersionFolder(folder.name);
      if (version === null) {
        // the table folder of an asset (cleaned) or the folder of an asset's feature-set tables
        if (!isValidName(checkAssetName, folder.name)) {
          report(folderPath, 'INVALID_NAME', `${folderPath}: "${folder.name}" is neither a version folder v{N} nor a valid asset name`);
        } else if (layer === 'cleaned') tables.push({ layer, key: folder.name });
        else {
          for (const set of await entriesOf(path.join(store.root, layer, folder.name))) {
            const setPath = `${folderPath}/${set.name}`;
            if (set.isLink) reportLink(setPath);
            else if (!set.isDir) report(setPath, 'UNEXPECTED_FILE', `${setPath} is a file; ${folderPath}/ holds one table folder per feature set`);
            else if (!isValidName(checkFeatureSetName, set.name)) report(setPath, 'INVALID_NAME', `${setPath}: "${set.name}" is not a valid feature-set name`);
            else tables.push({ layer, key: featureKey(folder.name, set.name) });
          }
        }
        continue;
      }
      for (const asset of await entriesOf(path.join(store.root, layer, folder.name))) {
        const assetPath = `${folderPath}/${asset.name}`;
        if (asset.isLink) reportLink(assetPath);
        else if (!asset.isDir) report(assetPath, 'UNEXPECTED_FILE', `${assetPath} is a file; ${folderPath}/ holds one folder per ${keyKind(layer)}`);
        else if (!isValidName(checkAssetName, asset.name)) report(assetPath, 'INVALID_NAME', `${assetPath}: "${asset.name}" is not a valid asset name`);
        else if (layer === 'cleaned') await checkVersion(layer, version, asset.name);
        else {
          for (const set of await entriesOf(path.join(store.root, layer, folder.name, asset.name))) {
            const setPath = `${assetPath}/${set.name}`;
            if (set.isLink) reportLink(setPath);
            else if (!set.isDir) report(setPath, 'UNEXPECTED_FILE', `${setPath} is a file; ${assetPath}/ holds one folder per feature set`);
            else if (!isValidName(checkFeatureSetName, set.name)) report(setPath, 'INVALID_NAME', `${setPath}: "${set.name}" is not a valid feature-set name`);
            else await checkVersion(layer, version, asset.name, set.name);
          }
        }
      }
    }
  }
  for (const table of tables) await checkTableFolder(store, table.layer, table.key, report, reportLink);

  // catalog/: every sidecar must have its folder
  if (!linkedTop.has(CATALOG_DIR)) await checkCatalog(store, { rawFolders, versionFolders, report, reportLink, checkDataset, superseded });

  // the files themselves: size, hash, footer
  let done = 0;
  let bytes = 0;
  let next = 0;
  // version folders link the files they share: each file (inode) is read once, however many names it has
  const digests = new Map<string, Promise<{ sha256: string }>>();
  const footers = new Map<string, ReturnType<typeof parquetFileFacts>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let known = cache.get(key);
    if (known === undefined) {
      known = read();
      cache.set(key, known);
    }
    return known;
  };
  const checkFile = async (task: FileTask): Promise<void> => {
    const relative = `${task.datasetPath}/${task.file.path}`;
    const absolutePath = path.join(store.root, ...relative.split('/'));
    let size: number;
    let inode: string;
    try {
      // lstat: a file swapped for a link after the walk is not read through
      const stat = await fs.lstat(absolutePath);
      if (stat.isSymbolicLink()) {
        reportLink(relative);
        return;
      }
      size = stat.size;
      inode = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      report(relative, 'MISSING_FILE', `${relative} is listed in its sidecar but missing`);
      return;
    }
    bytes += size;
    if (size !== task.file.bytes) {
      report(relative, 'SIZE_MISMATCH', `${relative} has ${size} bytes; its sidecar recorded ${task.file.bytes} (it changed after it was committed)`);
    } else {
      const digest = await once(digests, inode, () => hashFile(absolutePath));
      if (digest.sha256 !== task.file.sha256) {
        report(relative, 'HASH_MISMATCH', `${relative} has SHA-256 ${digest.sha256}; its sidecar recorded ${task.file.sha256} (the file was changed or damaged after it was committed)`);
      }
    }
    try {
      const facts = await once(footers, inode, () => parquetFileFacts(absolutePath));
      if (facts.rows !== task.file.rows) report(relative, 'ROW_COUNT_MISMATCH', `${relative} holds ${facts.rows} rows; its sidecar recorded ${task.file.rows}`);
      const wrong = keyFactsMismatch(facts.keyValue, task.expected);
      if (wrong) report(relative, 'METADATA_MISMATCH', `${relative}: ${wrong}`);
    } catch (error) {
      const message = error instanceof MesDataError ? error.message : String(error);
      report(relative, 'CORRUPTED_FILE', `${relative} is not a readable Parquet file: ${message}`);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      if (options.signal?.aborted) throw new CancelledError('verify was cancelled', {});
      const task = tasks[next++];
      await checkFile(task);
      done++;
      options.onProgress?.(done, tasks.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, tasks.length) }, worker));
  // the Iceberg tables: every snapshot's data files there with their sizes, each version folder its snapshot's files
  try {
    problems.push(...(await verifyTables(store)).problems);
  } catch (error) {
    // a linked layer or table folder: reported as SYMLINK by the walk above, and never read through
    if (!(error instanceof SymlinkInStoreError)) throw error;
  }

  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return { ok: problems.length === 0, problems, checked: { datasets, files: tasks.length, bytes } };
}
