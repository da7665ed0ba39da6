import { constants, type BigIntStats, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MesDataError, NotFoundError } from '../errors.js';
import { errnoOf, ioError, mkdirDurable, moveNoReplace, temporaryName, writeFileDurable } from '../store/durableFs.js';
import { checkedKey, checkedListPrefix } from './storeUrl.js';
import { conditionFailed, type ObjectEntry, type ObjectHead, type ObjectStore, type PutCondition } from './objectStore.js';

/** Our own temporary files (durableFs's `temporaryName`), never listed as objects. */
const TEMPORARY = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

/**
 * A store in a local folder, written through core/store/durableFs.ts (fsync, rename,
 * link-no-replace). The etag is the file's size, change time and inode: every write replaces
 * the file by a new one, so it changes with every write. `ifNoneMatch: '*'` is atomic (a
 * hard link refuses an existing name); `ifMatch` checks then replaces, so between two
 * processes it relies on the store's writer lock, as every local write does.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...checkedKey(key).split('/'));
  }

  private notFound(key: string): NotFoundError {
    return new NotFoundError(`no object ${key} in the store folder ${this.root}`, { root: this.root, key });
  }

  /** Opens without following a link at the last step (a link planted in the store is not read through). */
  private async open(key: string): Promise<fs.FileHandle> {
    const file = this.pathOf(key);
    try {
      return await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw this.notFound(key);
      if (code === 'ELOOP') throw new MesDataError('SYMLINK', `${file} is a symbolic link; stores hold real files only`, { root: this.root, key });
      throw ioError('open', file, error);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const handle = await this.open(key);
    try {
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    assertRange(offset, length, key);
    const handle = await this.open(key);
    try {
      const size = (await handle.stat()).size;
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === buffer.length ? buffer : buffer.subarray(0, done);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectHead> {
    const handle = await this.open(key);
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) throw this.notFound(key);
      return { size: Number(stat.size), etag: etagOf(stat) };
    } finally {
      await handle.close();
    }
  }

  async tail(key: string, length: number): Promise<ObjectHead & { bytes: Uint8Array }> {
    assertRange(0, length, key);
    const handle = await this.open(key);
    try {
      const stat = await handle.stat({ bigint: true });
      const size = Number(stat.size);
      const bytes = new Uint8Array(Math.min(length, size));
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, size - bytes.length + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return { size, etag: etagOf(stat), bytes: bytes.subarray(0, done) };
    } finally {
      await handle.close();
    }
  }

  async list(prefix: string): Promise<ObjectEntry[]> {
    checkedListPrefix(prefix);
    // walk from the deepest folder the prefix names in full, then filter by the whole prefix
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const entries: ObjectEntry[] = [];
    const walk = async (relative: string): Promise<void> => {
      const dir = relative === '' ? this.root : path.join(this.root, ...relative.split('/'));
      let names: Dirent[];
      try {
        names = await fs.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return;
        throw ioError('list', dir, error);
      }
      for (const entry of names) {
        const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (entry.isFile() && !TEMPORARY.test(entry.name) && key.startsWith(prefix)) {
          const stat = await fs.lstat(path.join(dir, entry.name), { bigint: true });
          entries.push({ key, size: Number(stat.size), etag: etagOf(stat), modifiedMs: Number(stat.mtimeMs) });
        }
      }
    };
    await walk(folder);
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<{ etag: string }> {
    const file = this.pathOf(key);
    await mkdirDurable(path.dirname(file));
    if (condition && 'ifNoneMatch' in condition) {
      const temp = temporaryName(file);
      await writeFileDurable(temp, bytes);
      try {
        await moveNoReplace(temp, file, 'file');
      } catch (error) {
        await fs.rm(temp, { force: true });
        if (error instanceof MesDataError && error.code === 'ALREADY_EXISTS') throw conditionFailed(this.root, key, condition, { root: this.root });
        throw ioError('write', file, error);
      }
    } else {
      if (condition) {
        let current: string | null;
        try {
          current = (await this.head(key)).etag;
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          current = null;
        }
        if (current !== condition.ifMatch) throw conditionFailed(this.root, key, condition, { root: this.root, found: current });
      }
      try {
        await writeFileDurable(file, bytes);
      } catch (error) {
        throw ioError('write', file, error);
      }
    }
    return { etag: (await this.head(key)).etag };
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fs.rm(file, { force: true });
    } catch (error) {
      throw ioError('remove', file, error);
    }
  }
}

function etagOf(stat: BigIntStats): string {
  return `"${stat.size.toString(16)}-${stat.ctimeNs.toString(16)}-${stat.ino.toString(16)}"`;
}

/** A byte range's numbers: whole, not negative. */
export function assertRange(offset: number, length: number, key: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new MesDataError('BAD_REQUEST', `range of ${key}: offset ${offset} and length ${length} must be whole numbers, not negative`, { key, offset, length });
  }
}
