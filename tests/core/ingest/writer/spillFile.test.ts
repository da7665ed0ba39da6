import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { payloadIpc } from '../../../../core/ingest/outputSchema.js';
import type { FieldSpec } from '../../../../core/ingest/parquetWriterProtocol.js';
import { spill, spillFrames } from '../../../../core/ingest/writer/spillFile.js';
import { tempDir } from '../../../helpers/ohlcvTable.js';

const FIELDS: FieldSpec[] = [{ name: 'timestamp', type: 'timestamp' }, { name: 'v', type: 'float64' }];

function ipc(values: number[]): Uint8Array {
  return payloadIpc(FIELDS, values.length, [
    { data: BigInt64Array.from(values.map((v) => BigInt(v))), valid: null },
    { data: Float64Array.from(values), valid: null },
  ]);
}

describe('spill files', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('appends length-prefixed frames and reads back exactly the range asked for', () => {
    const file = path.join(dir, 'a.spill');
    const first = ipc([1, 2, 3]);
    const second = ipc([4]);
    const third = ipc([5, 6]);
    const a = spill(file, first);
    const b = spill(file, second);
    const c = spill(file, third);
    expect(a).toEqual({ offset: 0, length: first.length + 4 });
    expect(b).toEqual({ offset: first.length + 4, length: second.length + 4 });
    expect(c.offset).toBe(a.length + b.length);
    expect(fs.statSync(file).size).toBe(a.length + b.length + c.length);
    const values = (offset: number, length: number) => [...spillFrames(file, offset, length)].map((t) => [...(t.getChild('v')?.toArray() as Float64Array)]);
    expect(values(b.offset, b.length + c.length)).toEqual([[4], [5, 6]]);
    expect(values(0, a.length)).toEqual([[1, 2, 3]]);
  });

  it('a spill file shorter than its frames say is INTERNAL naming the file', () => {
    const file = path.join(dir, 'short.spill');
    const { length } = spill(file, ipc([1, 2]));
    fs.truncateSync(file, length - 10);
    expect(() => [...spillFrames(file, 0, length)]).toThrow(expect.objectContaining({ code: 'INTERNAL', message: `spill file ${file} is shorter than expected` }));
  });
});
