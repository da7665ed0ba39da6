import fs from 'node:fs/promises';
import path from 'node:path';
import { MesDataError } from '../errors.js';
import { loadTable, type LoadedTable } from '../iceberg/tableCommit.js';
import { listSnapshots, snapshotDataFiles } from '../iceberg/tableRead.js';
import { storeTables } from './garbageCollect.js';
import { absolute, tablePath, versionPath, type Store } from './storeLayout.js';

/**
 * The Iceberg checks of `verify` (store format 2), for every table of the store:
 *
 *   CORRUPTED_TABLE          the table's metadata, a manifest list or a manifest cannot be read
 *   MISSING_FILE             a data file a kept snapshot names is gone
 *   SIZE_MISMATCH            a data file's size differs from the one its manifest records
 *   VERSION_FOLDER_MISMATCH  a version folder does not hold exactly its snapshot's files (a
 *                            file missing, one too many, or one that is not the table's file:
 *                            another inode and, for a copy, another size)
 *
 * A snapshot whose version folder is missing is not reported here (verify reports the
 * sidecar without its folder, MISSING_FOLDER; recovery rebuilds the folder). Data files no
 * snapshot names are not problems: they are what `gc` removes.
 */

interface TableProblem {
  path: string;
  code: string;
  message: string;
}

async function statOrNull(file: string) {
  try {
    return await fs.stat(file);
  } catch {
    return null;
  }
}

/** The problems of every table of the store (see the module comment), and how many tables and data files were checked. */
export async function verifyTables(store: Store): Promise<{ problems: TableProblem[]; tables: number; files: number }> {
  const problems: TableProblem[] = [];
  let files = 0;
  const tables = await storeTables(store);
  for (const { layer, key } of tables) {
    const where = tablePath(layer, key);
    const dir = absolute(store, where);
    let table: LoadedTable;
    try {
      table = await loadTable(dir);
    } catch (error) {
      problems.push({ path: where, code: 'CORRUPTED_TABLE', message: `${where}: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const checked = new Set<string>();
    for (const snapshot of listSnapshots(table)) {
      let live;
      try {
        live = await snapshotDataFiles(table, snapshot);
      } catch (error) {
        if (!(error instanceof MesDataError)) throw error;
        problems.push({ path: where, code: 'CORRUPTED_TABLE', message: `${where} v${snapshot.version}: ${error.message}` });
        continue;
      }
      const inodes = new Map<string, { size: number; file: string }>();
      for (const file of live) {
        const relative = path.relative(store.root, file.path).split(path.sep).join('/');
        const stats = await statOrNull(file.path);
        if (!checked.has(relative)) {
          checked.add(relative);
          files++;
          if (!stats) problems.push({ path: relative, code: 'MISSING_FILE', message: `${relative}, a data file of ${where} v${snapshot.version}, is gone` });
          else if (stats.size !== file.sizeBytes) problems.push({ path: relative, code: 'SIZE_MISMATCH', message: `${relative} has ${stats.size} bytes; its manifest records ${file.sizeBytes}` });
        }
        if (stats) inodes.set(`${stats.dev}:${stats.ino}`, { size: stats.size, file: relative });
      }
      const folder = versionPath(layer, snapshot.version, key);
      let names: string[];
      try {
        names = (await fs.readdir(absolute(store, folder))).sort();
      } catch {
        continue;
      }
      const sizes = live.map((f) => f.sizeBytes).sort((a, b) => a - b);
      for (const name of names) {
        const stats = await statOrNull(path.join(absolute(store, folder), name));
        const own = stats && inodes.get(`${stats.dev}:${stats.ino}`);
        // a link is the table's file itself; a copy (a file system without links) has its size
        if (!(stats && stats.isFile() && (own || sizes.includes(stats.size)))) problems.push({ path: `${folder}/${name}`, code: 'VERSION_FOLDER_MISMATCH', message: `${folder}/${name} is not one of the ${live.length} data file(s) of ${where} v${snapshot.version}` });
      }
      if (names.length < live.length) {
        problems.push({ path: folder, code: 'VERSION_FOLDER_MISMATCH', message: `${folder} holds ${names.length} file(s); its snapshot has ${live.length}` });
      }
    }
  }
  return { problems, tables: tables.length, files };
}
