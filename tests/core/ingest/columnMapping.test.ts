import { describe, expect, it } from 'vitest';
import { planColumns, type SourceColumnInfo } from '../../../core/ingest/columnMapping.js';

const text = (name: string, ...values: string[]): SourceColumnInfo => ({ name, kind: 'text', values });

describe('planColumns', () => {
  it('maps synonyms case-insensitively and keeps Adj Close as its own column', () => {
    const plan = planColumns([
      text('Date', '2024-01-02'),
      text('O', '1'),
      text('H', '2'),
      text('L', '0.5'),
      text('Close', '1.5'),
      text('Adj Close', '1.4'),
      text('Vol', '100'),
      text('OpenInterest', '7'),
    ]);
    expect(plan.mapping).toEqual({ timestamp: 'Date', open: 'O', high: 'H', low: 'L', close: 'Close', volume: 'Vol', adj_close: 'Adj Close', open_interest: 'OpenInterest' });
    expect(plan.timestamp).toEqual({ kind: 'text', source: 0 });
    expect(plan.values.map((v) => `${v.name}:${v.kind}`)).toEqual(['open:float', 'high:float', 'low:float', 'close:float', 'volume:auto', 'adj_close:float', 'open_interest:auto']);
  });

  it('reads split Date + Time columns', () => {
    const plan = planColumns([text('Date', '01/02/2024'), text('Time', '17:00'), text('Open', '1'), text('Last', '5000.25'), text('Volume', '3')]);
    expect(plan.timestamp).toEqual({ kind: 'split', date: 0, time: 1 });
    expect(plan.mapping).toEqual({ date: 'Date', time: 'Time', open: 'Open', close: 'Last', volume: 'Volume' });
  });

  it('reads last/price as the close in a bar file and as the trade price without open/high/low', () => {
    expect(planColumns([text('time', '1704153600'), text('high', '2'), text('price', '1')]).mapping).toEqual({ timestamp: 'time', high: 'high', close: 'price' });
    expect(planColumns([text('time', '1704153600'), text('Last', '1'), text('Volume', '3')]).mapping).toEqual({ timestamp: 'time', volume: 'Volume', price: 'Last' });
  });

  it('maps a tick file: price and size are the trade, bid/ask and their sizes the quote', () => {
    const plan = planColumns([text('ts_event', '1704153600000000000'), text('price', '5000.25'), text('size', '2'), text('bid_px', '5000'), text('ask_px', '5000.5'), text('bid_sz', '10'), text('ask_sz', '12'), text('side', 'B')]);
    expect(plan.mapping).toEqual({ timestamp: 'ts_event', bid: 'bid_px', ask: 'ask_px', bid_size: 'bid_sz', ask_size: 'ask_sz', price: 'price', size: 'size', side: 'side' });
    expect(plan.timestamp).toEqual({ kind: 'epoch', source: 0, unit: 'ns', unitDetected: true });
    expect(plan.values.find((v) => v.name === 'side')?.kind).toBe('utf8');
  });

  it('takes the caller’s overrides, including leaving a target out', () => {
    const plan = planColumns([text('when', '2024-01-02 17:00'), text('px', '1'), text('close', '2'), text('extra', 'x')], {
      overrides: { timestamp: 'WHEN', close: 'px', open: null },
      keepUnmapped: false,
    });
    expect(plan.mapping).toEqual({ timestamp: 'when', close: 'px' });
  });

  it('detects epoch units by magnitude unless told, and YYYYMMDD as dates', () => {
    expect(planColumns([text('time', '1704153600'), text('c', '1')]).timestamp).toMatchObject({ kind: 'epoch', unit: 's' });
    expect(planColumns([text('time', '1704153600123'), text('c', '1')]).timestamp).toMatchObject({ kind: 'epoch', unit: 'ms' });
    expect(planColumns([text('time', '1704153600123456'), text('c', '1')]).timestamp).toMatchObject({ kind: 'epoch', unit: 'us' });
    expect(planColumns([text('time', '1704153600'), text('c', '1')], { epochUnit: 'ms' }).timestamp).toEqual({ kind: 'epoch', source: 0, unit: 'ms', unitDetected: false });
    expect(planColumns([text('date', '20240102', '20240103'), text('c', '1')]).timestamp).toEqual({ kind: 'text', source: 0 });
  });

  it('maps a file without a header by position: the timestamp, then open, high, low, close, volume', () => {
    const plan = planColumns([text('column1', '2024-01-02 17:00'), text('column2', '1'), text('column3', '2'), text('column4', '0.5'), text('column5', '1.5'), text('column6', '10')]);
    expect(plan.mapping).toEqual({ timestamp: 'column1', open: 'column2', high: 'column3', low: 'column4', close: 'column5', volume: 'column6' });
    const split = planColumns([text('column1', '20240102'), text('column2', '170000'), text('column3', '5000.25'), text('column4', '3')]);
    expect(split.mapping).toEqual({ date: 'column1', time: 'column2', price: 'column3', size: 'column4' });
  });

  it('names the problem: no timestamp, an unknown column, an unknown target', () => {
    expect(() => planColumns([text('open', '1'), text('close', '2')])).toThrow(expect.objectContaining({ code: 'MISSING_REQUIRED_COLUMN' }));
    expect(() => planColumns([text('time', '1704153600')], { overrides: { close: 'nope' } })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', details: expect.objectContaining({ column: 'nope', available: ['time'] }) as unknown }),
    );
    expect(() => planColumns([text('time', '1704153600')], { overrides: { colse: 'time' } as never })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => planColumns([text('time', '1704153600'), text('c', '1')], { overrides: { open: 'c', close: 'c' } })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
