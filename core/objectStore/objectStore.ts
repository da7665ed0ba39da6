import { LockedError } from '../errors.js';

/**
 * The few operations a store needs from where its bytes live, the same for a local folder
 * and an S3 bucket. Keys are relative to the store (its folder or its `s3://bucket/prefix`),
 * '/'-separated, checked by `checkedKey`: no key reaches outside the store.
 *
 * Errors are `MesDataError`s naming the bucket (or folder) and the key: NOT_FOUND (no such
 * key; `details.reason` "no-such-bucket" for a missing bucket), FORBIDDEN (`details.reason`
 * "access-denied" or "no-credentials"), LOCKED with `details.reason` "commit-conflict" when a
 * conditional write loses (as an Iceberg commit that loses its race), UNAVAILABLE when the
 * service did not answer after retries, INVALID_NAME for a refused key.
 */
export interface ObjectStore {
  /** 'local' or 's3', and where: the folder, or `s3://bucket/prefix`. */
  readonly kind: 'local' | 's3';
  readonly location: string;
  get(key: string): Promise<Uint8Array>;
  /** `length` bytes from `offset`; fewer only when the object ends first. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  head(key: string): Promise<ObjectHead>;
  /** The last `length` bytes (all of a smaller object) with the object's size and etag, in one request. */
  tail(key: string, length: number): Promise<ObjectHead & { bytes: Uint8Array }>;
  /** Every key under `prefix` ('' for all), in ascending order, all pages. */
  list(prefix: string): Promise<ObjectEntry[]>;
  /**
   * Writes the object; with a condition, refuses (LOCKED, commit-conflict) when it does not
   * hold. `sha256` (of `bytes`, lowercase hex) is recorded with an S3 object (user metadata
   * `sha256`, given back by `head`); a folder keeps nothing beside the file. Returns the new etag.
   */
  put(key: string, bytes: Uint8Array, condition?: PutCondition, options?: PutOptions): Promise<{ etag: string }>;
  /**
   * Writes the object from a file, as `put` does; an S3 store streams a large one in parts
   * (multipart upload), so the object is never held in memory whole. `sha256` is of the file.
   */
  putFile?(key: string, file: string, condition?: PutCondition, options?: PutOptions): Promise<{ etag: string }>;
  /** Removes the object; a missing one is fine (as S3's DeleteObject). */
  delete(key: string): Promise<void>;
}

export interface ObjectHead {
  size: number;
  /** An opaque version tag, changed by every write; what `ifMatch` compares. */
  etag: string;
  /** The SHA-256 recorded when the object was written (`put`'s `sha256`; S3 only, `head` only), when there is one. */
  sha256?: string;
}

export interface ObjectEntry extends ObjectHead {
  key: string;
  /** When the object was last written, ms since the epoch, by the service's clock (a file's modification time); absent when the service does not say. */
  modifiedMs?: number;
}

export interface PutOptions {
  /** The SHA-256 of the bytes, lowercase hex, kept with an S3 object (user metadata `sha256`). */
  sha256?: string;
  /** Stops the write (CANCELLED); a multipart upload under way is aborted, so no part stays behind. */
  signal?: AbortSignal;
}

/** `ifNoneMatch: '*'`: only when no object has the key. `ifMatch`: only when the object's etag is still this one. */
export type PutCondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** The error of a conditional write that did not hold. */
export function conditionFailed(where: string, key: string, condition: PutCondition, details: Record<string, unknown> = {}): LockedError {
  const wanted = 'ifNoneMatch' in condition ? 'no object with that key (If-None-Match: *)' : `etag ${condition.ifMatch} (If-Match)`;
  return new LockedError(`conditional write of ${key} in ${where} refused: expected ${wanted}, another writer changed it first; read it again and retry`, {
    ...details,
    key,
    condition: 'ifNoneMatch' in condition ? 'if-none-match' : 'if-match',
    reason: 'commit-conflict',
  });
}
