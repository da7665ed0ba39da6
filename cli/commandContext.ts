import type { BucketGc } from '../core/objectStore/bucketGc.js';

/** A command's outcome: the JSON document for `--json`, the text for people, the exit code. */
export interface Outcome {
  json: unknown;
  text: string;
  exitCode?: number;
}

/** What a command module gets from the program: where results go and which store to use. */
export interface CommandContext {
  /** Prints the outcome (JSON or text) and sets the exit code. */
  done: (outcome: Outcome, json: boolean) => void;
  /** The store folder chosen by `--store`, `$MES_DATA_STORE` or the default; BAD_REQUEST for an s3:// store, which only some commands read. */
  storeDir: () => string;
  /** The `s3://bucket/prefix` the store is, or null for a folder (`ls`, `show` and `schema` read such a store). */
  remoteStore: () => string | null;
  /**
   * The s3:// store a command runs on through its working copy (null on a folder): its URL,
   * for `verify` the objects nothing committed names (UNREFERENCED_OBJECT problems), and for
   * `gc` its plan for the bucket (the grace period of objects nothing names).
   */
  workingCopy?: () => { store: string; unreferenced: { path: string; code: string; message: string }[]; gc?: BucketGc | null } | null;
  /** Writes progress and notes for people to stderr. */
  log: (text: string) => void;
}
