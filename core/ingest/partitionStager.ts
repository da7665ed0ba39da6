import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { daysToDate, epochToIso } from '../arrow/arrowJson.js';
import { AlreadyExistsError, CancelledError } from '../errors.js';
import { epochNanosBigInt } from './epochNanos.js';
import type { StagedPartition } from './ingestTypes.js';
import type { ColumnPayload, FieldSpec, ParquetStreamWriter, Piece, WriterSpec, WrittenFile } from './parquetStreamWriter.js';
import { payloadIpc } from './outputSchema.js';
import type { ConvertedBatch } from './rowConverter.js';

/**
 * Splits converted rows by trading date and stages each date as one Parquet file, with
 * memory bounded whatever the order of the input:
 *
 * - Rows collect per date in a buffer. A buffer that reaches `batchRows` goes to that
 *   date's open segment (a streaming Parquet writer in a writer thread, which cuts row
 *   groups as they fill), so a huge date is never whole in memory.
 * - Input sorted by time (either direction) closes each date when the next one starts:
 *   a date that fits in one buffer is then written in one go.
 * - Unsorted input: at most `maxOpenSegments` segments stay open (least recently used
 *   closes first), and when the buffers together pass `memoryRows` the biggest are spilled
 *   to a per-date spill file (Arrow IPC). A date written in several pieces (segments,
 *   spills) is merged into one file at the end, in input order.
 * - Column types: a count column starts as Int64 and becomes Float64 when a non-integral
 *   value appears; pieces written before are cast when merged.
 *
 * A date's first piece is written straight to `{stagingDir}/{ASSET}/{YYYY-MM-DD}/{name}.parquet`
 * (for input sorted by time, the only piece: no copy, no rename); later pieces go to a
 * private work folder in the staging folder and are merged over it by `finish`. `abort`
 * removes everything written.
 */

/** The writers' spec (fields as they stand: count columns may later turn from int64 to float64; the trading date is added to the key-value metadata per file as `mes_data.date`), and where and how to stage. */
export interface StagerOptions extends WriterSpec {
  stagingDir: string;
  asset: string;
  /** File name (without extension) of every staged file. */
  name: string;
  /** Writer threads (at least one unless `dryRun`). */
  writers: ParquetStreamWriter[];
  /** Keep only the statistics; write nothing. */
  dryRun?: boolean;
  /** Rows a date buffers before they go to its writer (default 65,536). */
  batchRows?: number;
  /** Rows all buffers may hold together before the biggest are spilled (default 500,000). */
  memoryRows?: number;
  /** Segments open at once (default 8). */
  maxOpenSegments?: number;
  /** Checked between merges at the end (they can take a while for unsorted input). */
  signal?: AbortSignal;
}

interface PieceRecord {
  piece: Piece;
  /** The piece is the staged file itself (the date's first piece). */
  atFinal: boolean;
  fieldsKey: string;
  /** The written file (segments and whole writes), once the writer has finished it. */
  written: WrittenFile | null;
}

interface Partition {
  day: number;
  date: string;
  rows: number;
  minSecond: number;
  minNano: number;
  maxSecond: number;
  maxNano: number;
  buffer: RowBuffer | null;
  segment: { id: number; record: PieceRecord } | null;
  pieces: PieceRecord[];
  lastUse: number;
  pieceCount: number;
  /** The staged file's path is taken by one of the pieces. */
  finalTaken: boolean;
}

const MAX_IN_FLIGHT = 6;

export class PartitionStager {
  private readonly options: StagerOptions;
  private readonly partitions = new Map<number, Partition>();
  /** Partitions with buffered rows or an open segment. */
  private readonly active = new Set<Partition>();
  private fields: FieldSpec[];
  private fieldsKey: string;
  private readonly batchRows: number;
  private readonly memoryRows: number;
  private readonly maxOpen: number;
  private openSegments = 0;
  private nextSegment = 1;
  private buffered = 0;
  private maxDay = -Infinity;
  private minDay = Infinity;
  private clock = 0;
  private outstanding: Promise<unknown>[] = [];
  private failure: Error | null = null;
  private workDir: string | null = null;
  /** Staged files and folders this stager asked for (removed by `abort`). */
  private readonly stagedFiles = new Set<string>();
  private readonly stagedDirs = new Set<string>();
  /** Rows of the last date closed: the first buffer size of the next date. */
  private sizeHint = 256;
  rowsStaged = 0;

  constructor(options: StagerOptions) {
    if (!options.dryRun && options.writers.length === 0) throw new Error('a stager that writes needs a writer thread');
    this.options = options;
    this.fields = options.fields;
    this.fieldsKey = keyOf(options.fields);
    this.batchRows = options.batchRows ?? 65_536;
    this.memoryRows = options.memoryRows ?? 500_000;
    this.maxOpen = options.maxOpenSegments ?? 8;
  }

  private get dryRun(): boolean {
    return this.options.dryRun === true;
  }

  /** Output fields changed (a count column became float64): open segments are closed so no value is cut. */
  async setFields(fields: FieldSpec[]): Promise<void> {
    const key = keyOf(fields);
    if (key === this.fieldsKey) return;
    for (const p of [...this.active]) if (p.segment) await this.closeSegment(p, true);
    this.fields = fields;
    this.fieldsKey = key;
  }

  /** Routes a converted batch to its dates. */
  async add(batch: ConvertedBatch): Promise<void> {
    this.throwIfFailed();
    const days = batch.tradingDays;
    const n = batch.rows;
    let r = 0;
    while (r < n) {
      const day = days[r];
      let end = r + 1;
      while (end < n && days[end] === day) end++;
      if (day > this.maxDay) {
        if (this.maxDay !== -Infinity) await this.closeWhere((p) => p.day < day);
        this.maxDay = day;
      }
      if (day < this.minDay) {
        if (this.minDay !== Infinity) await this.closeWhere((p) => p.day > day);
        this.minDay = day;
      }
      const p = this.partition(day);
      this.noteRange(p, batch, r, end);
      p.rows += end - r;
      this.rowsStaged += end - r;
      if (!this.dryRun) {
        // sorted input: a new date will likely be as big as the last one; unsorted: start small
        p.buffer ??= new RowBuffer(this.fields, this.active.size > this.maxOpen ? 256 : Math.min(this.sizeHint, this.batchRows));
        p.buffer.append(batch, r, end);
        this.buffered += end - r;
        this.active.add(p);
        if (p.buffer.rows >= this.batchRows) await this.flush(p);
      }
      r = end;
    }
    if (this.buffered > this.memoryRows) await this.relieve();
  }

  /**
   * Closes every date, merges dates written in pieces, and moves the files into the
   * staging layout. Throws ALREADY_EXISTS when a staged file is already there (the staging
   * folder must not hold an earlier ingest of the same name), or the writer's error.
   */
  async finish(): Promise<StagedPartition[]> {
    const ordered = [...this.partitions.values()].sort((a, b) => a.day - b.day);
    if (this.dryRun) return ordered.map((p) => this.describe(p, null));
    for (const p of [...this.active].sort((a, b) => a.day - b.day)) await this.closePartition(p);
    await this.drain();
    const results: StagedPartition[] = [];
    const merges: Promise<void>[] = [];
    let running = 0;
    for (const p of ordered) {
      if (this.options.signal?.aborted) throw new CancelledError('the ingest was cancelled');
      const final = this.finalPath(p);
      const only = p.pieces.length === 1 ? p.pieces[0] : null;
      if (only && only.atFinal && only.fieldsKey === this.fieldsKey && only.written) {
        results.push(this.describe(p, only.written));
        continue;
      }
      if (!p.finalTaken) {
        // the date was only ever spilled: its folder and file are still to be made
        if (fs.existsSync(final)) throw new AlreadyExistsError(`${final} already exists; stage into a folder without an earlier ingest of the same name`, { path: final });
        this.stagedDirs.add(path.dirname(final));
        this.stagedDirs.add(path.dirname(path.dirname(final)));
        fs.mkdirSync(path.dirname(final), { recursive: true });
      }
      const writer = this.writerFor(p);
      const temp = path.join(this.work(), `${p.date}.merged.parquet`);
      const slot = results.length;
      results.push(this.describe(p, null));
      const job = writer.merge(temp, this.spec(p), p.pieces.map((r) => r.piece)).then((written) => {
        // over the first piece, which the merge has read
        fs.renameSync(temp, final);
        this.stagedFiles.add(final);
        results[slot] = this.describe(p, written);
      });
      merges.push(job);
      // one merge per writer thread at a time: a merge's memory stays in the thread's WebAssembly heap
      if (++running >= this.options.writers.length) {
        await Promise.all(merges.splice(0));
        running = 0;
      }
    }
    await Promise.all(merges);
    this.removeWorkDir();
    return results;
  }

  /**
   * Stops the writers and removes everything this stager wrote: pieces, staged files and
   * the folders it made (a folder that holds anything else stays).
   */
  async abort(): Promise<void> {
    await Promise.all(this.options.writers.map((w) => w.terminate()));
    this.removeWorkDir();
    for (const file of this.stagedFiles) fs.rmSync(file, { force: true });
    this.stagedFiles.clear();
    const dirs = [...this.stagedDirs].sort((a, b) => b.length - a.length);
    this.stagedDirs.clear();
    for (const dir of dirs) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // not empty (someone else's files) or already gone
      }
    }
  }

  private describe(p: Partition, written: WrittenFile | null): StagedPartition {
    return {
      asset: this.options.asset,
      date: p.date,
      path: this.finalPath(p),
      rows: p.rows,
      firstTimestamp: epochToIso(epochNanosBigInt(p.minSecond, p.minNano), 3),
      lastTimestamp: epochToIso(epochNanosBigInt(p.maxSecond, p.maxNano), 3),
      bytes: written ? written.bytes : null,
      sha256: written ? written.sha256 : null,
      ...(written?.summary ? { summary: written.summary } : {}),
    };
  }

  private finalPath(p: Partition): string {
    return path.join(this.options.stagingDir, this.options.asset, p.date, `${this.options.name}.parquet`);
  }

  private partition(day: number): Partition {
    let p = this.partitions.get(day);
    if (!p) {
      p = {
        day,
        date: daysToDate(day),
        rows: 0,
        minSecond: Infinity,
        minNano: 0,
        maxSecond: -Infinity,
        maxNano: 0,
        buffer: null,
        segment: null,
        pieces: [],
        lastUse: 0,
        pieceCount: 0,
        finalTaken: false,
      };
      this.partitions.set(day, p);
    }
    p.lastUse = this.clock++;
    return p;
  }

  private noteRange(p: Partition, batch: ConvertedBatch, from: number, to: number): void {
    const seconds = batch.seconds;
    const nanos = batch.nanos;
    for (let i = from; i < to; i++) {
      const s = seconds[i];
      if (s < p.minSecond || (s === p.minSecond && nanos[i] < p.minNano)) {
        p.minSecond = s;
        p.minNano = nanos[i];
      }
      if (s > p.maxSecond || (s === p.maxSecond && nanos[i] > p.maxNano)) {
        p.maxSecond = s;
        p.maxNano = nanos[i];
      }
    }
  }

  private async closeWhere(predicate: (p: Partition) => boolean): Promise<void> {
    for (const p of [...this.active]) if (predicate(p)) await this.closePartition(p);
  }

  /** Everything buffered for `p` goes to its file(s); its segment, if any, is closed. */
  private async closePartition(p: Partition): Promise<void> {
    if (p.segment) {
      await this.closeSegment(p, true);
    } else if (p.buffer && p.buffer.rows > 0) {
      const rows = p.buffer.rows;
      const columns = this.takeColumns(p);
      const record = this.newPiece(p);
      await this.track(
        this.released(
          record,
          this.writerFor(p)
            .write(record.piece.path, this.spec(p), columns, rows, record.atFinal)
            .then((written) => {
              record.written = written;
            }),
        ),
      );
    }
    this.sizeHint = Math.max(256, p.rows);
    this.active.delete(p);
  }

  /** The next Parquet piece of a date: the staged file itself first, then files in the work folder. */
  private newPiece(p: Partition): PieceRecord {
    let record: PieceRecord;
    if (!p.finalTaken) {
      const final = this.finalPath(p);
      p.finalTaken = true;
      this.stagedFiles.add(final);
      this.stagedDirs.add(path.dirname(final));
      this.stagedDirs.add(path.dirname(path.dirname(final)));
      record = { piece: { kind: 'parquet', path: final }, atFinal: true, fieldsKey: this.fieldsKey, written: null };
    } else {
      record = { piece: { kind: 'parquet', path: this.piecePath(p) }, atFinal: false, fieldsKey: this.fieldsKey, written: null };
    }
    p.pieces.push(record);
    return record;
  }

  /** A staged file that turned out to exist already is someone else's: `abort` must leave it. */
  private released(record: PieceRecord, promise: Promise<void>): Promise<void> {
    return promise.catch((error: unknown) => {
      if (record.atFinal && (error as { code?: string }).code === 'ALREADY_EXISTS') this.stagedFiles.delete(record.piece.path);
      throw error;
    });
  }

  private async closeSegment(p: Partition, flushFirst: boolean): Promise<void> {
    const segment = p.segment;
    if (!segment) return;
    if (flushFirst && p.buffer && p.buffer.rows > 0) await this.track(this.writerFor(p).append(segment.id, this.take(p)));
    p.segment = null;
    this.openSegments--;
    await this.track(
      this.writerFor(p)
        .close(segment.id)
        .then((written) => {
          segment.record.written = written;
        }),
    );
    if (!p.buffer || p.buffer.rows === 0) this.active.delete(p);
  }

  /** A full buffer goes to the date's segment (opened, closing the least recently used one, if need be). */
  private async flush(p: Partition): Promise<void> {
    if (!p.buffer || p.buffer.rows === 0) return;
    if (!p.segment) {
      if (this.openSegments >= this.maxOpen) {
        let oldest: Partition | null = null;
        for (const q of this.active) if (q.segment && q !== p && (!oldest || q.lastUse < oldest.lastUse)) oldest = q;
        if (oldest) await this.closeSegment(oldest, true);
      }
      const id = this.nextSegment++;
      const record = this.newPiece(p);
      p.segment = { id, record };
      this.openSegments++;
      await this.track(this.released(record, this.writerFor(p).open(id, record.piece.path, this.spec(p), record.atFinal)));
    }
    await this.track(this.writerFor(p).append(p.segment.id, this.take(p)));
  }

  /** Too many rows buffered: the biggest buffers go to their segments or to spill files. */
  private async relieve(): Promise<void> {
    const biggest = [...this.active].filter((p) => p.buffer && p.buffer.rows > 0).sort((a, b) => (b.buffer?.rows ?? 0) - (a.buffer?.rows ?? 0));
    for (const p of biggest) {
      if (this.buffered <= this.memoryRows / 2) break;
      if (p.segment) {
        await this.flush(p);
        continue;
      }
      if (!p.buffer) continue;
      // a date's spills go to one file, in order: consecutive ones make one piece (a byte range of frames)
      const last = p.pieces.at(-1);
      let piece: { kind: 'spill'; path: string; offset: number; length: number };
      if (last && last.piece.kind === 'spill' && last.fieldsKey === this.fieldsKey) piece = last.piece;
      else {
        piece = { kind: 'spill', path: path.join(this.work(), `${p.date}.spill`), offset: Infinity, length: 0 };
        p.pieces.push({ piece, atFinal: false, fieldsKey: this.fieldsKey, written: null });
      }
      await this.track(
        this.writerFor(p)
          .spill(piece.path, this.take(p))
          .then(({ offset, length }) => {
            piece.offset = Math.min(piece.offset, offset);
            piece.length += length;
          }),
      );
      this.active.delete(p);
    }
  }

  /** A date's buffered rows as an Arrow IPC stream, for a segment or a spill of its writer. */
  private take(p: Partition): Uint8Array {
    const rows = p.buffer?.rows ?? 0;
    return payloadIpc(this.fields, rows, this.takeColumns(p));
  }

  /** A date's buffered rows as its buffers' columns (the buffer is spent). */
  private takeColumns(p: Partition): ColumnPayload[] {
    const buffer = p.buffer;
    if (!buffer) throw new Error('nothing buffered');
    this.buffered -= buffer.rows;
    p.buffer = null;
    return buffer.take(this.fields);
  }

  private spec(p: Partition): WriterSpec {
    return {
      fields: this.fields,
      compression: this.options.compression,
      rowGroupSize: this.options.rowGroupSize,
      keyValue: { ...this.options.keyValue, 'mes_data.date': p.date },
      createdBy: this.options.createdBy,
      fsync: this.options.fsync,
    };
  }

  /** All of a date's work goes to one writer thread, so its pieces are written in order. */
  private writerFor(p: Partition): ParquetStreamWriter {
    const writers = this.options.writers;
    return writers[((p.day % writers.length) + writers.length) % writers.length];
  }

  private piecePath(p: Partition): string {
    return path.join(this.work(), `${p.date}.${p.pieceCount++}.parquet`);
  }

  private work(): string {
    if (!this.workDir) {
      if (!fs.existsSync(this.options.stagingDir)) {
        fs.mkdirSync(this.options.stagingDir, { recursive: true });
        this.stagedDirs.add(this.options.stagingDir);
      }
      const suffix = crypto.randomBytes(6).toString('hex');
      this.workDir = path.join(this.options.stagingDir, `.ingest-${this.options.name}-${suffix}`);
      fs.mkdirSync(this.workDir);
    }
    return this.workDir;
  }

  private removeWorkDir(): void {
    if (this.workDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    this.workDir = null;
  }

  /** Keeps at most MAX_IN_FLIGHT writer requests waiting: the back-pressure on the reader. */
  private async track(promise: Promise<unknown>): Promise<void> {
    this.outstanding.push(
      promise.catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      }),
    );
    while (this.outstanding.length > MAX_IN_FLIGHT) await this.outstanding.shift();
    this.throwIfFailed();
  }

  private async drain(): Promise<void> {
    await Promise.all(this.outstanding.splice(0));
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/** Strings (or nulls) as Arrow's UTF-8 layout, with a validity byte per row when a null is among them. */
function utf8Payload(strings: (string | null)[], rows: number): ColumnPayload {
  let size = 0;
  let nulls = 0;
  for (let i = 0; i < rows; i++) {
    const s = strings[i];
    if (s === null) nulls++;
    else size += Buffer.byteLength(s, 'utf8');
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  const offsets = new Int32Array(rows + 1);
  const valid = nulls > 0 ? new Uint8Array(rows) : null;
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const s = strings[i];
    if (s !== null) {
      at += bytes.write(s, at, 'utf8');
      if (valid) valid[i] = 1;
    }
    offsets[i + 1] = at;
  }
  return { data: { offsets, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }, valid };
}

function keyOf(fields: FieldSpec[]): string {
  return fields.map((f) => `${f.name}:${f.type}`).join('|');
}

/** One date's rows waiting for its writer: plain growing arrays, one per column. */
class RowBuffer {
  rows = 0;
  private capacity = 0;
  private timestamps = new BigInt64Array(0);
  private readonly values: (Float64Array | (string | null)[])[];
  private readonly valid: (Uint8Array | null)[];

  constructor(fields: FieldSpec[], capacity: number) {
    const valueFields = fields.slice(1);
    this.values = valueFields.map((f) => (f.type === 'utf8' ? [] : new Float64Array(0)));
    this.valid = valueFields.map(() => null);
    this.grow(capacity);
  }

  append(batch: ConvertedBatch, from: number, to: number): void {
    const count = to - from;
    this.grow(this.rows + count);
    const at = this.rows;
    this.timestamps.set(batch.timestamps.subarray(from, to), at);
    for (let k = 0; k < this.values.length; k++) {
      const target = this.values[k];
      const source = batch.values[k];
      if (Array.isArray(target)) {
        const strings = source as (string | null)[];
        for (let i = from; i < to; i++) target.push(strings[i]);
      } else {
        target.set((source as Float64Array).subarray(from, to), at);
      }
      const valid = batch.valid[k];
      if (valid) {
        let mine = this.valid[k];
        if (!mine) {
          mine = new Uint8Array(this.capacity);
          mine.fill(1, 0, at);
          this.valid[k] = mine;
        }
        mine.set(valid.subarray(from, to), at);
      } else if (this.valid[k]) {
        (this.valid[k] as Uint8Array).fill(1, at, at + count);
      }
    }
    this.rows += count;
  }

  /**
   * The columns themselves (the buffer is spent): only their first `rows` entries count.
   * Text goes as UTF-8 bytes and offsets, which move to the writer thread without a copy
   * (an array of strings would be cloned, string by string).
   */
  take(fields: FieldSpec[]): ColumnPayload[] {
    const out: ColumnPayload[] = [{ data: this.timestamps, valid: null }];
    for (let k = 0; k < this.values.length; k++) {
      const values = this.values[k];
      if (Array.isArray(values)) {
        out.push(utf8Payload(values, this.rows));
        continue;
      }
      const valid = this.valid[k];
      out.push({ data: values, valid: valid && fields[k + 1].type !== 'utf8' ? valid : null });
    }
    return out;
  }

  private grow(needed: number): void {
    if (needed <= this.capacity) return;
    const capacity = Math.max(needed, this.capacity * 2, 256);
    const timestamps = new BigInt64Array(capacity);
    timestamps.set(this.timestamps.subarray(0, this.rows));
    this.timestamps = timestamps;
    for (let k = 0; k < this.values.length; k++) {
      const values = this.values[k];
      if (!Array.isArray(values)) {
        const next = new Float64Array(capacity);
        next.set(values.subarray(0, this.rows));
        this.values[k] = next;
      }
      const valid = this.valid[k];
      if (valid) {
        const next = new Uint8Array(capacity);
        next.set(valid.subarray(0, this.rows));
        this.valid[k] = next;
      }
    }
    this.capacity = capacity;
  }
}
