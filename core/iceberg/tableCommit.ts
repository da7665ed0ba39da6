import fs from 'node:fs/promises';
import path from 'node:path';
import { AlreadyExistsError, LockedError, MesDataError, NotFoundError } from '../errors.js';
import { crashPoint } from '../store/crashPoints.js';
import { errnoOf, exists, ioError, mkdirDurable, moveNoReplace, temporaryName, writeFileDurable } from '../store/durableFs.js';
import { locationIn } from './tableLocation.js';
import { parseTableMetadata, serializeTableMetadata, type TableMetadata } from './tableMetadata.js';

/**
 * The file-system catalog's commit rule. Metadata version N of a table is
 * `metadata/vN.metadata.json`; a writer that read version N commits by creating
 * `v{N+1}.metadata.json`, a name no other writer may take: the new file is written and
 * synced under a temporary name and then linked to its name, which fails when it exists
 * (a concurrent commit won; LOCKED). Then `metadata/version-hint.text` is replaced
 * atomically and durably with N+1, for readers that look there first.
 *
 * The metadata file is the commit: a crash after it and before the hint leaves the hint
 * one behind, and `loadTable` looks past the hint for later versions, as Iceberg's own
 * file-system tables do. The metadata log names the last `write.metadata.previous-versions-max`
 * (100 unless the table says otherwise) earlier files. A crash before it leaves version N current and some files no
 * snapshot names (listed by `unreferencedFiles` for removal). With
 * `write.metadata.delete-after-commit.enabled` true (the store's tables), a commit then
 * removes the metadata files the log no longer names, as Iceberg's writers do: each file
 * repeats every kept snapshot, so keeping them all made a table of daily versions grow by the
 * square of its age.
 */

export const METADATA_DIR = 'metadata';
export const VERSION_HINT = 'version-hint.text';

export function metadataFileName(version: number): string {
  return `v${version}.metadata.json`;
}

/** How many earlier metadata files the metadata log names: the table property Iceberg's writers use, 100 by default. */
function previousVersionsMax(metadata: TableMetadata): number {
  const value = Number(metadata.properties['write.metadata.previous-versions-max']);
  return Number.isSafeInteger(value) && value > 0 ? value : 100;
}

/** The metadata files before `version` that the log no longer names, removed; a failure leaves them for `gc` (the commit stands). */
async function removeOldMetadataFiles(folder: string, version: number, kept: number): Promise<void> {
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    const match = /^v([1-9]\d*)\.metadata\.json$/.exec(name);
    if (match && Number(match[1]) < version - kept) await fs.rm(path.join(folder, name), { force: true }).catch(() => undefined);
  }
}

/** A table as read: its folder, the metadata version read and that version's content. */
export interface LoadedTable {
  dir: string;
  version: number;
  /** absolute path of the metadata file read */
  metadataFile: string;
  metadata: TableMetadata;
}

async function readHint(dir: string): Promise<number | null> {
  try {
    const text = await fs.readFile(path.join(dir, METADATA_DIR, VERSION_HINT), 'utf8');
    const version = Number(text.trim());
    return Number.isSafeInteger(version) && version > 0 ? version : null;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw ioError('read', path.join(dir, METADATA_DIR, VERSION_HINT), error);
  }
}

async function highestListed(dir: string): Promise<number | null> {
  let names: string[];
  try {
    names = await fs.readdir(path.join(dir, METADATA_DIR));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
    throw ioError('list', path.join(dir, METADATA_DIR), error);
  }
  const versions = names.map((name) => /^v(\d+)\.metadata\.json$/.exec(name)).flatMap((m) => (m ? [Number(m[1])] : []));
  return versions.length === 0 ? null : Math.max(...versions);
}

/**
 * The current metadata version of the table in `dir`: the version hint, then any later
 * `vN.metadata.json` (a commit whose hint was not written yet); without a usable hint, the
 * highest version in the folder. NOT_FOUND when the folder holds no table.
 */
export async function currentVersion(dir: string): Promise<number> {
  let version = await readHint(dir);
  if (version !== null && !(await exists(path.join(dir, METADATA_DIR, metadataFileName(version))))) version = null;
  if (version === null) version = await highestListed(dir);
  if (version === null) throw new NotFoundError(`${dir} holds no Iceberg table (no ${METADATA_DIR}/${VERSION_HINT} and no v<N>.metadata.json)`, { path: dir });
  while (await exists(path.join(dir, METADATA_DIR, metadataFileName(version + 1)))) version++;
  return version;
}

/**
 * The table in `dir` at metadata version `version` (the current one when omitted). Throws
 * NOT_FOUND (no table, no such version), CORRUPTED_FILE / UNSUPPORTED_FILE as
 * `parseTableMetadata`.
 */
export async function loadTable(dir: string, version?: number): Promise<LoadedTable> {
  const root = path.resolve(dir);
  const chosen = version ?? (await currentVersion(root));
  const metadataFile = path.join(root, METADATA_DIR, metadataFileName(chosen));
  let text: string;
  try {
    text = await fs.readFile(metadataFile, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') throw new NotFoundError(`${root} has no metadata version ${chosen} (${metadataFile})`, { path: metadataFile, version: chosen });
    throw ioError('read', metadataFile, error);
  }
  return { dir: root, version: chosen, metadataFile, metadata: parseTableMetadata(text, metadataFile) };
}

/**
 * Commits `next` as metadata version `base.version + 1` of the table `base` was read from
 * (version 1 of a new table when `base` is null: pass `dir`). The metadata log gains the
 * file `base` was read from. Throws LOCKED (details.reason "commit-conflict") when another
 * writer committed that version first: nothing of this commit is then visible, and the
 * caller may read the table again and retry. WRITE_FAILED / IO_ERROR when the disk fails.
 */
export async function commitMetadata(base: LoadedTable | null, next: TableMetadata, dir = base?.dir): Promise<LoadedTable> {
  if (dir === undefined) throw new MesDataError('BAD_REQUEST', 'commitMetadata needs the table folder for a new table');
  const root = path.resolve(dir);
  const version = (base?.version ?? 0) + 1;
  const log = base ? [...next['metadata-log'], { 'timestamp-ms': base.metadata['last-updated-ms'], 'metadata-file': locationIn(base.metadata.location, `${METADATA_DIR}/${metadataFileName(base.version)}`) }] : next['metadata-log'];
  const metadata: TableMetadata = { ...next, 'metadata-log': log.slice(-previousVersionsMax(next)) };
  const folder = path.join(root, METADATA_DIR);
  const target = path.join(folder, metadataFileName(version));
  await mkdirDurable(folder);
  const temp = temporaryName(target);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(serializeTableMetadata(metadata));
      await handle.sync();
    } finally {
      await handle.close();
    }
    crashPoint(`wrote metadata version ${version} (temporary)`);
    await moveNoReplace(temp, target, 'file');
  } catch (error) {
    await fs.rm(temp, { force: true });
    if (error instanceof AlreadyExistsError) {
      throw new LockedError(`another writer committed metadata version ${version} of ${root} first; read the table again and retry`, { path: target, version, reason: 'commit-conflict' });
    }
    if (error instanceof MesDataError) throw error;
    throw new MesDataError('WRITE_FAILED', `cannot write ${target}: ${(error as Error).message}`, { path: target, errno: errnoOf(error) ?? null });
  }
  await writeFileDurable(path.join(folder, VERSION_HINT), String(version));
  if (metadata.properties['write.metadata.delete-after-commit.enabled'] === 'true') await removeOldMetadataFiles(folder, version, previousVersionsMax(metadata));
  return { dir: root, version, metadataFile: target, metadata };
}
