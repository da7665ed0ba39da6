import { describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { serveOperations, wholeBuffer } from '../../../core/threads/serveOperations.js';
import type { ThreadRequest } from '../../../core/threads/threadProtocol.js';

type Ops = {
  double: { args: { n: number }; result: { n: number } };
  later: { args: { n: number }; result: { n: number } };
  refuse: { args: { path: string }; result: never };
  boom: { args: Record<string, never>; result: never };
};

function serve(otherErrors?: 'WRITE_FAILED') {
  const seen: unknown[] = [];
  const answer = serveOperations<Ops, { busy: boolean }>(
    {
      double: ({ n }) => ({ n: n * 2 }),
      later: async ({ n }) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { n: n + 1 };
      },
      refuse: ({ path }) => {
        throw new MesDataError('ALREADY_EXISTS', `${path} already exists`, { path });
      },
      boom: () => {
        throw new RangeError('out of range');
      },
    },
    { name: 'the test thread', state: () => ({ busy: false }), otherErrors, onError: (error) => seen.push(error) },
    null,
  );
  return { answer, seen };
}

describe('serveOperations', () => {
  it('dispatches each request to the handler of its operation, sync or async, with the thread state', async () => {
    const { answer } = serve();
    expect(await answer({ id: 7, op: 'double', args: { n: 21 } })).toEqual({ id: 7, ok: true, result: { n: 42 }, busy: false });
    expect(await answer({ id: 8, op: 'later', args: { n: 1 } })).toEqual({ id: 8, ok: true, result: { n: 2 }, busy: false });
  });

  it('answers an unknown operation with BAD_REQUEST naming it and the known ones, not silence', async () => {
    const { answer, seen } = serve();
    const unknown = { id: 3, op: 'explode', args: {} } as unknown as ThreadRequest<Ops>;
    expect(await answer(unknown)).toEqual({
      id: 3,
      ok: false,
      error: {
        code: 'BAD_REQUEST',
        message: 'unknown operation "explode" for the test thread; it knows double, later, refuse, boom',
        details: { operation: 'explode', known: ['double', 'later', 'refuse', 'boom'] },
      },
      busy: false,
    });
    // an inherited name is not an operation either
    expect(await answer({ id: 4, op: 'toString', args: {} } as unknown as ThreadRequest<Ops>)).toMatchObject({ id: 4, ok: false, error: { code: 'BAD_REQUEST' } });
    expect(seen).toHaveLength(2);
  });

  it('sends a MesDataError with its code and details, anything else as INTERNAL or the thread own code', async () => {
    const { answer, seen } = serve();
    expect(await answer({ id: 1, op: 'refuse', args: { path: 'a.parquet' } })).toEqual({
      id: 1,
      ok: false,
      error: { code: 'ALREADY_EXISTS', message: 'a.parquet already exists', details: { path: 'a.parquet' } },
      busy: false,
    });
    expect(await answer({ id: 2, op: 'boom', args: {} })).toEqual({ id: 2, ok: false, error: { code: 'INTERNAL', message: 'out of range', details: {} }, busy: false });
    expect(seen.map((e) => (e as Error).message)).toEqual(['a.parquet already exists', 'out of range']);
    const writer = serve('WRITE_FAILED');
    expect(await writer.answer({ id: 3, op: 'boom', args: {} })).toEqual({ id: 3, ok: false, error: { code: 'WRITE_FAILED', message: 'out of range', details: {} }, busy: false });
    expect(await writer.answer({ id: 4, op: 'refuse', args: { path: 'b' } })).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
  });
});

describe('wholeBuffer', () => {
  it('hands over a buffer only when the bytes are all of it', () => {
    const whole = new Uint8Array(8);
    expect(wholeBuffer(whole)).toEqual([whole.buffer]);
    expect(wholeBuffer(whole.subarray(1))).toEqual([]);
    expect(wholeBuffer(whole.subarray(0, 4))).toEqual([]);
  });
});
