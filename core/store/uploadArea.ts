import fs from 'node:fs';
import path from 'node:path';

/**
 * `<store>/.uploads/`: where the browser mode puts the bytes of files dropped on its page
 * until an ingest reads them (each upload in its own random folder). Uploads are only a way
 * in: an ingest removes its uploads, and what no ingest took expires after
 * `UPLOAD_EXPIRY_MS` (the host removes expired uploads as it starts and before each new
 * upload; `verifyStore` reports them).
 */

export const UPLOADS_DIR = '.uploads';
/** How long an upload that no ingest took is kept, in milliseconds (one day). */
export const UPLOAD_EXPIRY_MS = 24 * 3600_000;

interface UploadEntry {
  /** Folder name below `.uploads/`. */
  name: string;
  /** Absolute path of the folder (or stray file). */
  path: string;
  bytes: number;
  /** Last change of the folder or of anything in it, in ms since 1970 (UTC). */
  mtimeMs: number;
  /** True for a symbolic link (never followed: counted as 0 bytes). */
  link: boolean;
}

function sizeOf(target: string): { bytes: number; mtimeMs: number } {
  const stat = fs.lstatSync(target);
  if (!stat.isDirectory()) return { bytes: stat.isFile() ? stat.size : 0, mtimeMs: stat.mtimeMs };
  let bytes = 0;
  let mtimeMs = stat.mtimeMs;
  for (const name of fs.readdirSync(target)) {
    const inner = sizeOf(path.join(target, name));
    bytes += inner.bytes;
    mtimeMs = Math.max(mtimeMs, inner.mtimeMs);
  }
  return { bytes, mtimeMs };
}

/** The uploads in `uploadsDir`, with their sizes; [] when the folder does not exist (or is a link: never followed). */
export function listUploads(uploadsDir: string): UploadEntry[] {
  let top: fs.Stats;
  try {
    top = fs.lstatSync(uploadsDir);
  } catch {
    return [];
  }
  if (!top.isDirectory()) return [];
  return fs
    .readdirSync(uploadsDir)
    .sort()
    .map((name) => {
      const full = path.join(uploadsDir, name);
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) return { name, path: full, bytes: 0, mtimeMs: stat.mtimeMs, link: true };
      return { name, path: full, ...sizeOf(full), link: false };
    });
}

/** The uploads older than `maxAgeMs` at `nowMs` (ms since 1970, UTC). */
export function expiredUploads(uploadsDir: string, nowMs = Date.now(), maxAgeMs = UPLOAD_EXPIRY_MS): UploadEntry[] {
  return listUploads(uploadsDir).filter((entry) => nowMs - entry.mtimeMs > maxAgeMs);
}

/** Removes the expired uploads (a link is removed itself, never what it points to); returns what it removed. */
export function removeExpiredUploads(uploadsDir: string, nowMs = Date.now(), maxAgeMs = UPLOAD_EXPIRY_MS): UploadEntry[] {
  const expired = expiredUploads(uploadsDir, nowMs, maxAgeMs);
  for (const entry of expired) fs.rmSync(entry.path, { recursive: true, force: true });
  return expired;
}
