import path from 'node:path';
import { BadRequestError } from '../errors.js';
import { normalizeAssetName, storeFileStem } from '../store/storeNames.js';

/**
 * The asset a source belongs to, and the name its staged files take.
 *
 * A file name names an asset "clearly" when exactly one CME root appears in it as a whole
 * word (words are split at anything but letters and digits), alone or followed by a
 * contract month code and year (`ESH4`, `MESZ2024`) or by digits (`NQ2024`):
 * `MES_2024-01.csv` → MES, `es-1min.csv` → ES, `ESH4 trades.csv` → ES. Two different
 * roots, or none, and the caller must say. Symbols of instruments registered in the store
 * (`NVDA`) count as roots too, when the caller passes them.
 */

/** CME Group futures roots the file-name rule knows (equity index, energy, metals, rates, FX, ags, crypto). */
const CME_ROOTS = [
  'MES', 'ES', 'NQ', 'MNQ', 'YM', 'MYM', 'RTY', 'M2K', 'EMD',
  'CL', 'MCL', 'QM', 'NG', 'QG', 'RB', 'HO', 'BZ',
  'GC', 'MGC', 'SI', 'SIL', 'HG', 'MHG', 'PL', 'PA',
  'ZB', 'UB', 'ZN', 'TN', 'ZF', 'ZT', 'SR3', 'ZQ',
  '6E', '6J', '6B', '6A', '6C', '6S', '6N', '6M', 'M6E', 'M6A', 'M6B',
  'ZC', 'ZS', 'ZW', 'ZM', 'ZL', 'KE', 'LE', 'HE', 'GF',
  'BTC', 'MBT', 'ETH', 'MET',
] as const;

const ROOTS_LONGEST_FIRST = [...CME_ROOTS].sort((a, b) => b.length - a.length);
const CONTRACT_SUFFIX = /^(?:[FGHJKMNQUVXZ]\d{1,4}|\d{2,8})?$/;

/** The CME root (or one of `extraRoots`, upper-case letters and digits) a file name clearly names, or null. */
export function assetFromFileName(fileName: string, extraRoots: readonly string[] = []): string | null {
  const stem = path.basename(fileName).replace(/\.(gz|zst)$/i, '').replace(/\.[^.]*$/, '');
  const found = new Set<string>();
  const roots = extraRoots.length === 0 ? ROOTS_LONGEST_FIRST : [...new Set([...ROOTS_LONGEST_FIRST, ...extraRoots.filter((r) => /^[A-Z0-9]+$/.test(r))])].sort((a, b) => b.length - a.length);
  for (const word of stem.toUpperCase().split(/[^A-Z0-9]+/)) {
    if (!word) continue;
    for (const root of roots) {
      if (word.startsWith(root) && CONTRACT_SUFFIX.test(word.slice(root.length))) {
        found.add(root);
        break;
      }
    }
  }
  return found.size === 1 ? [...found][0] : null;
}

/**
 * The asset for a source: the caller's (upper-cased by `normalizeAssetName`) or the one its file
 * name names (a CME root or one of `extraRoots`, the store's registered symbols). Throws INVALID_NAME for an asset that could not be a folder name, BAD_REQUEST when
 * there is none and the file name does not clearly name one.
 */
export function resolveAsset(asset: string | undefined, fileName: string, extraRoots: readonly string[] = []): string {
  // the store's one name rule, the same as promote's and features': upper-cased, never trimmed
  if (asset !== undefined) return normalizeAssetName(asset);
  const found = assetFromFileName(fileName, extraRoots);
  if (!found) {
    throw new BadRequestError(`cannot tell the asset from the file name "${path.basename(fileName)}"; pass the asset (e.g. --asset MES)`, {
      path: fileName,
    });
  }
  return found;
}

/** The name of a source's staged files: the store's one file-name rule (`storeFileStem`: reduced to `[A-Za-z0-9._-]`, with a hash suffix whenever that changed the name, so reduced names never collide). */
export function stagedName(fileName: string): string {
  return storeFileStem(fileName);
}
