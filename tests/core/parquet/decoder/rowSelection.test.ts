import type { FileMetaData } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHUNK_BYTES,
  checkColumns,
  chunksToRead,
  readsInt96,
  refuseOversizedChunks,
  rowCount,
  rowGroupsFor,
  topLevelColumns,
  uncompressedBytes,
} from '../../../../core/parquet/decoder/rowSelection.js';

/** A footer of three row groups (10, 5, 20 rows) with a nested column between two flat ones. */
function footer(): FileMetaData {
  const chunk = (name: string, bytes: number) => ({ file_offset: 0n, meta_data: { path_in_schema: [name], total_uncompressed_size: BigInt(bytes) } });
  const group = (rows: number, bytes: number) => ({
    num_rows: BigInt(rows),
    total_byte_size: 0n,
    columns: [chunk('t', bytes), chunk('m', 1), chunk('v', 2 * bytes)],
  });
  return {
    version: 2,
    num_rows: 0n,
    schema: [
      { name: 'root', num_children: 3 },
      { name: 't', type: 'INT96' },
      { name: 'm', num_children: 1 },
      { name: 'inner', type: 'INT32' },
      { name: 'v', type: 'DOUBLE' },
    ],
    row_groups: [group(10, 100), group(5, 50), group(20, 200)],
    metadata_length: 0,
  } as unknown as FileMetaData;
}

const entry = () => ({ metadata: footer(), rowStarts: [0, 10, 15] });

describe('rowSelection', () => {
  it('counts rows from the row groups and finds the groups a page touches', () => {
    expect(rowCount(entry())).toBe(35);
    expect(rowGroupsFor(entry(), 0, 10)).toEqual([0]);
    expect(rowGroupsFor(entry(), 9, 2)).toEqual([0, 1]);
    expect(rowGroupsFor(entry(), 12, 100)).toEqual([1, 2]);
    expect(rowGroupsFor(entry(), 35, 10)).toEqual([]);
    expect(rowGroupsFor(entry(), 10, 0)).toEqual([]);
  });

  it('names the top-level columns, skipping the children of a nested one', () => {
    expect(topLevelColumns(footer())).toEqual(['t', 'm', 'v']);
    expect(readsInt96(footer(), undefined)).toBe(true);
    expect(readsInt96(footer(), ['v', 'm'])).toBe(false);
    expect(readsInt96(footer(), ['t'])).toBe(true);
  });

  it('refuses unknown columns with NOT_FOUND naming them and the ones there are', () => {
    expect(() => checkColumns('f.parquet', footer(), ['v', 'inner', 'x'])).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: 'column "inner", "x" not found in f.parquet; columns are t, m, v',
        details: { path: 'f.parquet', missing: ['inner', 'x'], available: ['t', 'm', 'v'] },
      }),
    );
    expect(() => checkColumns('f.parquet', footer(), undefined)).not.toThrow();
  });

  it('sums the chunks a read decodes and refuses one over the limit with UNSUPPORTED_FILE', () => {
    expect(chunksToRead(footer(), { rowGroups: [1], columns: ['v'] }).map((c) => Number(c.total_uncompressed_size))).toEqual([100]);
    expect(uncompressedBytes(footer(), {})).toBe(100 + 1 + 200 + 50 + 1 + 100 + 200 + 1 + 400);
    expect(uncompressedBytes(footer(), { rowGroups: [0, 2], columns: ['t'] })).toBe(300);
    const huge = footer();
    huge.row_groups[2].columns[2].meta_data!.total_uncompressed_size = BigInt(MAX_CHUNK_BYTES + 1);
    expect(() => refuseOversizedChunks('big.parquet', huge, { rowGroups: [0, 1] })).not.toThrow();
    expect(() => refuseOversizedChunks('big.parquet', huge, { rowGroups: [2], columns: ['v'] })).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_FILE',
        message: 'big.parquet cannot be loaded: column "v" holds 1.0 GiB uncompressed in one chunk, over the 1 GiB MES Data decodes at once',
        details: { path: 'big.parquet', reason: 'column chunk too large', column: 'v', uncompressedBytes: MAX_CHUNK_BYTES + 1 },
      }),
    );
  });
});
