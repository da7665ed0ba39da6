import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import type { SchemaElement } from 'hyparquet';
import { bigintToJson, daysToDate, epochToIso, numberToJson, type JsonValue } from '../arrow/arrowJson.js';
import { BadRequestError, CorruptedFileError, MesDataError, NotFoundError, UnsupportedFileError } from '../errors.js';
import { arrowTypeFor, FallbackUnsupported, floorDiv } from '../parquet/decoder/fallbackReader.js';
import { rawParsers } from '../parquet/decoder/footer.js';
import { decodeManifestList } from '../iceberg/manifestFiles.js';
import { loadTable, type LoadedTable } from '../iceberg/tableCommit.js';
import { relativeInTable, resolveLocation } from '../iceberg/tableLocation.js';
import { listSnapshots, snapshotDataFiles, snapshotForVersion } from '../iceberg/tableRead.js';
import { listTree, type CatalogNode } from '../store/catalog.js';
import { STORE_FORMAT_VERSION, STORE_MARKER, featureKey, parseVersionFolder, tablePath, versionPath, type VersionedLayer } from '../store/storeLayout.js';
import { versionFolderLinks } from '../store/versionCommit.js';
import { tableOfMetadata } from '../sync/syncStores.js';
import { ObjectParquetReader, RangeCache } from './objectRangeReader.js';
import type { ObjectStore } from './objectStore.js';
import { checkedKey } from './storeUrl.js';

/**
 * A store in a bucket, seen read-only: what `mes-data ls`, `show` and `schema` answer on an
 * `s3://` store. The tree is the local catalog's (`listTree`, so both print the same): its
 * folders are made from one listing of the bucket and its sidecars fetched, in a temporary
 * folder removed afterwards; no Parquet object is read for it. Rows and columns of a Parquet
 * object, a dataset folder or a version by name are read with range requests (each object's
 * footer, then only the row groups that hold the rows), values given exactly as the local
 * readers give them (timestamps with every digit of their unit, 64-bit integers beyond 2^53
 * as strings).
 *
 * A bucket holds no version folders (core/objectStore/workingCopy.ts): a version is its
 * table's snapshot with its sidecar, and `cleaned/v3/MES` (or `cleaned/MES@v3`) names that
 * snapshot's data files under the names a folder gives them (`versionFolderLinks`), read from
 * the table's newest metadata file, its manifest list and manifests. A bucket written before
 * that, with a folder of objects per version, reads the same (the table first; the folder's
 * objects for a version the table does not hold).
 */

interface RemoteRows {
  path: string;
  numRows: number;
  offset: number;
  columns: { name: string; type: string }[];
  rows: { [column: string]: JsonValue }[];
}

interface RemoteSchema {
  path: string;
  numRows: number;
  columns: { name: string; type: string; nullable: boolean }[];
}

/** The top-level columns of a flat file with their Arrow types. UNSUPPORTED_FILE for a nested column or a type not mapped. */
function flatColumns(url: string, schema: SchemaElement[]): { element: SchemaElement; type: arrow.DataType }[] {
  const columns: { element: SchemaElement; type: arrow.DataType }[] = [];
  let index = 1;
  const skip = (at: number): number => {
    let next = at + 1;
    for (let child = 0; child < (schema[at].num_children ?? 0); child++) next = skip(next);
    return next;
  };
  while (index < schema.length) {
    const element = schema[index];
    if ((element.num_children ?? 0) > 0 || element.repetition_type === 'REPEATED') {
      throw new UnsupportedFileError(`${url}: column "${element.name}" is nested; on an s3:// store show and schema read flat columns only (sync it to a folder to read it)`, { path: url, column: element.name });
    }
    try {
      columns.push({ element, type: arrowTypeFor(element, arrow) });
    } catch (error) {
      if (error instanceof FallbackUnsupported) throw new UnsupportedFileError(`${url}: ${error.message} is not read on an s3:// store yet (sync it to a folder to read it)`, { path: url, column: element.name });
      throw error;
    }
    index = skip(index);
  }
  return columns;
}

/** One value as hyparquet gives it with raw parsers, in the JSON the local readers give. */
function toJson(value: unknown, type: arrow.DataType, element: SchemaElement): JsonValue {
  if (value === null || value === undefined) return null;
  if (arrow.DataType.isTimestamp(type)) {
    const units = typeof value === 'bigint' ? value : BigInt(value as number);
    return epochToIso(element.type === 'INT96' ? floorDiv(units, 1000n) : units, type.unit);
  }
  if (arrow.DataType.isDate(type)) return daysToDate(Number(value));
  if (typeof value === 'bigint') return bigintToJson(value);
  if (typeof value === 'number') return numberToJson(value);
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return JSON.stringify(value) ?? null;
}

/** Arrow's name for a type (`Timestamp<NANOSECOND, UTC>`, `Float64`), as the local readers print it. */
function typeName(type: arrow.DataType): string {
  return (type as { toString(): string }).toString();
}

export class RemoteStoreView {
  private readonly cache = new RangeCache();

  constructor(readonly store: ObjectStore) {}

  private urlOf(key: string): string {
    return `${this.store.location}${key}`;
  }

  /** The marker must say: a store of our format. NOT_FOUND naming the place otherwise. */
  private async checkMarker(): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.store.get(STORE_MARKER);
    } catch (error) {
      if (error instanceof MesDataError && error.code === 'NOT_FOUND' && error.details.reason !== 'no-such-bucket') {
        throw new NotFoundError(`${this.store.location} is not a MES Data store: it has no ${STORE_MARKER}`, { store: this.store.location, key: STORE_MARKER });
      }
      throw error;
    }
    let formatVersion: unknown;
    try {
      formatVersion = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { formatVersion?: unknown }).formatVersion;
    } catch {
      throw new CorruptedFileError(`${STORE_MARKER} of ${this.store.location} is not JSON`, { store: this.store.location, key: STORE_MARKER });
    }
    if (formatVersion === 1) throw new MesDataError('STORE_NEEDS_MIGRATION', `${this.store.location} is a store of format 1; sync it to a folder and run mes-data migrate there`, { store: this.store.location, formatVersion });
    if (formatVersion !== STORE_FORMAT_VERSION) throw new UnsupportedFileError(`${this.store.location} is a store of format ${String(formatVersion)}; this version reads format ${STORE_FORMAT_VERSION}`, { store: this.store.location, formatVersion: formatVersion ?? null });
    return bytes;
  }

  /** The catalog node at `treePath` with `depth` levels, as `listTree` gives it for a folder (the store node named after the prefix's last part). */
  async tree(treePath: string, depth: number | undefined): Promise<CatalogNode> {
    const marker = await this.checkMarker();
    const parts = treePath.split('/').filter((part) => part !== '' && part !== '.');
    // only the layer asked for (and, for raw, the asset) is listed
    const scope = parts.length === 0 ? [''] : parts[0] === 'raw' && parts.length >= 2 ? [`raw/${parts[1]}/`, `catalog/raw/${parts[1]}/`] : [`${parts[0]}/`, `catalog/${parts[0]}/`];
    const keys = new Set<string>();
    for (const prefix of scope) {
      let valid = true;
      try {
        if (prefix !== '') checkedKey(prefix.slice(0, -1));
      } catch {
        valid = false;
      }
      if (!valid) continue;
      for (const entry of await this.store.list(prefix)) keys.add(entry.key);
    }
    const location = this.store.location;
    const name = location.replace(/\/+$/, '').split('/').pop() ?? 'store';
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'mes-data-remote-'));
    const root = path.join(base, name);
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'mes-data-remote-tables-'));
    try {
      await fs.mkdir(root);
      await fs.writeFile(path.join(root, STORE_MARKER), marker);
      const sidecars: string[] = [];
      const folders = new Set<string>();
      for (const key of keys) {
        try {
          checkedKey(key);
        } catch {
          continue; // a key no store writes (S3 takes any): not part of the tree
        }
        const segments = key.split('/');
        if (segments.some((segment) => segment.startsWith('.'))) continue;
        if (segments[0] === 'catalog' && key.endsWith('.json')) sidecars.push(key);
        else if (segments[0] === 'raw' || segments[0] === 'cleaned' || segments[0] === 'features') folders.add(segments.slice(0, -1).join('/'));
      }
      // the versions of each table in scope: its snapshots that have their sidecar (a bucket holds no version folders)
      const sidecarKeys = new Set(sidecars);
      const tables = new Set([...keys].map((key) => tableOfMetadata(key)).filter((table): table is string => table !== null));
      for (const table of tables) {
        const layer = table.split('/')[0] as VersionedLayer;
        const key = table.slice(layer.length + 1);
        for (const version of await this.committedVersions(layer, key, [...keys], scratch)) {
          if (sidecarKeys.has(`catalog/${table}/v${version}.json`)) folders.add(versionPath(layer, version, key));
        }
      }
      for (const folder of [...folders].sort()) await fs.mkdir(path.join(root, ...folder.split('/')), { recursive: true });
      let next = 0;
      const fetchOne = async (): Promise<void> => {
        while (next < sidecars.length) {
          const key = sidecars[next++];
          const file = path.join(root, ...key.split('/'));
          await fs.mkdir(path.dirname(file), { recursive: true });
          await fs.writeFile(file, await this.store.get(key));
        }
      };
      await Promise.all(Array.from({ length: Math.min(16, sidecars.length) }, fetchOne));
      try {
        return await listTree({ root, formatVersion: STORE_FORMAT_VERSION }, treePath, { depth });
      } catch (error) {
        // the errors name the bucket, never the temporary folder
        if (!(error instanceof MesDataError)) throw error;
        const swap = (text: string): string => text.split(root).join(location.replace(/\/$/, ''));
        const details = Object.fromEntries(Object.entries(error.details).map(([k, v]) => [k, typeof v === 'string' ? swap(v) : v]));
        throw new MesDataError(error.code, swap(error.message), details);
      }
    } finally {
      await fs.rm(base, { recursive: true, force: true });
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * The version numbers of a table of the bucket: its snapshots (`mes-data.version`), from
   * its newest metadata file (looking past the version hint, as `loadTable` does); none
   * without a table. `keys`, the bucket's keys when already listed; `scratch`, a temporary
   * folder to read the metadata in.
   */
  private async committedVersions(layer: VersionedLayer, key: string, keys: readonly string[] | null, scratch: string): Promise<number[]> {
    try {
      const table = await this.loadRemoteTable(tablePath(layer, key), keys, scratch);
      return table === null ? [] : listSnapshots(table).map((snapshot) => snapshot.version);
    } catch (error) {
      // a table whose metadata cannot be read shows no version but an older bucket's folders (verify names it)
      if (error instanceof MesDataError && (error.code === 'CORRUPTED_FILE' || error.code === 'UNSUPPORTED_FILE' || error.code === 'NOT_FOUND')) return [];
      throw error;
    }
  }

  /** The table `table` (`cleaned/MES`) of the bucket read into `scratch`: its newest metadata file, or null when there is none. */
  private async loadRemoteTable(table: string, keys: readonly string[] | null, scratch: string): Promise<LoadedTable | null> {
    const folder = `${table}/metadata/`;
    const listed = keys ?? (await this.store.list(folder)).map((entry) => entry.key);
    const versions = listed.filter((k) => k.startsWith(folder)).map((k) => /^v([1-9]\d*)\.metadata\.json$/.exec(k.slice(folder.length))?.[1]).filter((n): n is string => n !== undefined).map(Number);
    if (versions.length === 0) return null;
    const newest = Math.max(...versions);
    const dir = path.join(scratch, ...table.split('/'));
    await fs.mkdir(path.join(dir, 'metadata'), { recursive: true });
    await fs.writeFile(path.join(dir, 'metadata', `v${newest}.metadata.json`), await this.store.get(`${folder}v${newest}.metadata.json`));
    return loadTable(dir, newest);
  }

  /**
   * The objects of version `version` of a table, as a version folder names them (sorted by
   * name, as a folder's dataset reads them): the snapshot's manifest list and manifests are
   * fetched into the table's scratch folder, then its live data files named by
   * `versionFolderLinks`. NOT_FOUND when the table keeps no such snapshot.
   */
  private async versionObjects(table: LoadedTable, tableKey: string, version: number): Promise<{ name: string; key: string }[]> {
    const fetchInto = async (location: string, source: string): Promise<string> => {
      const file = resolveLocation(table.dir, table.metadata.location, location, source);
      const key = checkedKey(`${tableKey}/${relativeInTable(table.dir, file)}`, 'a table file');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, await this.store.get(key));
      return file;
    };
    const snapshot = snapshotForVersion(table, version);
    const list = await fetchInto(snapshot.manifestList, table.metadataFile);
    const manifests = decodeManifestList(await fs.readFile(list), list);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < manifests.length) await fetchInto(manifests[next++].manifest_path, list);
    };
    await Promise.all(Array.from({ length: Math.min(8, manifests.length) }, worker));
    return versionFolderLinks(await snapshotDataFiles(table, snapshot))
      .map((link) => ({ name: link.name, key: `${tableKey}/${relativeInTable(table.dir, link.from)}` }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The versions of `key` with a sidecar in `catalog/`, ascending. */
  private async sidecarVersions(layer: VersionedLayer, key: string): Promise<number[]> {
    const prefix = `catalog/${layer}/${checkedKey(key, 'the dataset name')}/`;
    return (await this.store.list(prefix))
      .map((entry) => /^v([1-9]\d*)\.json$/.exec(entry.key.slice(prefix.length))?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * What a path names as a version: `cleaned/MES@v1`, `cleaned/MES` (the newest),
   * `cleaned/v1/MES`, a file of it (`cleaned/v1/MES/2024-01-02.parquet`), and the same of
   * `features/…/{ASSET}/{set}`; null for any other path.
   */
  private static versionNamed(input: string): { layer: VersionedLayer; key: string; version: number | null; folder: string | null; file: string | null } | null {
    const parts = input.replace(/\/+$/, '').split('/');
    const layer = parts[0];
    if (layer !== 'cleaned' && layer !== 'features') return null;
    const width = layer === 'cleaned' ? 1 : 2;
    const folderVersion = parseVersionFolder(parts[1] ?? '');
    if (folderVersion !== null) {
      if (parts.length !== 2 + width && parts.length !== 3 + width) return null;
      const key = layer === 'cleaned' ? parts[2] : featureKey(parts[2], parts[3]);
      return { layer, key, version: folderVersion, folder: parts.slice(0, 2 + width).join('/'), file: parts.length === 3 + width ? parts[2 + width] : null };
    }
    if (parts.length !== 1 + width) return null;
    const last = /^([^@]+?)(?:@v?(\d+))?$/.exec(parts[width]);
    if (last === null) return null;
    const key = layer === 'cleaned' ? last[1] : featureKey(parts[1], last[1]);
    return { layer, key, version: last[2] === undefined ? null : Number(last[2]), folder: null, file: null };
  }

  /**
   * The Parquet objects a path names, sorted as a folder's dataset reads them: one object's
   * key; a dataset folder (`raw/MES/2024-01-02`); or a version (`cleaned/v1/MES`,
   * `cleaned/MES@v1`, `cleaned/MES` for the newest, `features/MES/rsi@v2`, a file of one) by
   * its table's snapshot and its sidecar (see the class comment).
   */
  private async resolve(input: string): Promise<{ path: string; keys: string[] }> {
    await this.checkMarker();
    let folder = input.replace(/\/+$/, '');
    const named = RemoteStoreView.versionNamed(input);
    if (named !== null) {
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'mes-data-remote-'));
      try {
        const tableKey = tablePath(named.layer, checkedKey(named.key, 'the dataset name'));
        const table = await this.loadRemoteTable(tableKey, null, scratch);
        const sidecars = await this.sidecarVersions(named.layer, named.key);
        const snapshots = new Set(table === null ? [] : listSnapshots(table).map((snapshot) => snapshot.version));
        const committed = sidecars.filter((version) => snapshots.has(version));
        let version = named.version;
        if (version === null) {
          // the newest version: an older bucket's folder of objects counts too
          if (committed.length === 0 && sidecars.length === 0) throw new NotFoundError(`no version of ${input} in ${this.store.location}`, { path: input, store: this.store.location });
          version = committed.length > 0 ? committed[committed.length - 1] : sidecars[sidecars.length - 1];
        }
        folder = named.folder ?? versionPath(named.layer, version, named.key);
        if (table !== null && committed.includes(version)) {
          const objects = await this.versionObjects(table, tableKey, version);
          const chosen = named.file === null ? objects : objects.filter((object) => object.name === named.file);
          if (chosen.length > 0) return { path: named.file === null ? folder : `${folder}/${named.file}`, keys: chosen.map((object) => object.key) };
        }
        if (named.file !== null) folder = `${folder}/${named.file}`;
      } catch (error) {
        // the errors name the bucket's keys, never the scratch folder
        if (!(error instanceof MesDataError)) throw error;
        const swap = (text: string): string => text.split(scratch).join(this.store.location.replace(/\/$/, ''));
        throw new MesDataError(error.code, swap(error.message), Object.fromEntries(Object.entries(error.details).map(([k, v]) => [k, typeof v === 'string' ? swap(v) : v])));
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }
    }
    checkedKey(folder, 'the object key');
    if (folder.endsWith('.parquet')) return { path: folder, keys: [folder] };
    // a raw date or asset folder, or an older bucket's version folder of objects
    const keys = (await this.store.list(`${folder}/`)).map((entry) => entry.key).filter((key) => key.endsWith('.parquet') && !key.split('/').some((part) => part.startsWith('.') || part.startsWith('_')));
    if (keys.length === 0) {
      throw new NotFoundError(`nothing at ${input} in ${this.store.location}: on an s3:// store show and schema take an object's key (raw/MES/2024-01-02/ohlcv.parquet), a dataset folder (cleaned/v1/MES) or a version's name (cleaned/MES@v1)`, {
        path: input,
        store: this.store.location,
      });
    }
    return { path: folder, keys };
  }

  private async open(key: string): Promise<ObjectParquetReader> {
    try {
      return await ObjectParquetReader.open(this.store, key, this.cache);
    } catch (error) {
      if (error instanceof MesDataError && error.code === 'NOT_FOUND' && error.details.reason === 'no-such-key') {
        throw new NotFoundError(`no object ${key} in ${this.store.location}; on an s3:// store show and schema take an object's key (raw/MES/2024-01-02/ohlcv.parquet), a dataset folder (cleaned/v1/MES) or a version's name (cleaned/MES@v1)`, { path: this.urlOf(key), key });
      }
      if (error instanceof MesDataError) throw error;
      throw new CorruptedFileError(`${this.urlOf(key)} is not a readable Parquet file: ${(error as Error).message}`, { path: this.urlOf(key) });
    }
  }

  /** The objects' footers, in order, with the first one's columns (every file of a dataset has them). */
  private async openAll(input: string): Promise<{ url: string; readers: ObjectParquetReader[]; columns: { element: SchemaElement; type: arrow.DataType }[] }> {
    const { path: resolved, keys } = await this.resolve(input);
    const readers = await Promise.all(keys.map((key) => this.open(key)));
    const url = this.urlOf(resolved);
    return { url, readers, columns: flatColumns(url, readers[0].metadata.schema) };
  }

  async schema(input: string): Promise<RemoteSchema> {
    const { url, readers, columns } = await this.openAll(input);
    return {
      path: url,
      numRows: readers.reduce((sum, reader) => sum + reader.numRows, 0),
      columns: columns.map(({ element, type }) => ({ name: element.name, type: typeName(type), nullable: element.repetition_type !== 'REQUIRED' })),
    };
  }

  /** Rows [offset, offset + rows) of an object or a dataset (only the row groups that hold them are fetched), with the columns asked for, in their order. */
  async rows(input: string, offset: number, rows: number, columns?: string[]): Promise<RemoteRows> {
    const { url, readers, columns: all } = await this.openAll(input);
    const chosen = columns === undefined ? all : columns.map((name) => {
      const found = all.find((c) => c.element.name === name);
      if (!found) throw new BadRequestError(`${url} has no column "${name}"; its columns are ${all.map((c) => c.element.name).join(', ')}`, { path: url, column: name });
      return found;
    });
    const read: Record<string, unknown>[] = [];
    let start = 0;
    for (const reader of readers) {
      const end = start + reader.numRows;
      const from = Math.max(offset, start);
      const to = Math.min(offset + rows, end);
      if (to > from) {
        try {
          read.push(...(await reader.readRows(from - start, to - from, chosen.map((c) => c.element.name), rawParsers)));
        } catch (error) {
          if (error instanceof MesDataError) throw error;
          throw new CorruptedFileError(`${this.urlOf(reader.key)}: its rows could not be decoded: ${(error as Error).message}`, { path: this.urlOf(reader.key) });
        }
      }
      start = end;
    }
    return {
      path: url,
      numRows: start,
      offset,
      columns: chosen.map((c) => ({ name: c.element.name, type: typeName(c.type) })),
      rows: read.map((row) => Object.fromEntries(chosen.map((c) => [c.element.name, toJson(row[c.element.name], c.type, c.element)]))),
    };
  }
}
