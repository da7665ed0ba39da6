import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { DataSchema } from '../../../core/schema/dataSchema.js';
import { OHLCV_SCHEMA, PREDEFINED_SCHEMAS } from '../../../core/schema/predefinedSchemas.js';
import { schemaFileContents } from '../../../core/schema/schemaFiles.js';
import { parseDataSchema, SchemaRegistry } from '../../../core/schema/schemaRegistry.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('schema files', () => {
  it('schema/ holds exactly what the definitions generate (run npm run schemas after a change)', () => {
    for (const [name, contents] of Object.entries(schemaFileContents())) {
      expect(fs.readFileSync(path.join(ROOT, 'schema', name), 'utf8'), `schema/${name}`).toBe(contents);
    }
  });

  it('every predefined schema file validates against the generated JSON Schema and parses back equal', () => {
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/data_schema.schema.json'), 'utf8')) as object);
    for (const schema of PREDEFINED_SCHEMAS) {
      const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', `${schema.name}.json`), 'utf8')) as unknown;
      expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
      const { $schema: _ignored, ...parsed } = DataSchema.parse(json);
      expect(parsed).toEqual(schema);
    }
  });

  it('the predefined schemas have the documented columns', () => {
    expect(PREDEFINED_SCHEMAS.map((s) => [s.name, s.columns.map((c) => c.name)])).toEqual([
      ['ohlcv', ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'asset', 'trade_count', 'vwap', 'open_interest', 'adj_close']],
      ['price_volatility', ['timestamp', 'asset', 'realized_vol_30d', 'realized_vol_60d', 'vol_ratio', 'true_range', 'atr_14', 'date']],
      ['momentum_indicators', ['timestamp', 'asset', 'rsi_14', 'macd_line', 'macd_signal', 'macd_histogram', 'momentum_10', 'roc_10', 'date']],
      ['volume_profile', ['session_date', 'asset', 'price_level', 'volume', 'buy_volume', 'sell_volume', 'poc_price', 'value_area_high', 'value_area_low', 'date']],
    ]);
    expect(OHLCV_SCHEMA.columns[0]).toEqual({ name: 'timestamp', type: 'timestamp', unit: 'ns', timezone: 'UTC', nullable: false, required: true, description: 'bar open time, UTC, nanoseconds' });
    expect(OHLCV_SCHEMA.columns.filter((c) => !c.required).map((c) => c.name)).toEqual(['asset', 'trade_count', 'vwap', 'open_interest', 'adj_close']);
  });
});

describe('parseDataSchema', () => {
  it('names every problem with its path', () => {
    const bad = { name: 'Bars!', version: '1', columns: [{ name: 'a', type: 'float64' }, { name: 'a', type: 'decimal' }], primaryKey: ['b'] };
    const error = (() => {
      try {
        parseDataSchema(bad, 'bars.json');
        return null;
      } catch (e) {
        return e as { code: string; message: string; details: { issues: { path: string; message: string }[] } };
      }
    })();
    expect(error?.code).toBe('BAD_REQUEST');
    expect(error?.message.startsWith('bars.json is not a valid schema: ')).toBe(true);
    expect(error?.details.issues.map((i) => i.path)).toEqual(['name', 'version', 'columns.1.type']);
  });

  it('checks keys and duplicate columns after the shape', () => {
    expect(() => parseDataSchema({ name: 'x', version: '1.0.0', columns: [{ name: 'a', type: 'utf8' }, { name: 'a', type: 'utf8' }], primaryKey: ['b'] })).toThrow(
      'schema is not a valid schema: columns.1.name: duplicate column "a"; primaryKey.0: primaryKey names unknown column "b"',
    );
    expect(() => parseDataSchema('{not json', 'x.json')).toThrow(/^x\.json is not valid JSON: /);
  });
});

describe('SchemaRegistry', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  const custom = { name: 'ticks', version: '1.0.0', columns: [{ name: 'timestamp', type: 'timestamp' }, { name: 'price', type: 'float64' }], rules: { positive_price: {} } };

  it('knows the predefined schemas and names them when one is unknown', () => {
    const registry = new SchemaRegistry();
    expect(registry.listSchemas().map((s) => s.name)).toEqual(['momentum_indicators', 'ohlcv', 'price_volatility', 'volume_profile']);
    expect(registry.getSchema('ohlcv')).toBe(OHLCV_SCHEMA);
    expect(() => registry.getSchema('ohlc')).toThrow('no schema named "ohlc"; known schemas: momentum_indicators, ohlcv, price_volatility, volume_profile');
  });

  it('keeps registered schemas in the store across restarts', () => {
    const registry = new SchemaRegistry(dir);
    const stored = registry.registerSchema(custom);
    expect(stored.name).toBe('ticks');
    expect(fs.existsSync(path.join(dir, 'schemas', 'ticks.json'))).toBe(true);
    const reopened = new SchemaRegistry(dir);
    expect(reopened.getSchema('ticks')).toEqual(stored);
    expect(new SchemaRegistry().listSchemas().map((s) => s.name)).not.toContain('ticks');
  });

  it('replaces a schema only with a higher version', () => {
    const registry = new SchemaRegistry(dir);
    expect(() => registry.registerSchema({ ...custom, description: 'changed' })).toThrow('schema "ticks" 1.0.0 does not replace the registered 1.0.0: raise its version');
    expect(registry.registerSchema({ ...custom, version: '1.1.0', description: 'changed' }).version).toBe('1.1.0');
    expect(registry.registerSchema({ ...custom, version: '1.1.0', description: 'changed' }).version).toBe('1.1.0');
  });
});
