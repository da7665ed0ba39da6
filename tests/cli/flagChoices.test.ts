import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Compression, FeatureSetName, JobParams } from '../../core/api/contract.js';
import { buildProgram } from '../../cli/main.js';
import { compressionOption } from '../../cli/options.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { runCliJson } from '../helpers/runCli.js';

/** The field of a job's request schema, with its default taken off: the enum the contract accepts. */
function jobField(kind: JobParams['kind'], field: string): string[] {
  const params = JobParams.options.find((o) => o.shape.kind.value === kind);
  if (!params) throw new Error(`no job kind ${kind}`);
  let schema = (params.shape as Record<string, z.ZodType>)[field];
  while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  if (!(schema instanceof z.ZodEnum)) throw new Error(`${kind}.${field} is not an enum`);
  return schema.options.map(String);
}

/** Every option that offers choices, as `command --flag`, with its choices. */
function optionsWithChoices(command: Command, prefix = ''): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const sub of command.commands) {
    const name = `${prefix}${sub.name()}`;
    for (const option of sub.options as Option[]) if (option.argChoices) found.set(`${name} ${option.long}`, option.argChoices);
    for (const [key, choices] of optionsWithChoices(sub, `${name} `)) found.set(key, choices);
  }
  return found;
}

describe('the flags offer what the contract accepts', () => {
  const program = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);

  it('every flag with choices has exactly the choices of its request field, in the same order', () => {
    const expected = new Map<string, string[]>([
      ['validate --mode', jobField('validate', 'mode')],
      ['ingest --on-bad-rows', jobField('ingest', 'onBadRows')],
      ['promote --mode', jobField('promote', 'mode')],
      ['promote --on-invalid', jobField('promote', 'onInvalid')],
      ['promote --compression', jobField('promote', 'compression')],
    ]);
    // a flag with a hand-written list, or one the table above does not tie to a field, fails here
    expect(Object.fromEntries(optionsWithChoices(program))).toEqual(Object.fromEntries(expected));
    // and the lists are what the contract says today (a change to the contract shows up here too)
    expect(expected.get('promote --on-invalid')).toEqual(['fail', 'drop']);
    expect(expected.get('ingest --on-bad-rows')).toEqual(['fail', 'skip']);
    expect(expected.get('validate --mode')).toEqual(['strict', 'coerce', 'ignore']);
    expect(expected.get('promote --compression')).toEqual(['snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'none']);
  });

  it('convert --compression takes every codec of the contract and refuses others, naming them', () => {
    expect(Compression.options.map((codec) => compressionOption(codec))).toEqual(['snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'none']);
    expect(() => compressionOption('lzo')).toThrow('unknown compression "lzo"; use one of snappy, gzip, zstd, brotli, lz4, none');
    const convert = program.commands.find((c) => c.name() === 'convert');
    expect(convert?.options.find((o) => o.long === '--compression')?.description).toBe(`one of ${Compression.options.join(', ')}`);
  });

  it('features build names the feature sets of the contract', () => {
    const build = program.commands.find((c) => c.name() === 'features')?.commands.find((c) => c.name() === 'build');
    expect(FeatureSetName.options).toEqual(jobField('features', 'set'));
    expect(build?.registeredArguments[0].description).toBe('price_volatility, momentum_indicators or volume_profile');
  });

  it('a value the contract refuses is a usage error in the words of the flag, before the store is looked at', async () => {
    const { dir, cleanup } = tempDir('mes-data-cli-choices-');
    try {
      // no store at all: the bad flag is still what is reported (exit 2, not NOT_FOUND's 3)
      const run = await runCliJson('--store', `${dir}/none`, 'features', 'build', 'price_volatility', '--asset', 'MES', '--from', '../v1');
      expect(run.code).toBe(2);
      expect(run.json).toEqual({ error: { code: 'BAD_REQUEST', message: 'from: expected a cleaned version, vN or N (e.g. v2)', details: {} } });
      expect(run.stderr).toBe('error BAD_REQUEST: from: expected a cleaned version, vN or N (e.g. v2)\n');
      const unknownSet = await runCliJson('--store', `${dir}/none`, 'features', 'build', 'prices', '--asset', 'MES');
      expect(unknownSet.code).toBe(2);
      expect(unknownSet.json).toEqual({ error: { code: 'BAD_REQUEST', message: 'set: Invalid option: expected one of "price_volatility"|"momentum_indicators"|"volume_profile"', details: {} } });
    } finally {
      cleanup();
    }
  });
});
