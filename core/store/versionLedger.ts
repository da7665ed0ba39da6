import fs from 'node:fs/promises';
import path from 'node:path';
import { errnoOf, existsNow, listDir, writeFileDurable } from './durableFs.js';
import { VERSION_LEDGER, parseVersionFolder, versionSidecarPath, type Store, type VersionedLayer } from './storeLayout.js';

/**
 * Version numbers. A version of `cleaned/…/{ASSET}` or `features/…/{set}` is numbered per
 * asset or set, from 1 up. The ledger (`version-ledger.json`) remembers the highest number
 * ever handed out, so that a number is never given twice, even when the commit that got it
 * crashed or was cancelled; the next number is one more than both the ledger and the
 * highest version folder on disk.
 */

type Ledger = Record<VersionedLayer, Record<string, number>>;

/** The ledger; a missing or unreadable one is empty (the folders on disk still count). */
export async function readLedger(store: Store): Promise<Ledger> {
  const empty: Ledger = { cleaned: {}, features: {} };
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(store.root, VERSION_LEDGER), 'utf8')) as Partial<Ledger>;
    return { cleaned: { ...(parsed.cleaned ?? {}) }, features: { ...(parsed.features ?? {}) } };
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || error instanceof SyntaxError) return empty;
    throw error;
  }
}

/**
 * Committed versions of one asset (cleaned) or feature set of an asset (features,
 * `{ASSET}/{set}`), ascending. A version exists when its folder is in place and its sidecar
 * in the catalog (`catalog/{layer}/{key}/v{N}.json`): the commit writes the sidecar before
 * its snapshot and places the folder after it, and recovery finishes or undoes a commit
 * that stopped between the two.
 */
export async function listVersions(store: Store, layer: VersionedLayer, key: string): Promise<number[]> {
  const folders = await versionFoldersWith(store, layer, key);
  // one listing of the key's sidecars, not a look-up a version: a daily store has thousands
  const sidecarDir = path.join(store.root, ...path.posix.dirname(versionSidecarPath(layer, key, 1)).split('/'));
  const names = new Set(await listDir(sidecarDir));
  return folders.filter((version) => names.has(path.posix.basename(versionSidecarPath(layer, key, version))));
}

/** Folders `versionFoldersWith` checks between two turns of the event loop. */
const CHECKS_PER_TURN = 512;

/**
 * Numbers of version folders that contain a folder named `key`, committed or not, ascending.
 * Checked with synchronous `lstat`s, a batch at a time: one asynchronous check a version
 * made each listing of a store of daily versions cost about 0.1 ms a version.
 */
async function versionFoldersWith(store: Store, layer: VersionedLayer, key: string): Promise<number[]> {
  const names = await fs.readdir(path.join(store.root, layer)).catch((error: unknown) => {
    if (errnoOf(error) === 'ENOENT') return [] as string[];
    throw error;
  });
  const found: number[] = [];
  let checked = 0;
  for (const name of names) {
    const version = parseVersionFolder(name);
    if (version === null) continue;
    if (++checked % CHECKS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    if (existsNow(path.join(store.root, layer, name, ...key.split('/')))) found.push(version);
  }
  return found.sort((a, b) => a - b);
}


/** The number the next commit of this asset or set would get (nothing is reserved). */
export async function nextVersionNumber(store: Store, layer: VersionedLayer, key: string): Promise<number> {
  const ledger = await readLedger(store);
  const onDisk = await versionFoldersWith(store, layer, key);
  return Math.max(ledger[layer][key] ?? 0, onDisk.length > 0 ? onDisk[onDisk.length - 1] : 0) + 1;
}

/** Hands out the next number and records it durably. Call only while holding the store lock. */
export async function allocateVersionNumber(store: Store, layer: VersionedLayer, key: string): Promise<number> {
  const version = await nextVersionNumber(store, layer, key);
  const ledger = await readLedger(store);
  ledger[layer][key] = version;
  await writeFileDurable(path.join(store.root, VERSION_LEDGER), `${JSON.stringify(ledger, null, 2)}\n`);
  return version;
}
