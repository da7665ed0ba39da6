import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import type { SchemaElement } from 'hyparquet';
import { bigintToJson, daysToDate, epochToIso, numberToJson, type JsonValue } from '../arrow/arrowJson.js';
import { BadRequestError, CorruptedFileError, MesDataError, NotFoundError, UnsupportedFileError } from '../errors.js';
import { arrowTypeFor, FallbackUnsupported, floorDiv } from '../parquet/decoder/fallbackReader.js';
import { rawParsers } from '../parquet/decoder/footer.js';
import { listTree, type CatalogNode } from '../store/catalog.js';
import { STORE_FORMAT_VERSION, STORE_MARKER } from '../store/storeLayout.js';
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
    }
  }

  /**
   * The Parquet objects a path names, sorted by key as a folder's dataset reads them: one
   * object's key; a dataset folder (`raw/MES/2024-01-02`, `cleaned/v1/MES`,
   * `features/v1/MES/rsi`); or a version by name (`cleaned/MES@v1`, `cleaned/MES` for the
   * newest, `features/MES/rsi@v2`), from the sidecars in `catalog/`.
   */
  private async resolve(input: string): Promise<{ path: string; keys: string[] }> {
    await this.checkMarker();
    const named = /^(cleaned)\/([^/@]+)(?:@v?(\d+))?$/.exec(input) ?? /^(features)\/([^/@]+\/[^/@]+)(?:@v?(\d+))?$/.exec(input);
    let folder = input.replace(/\/+$/, '');
    if (named && !/^v\d+$/.test(named[2].split('/')[0])) {
      const [, layer, key, wanted] = named;
      let version = wanted === undefined ? null : Number(wanted);
      if (version === null) {
        const held = (await this.store.list(`catalog/${layer}/${checkedKey(key, 'the dataset name')}/`))
          .map((entry) => /^v(\d+)\.json$/.exec(entry.key.slice(`catalog/${layer}/${key}/`.length))?.[1])
          .filter((n): n is string => n !== undefined)
          .map(Number)
          .sort((a, b) => b - a);
        if (held.length === 0) throw new NotFoundError(`no version of ${input} in ${this.store.location}`, { path: input, store: this.store.location });
        version = held[0];
      }
      folder = `${layer}/v${version}/${key}`;
    }
    checkedKey(folder, 'the object key');
    if (folder.endsWith('.parquet')) return { path: folder, keys: [folder] };
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
