import { describe, expect, it } from 'vitest';
import { vectorValueToJson } from '../../../core/arrow/arrowJson.js';
import { makeVector } from 'apache-arrow';
import { civilDays, constantPartitionData, detectPartitionType, hiveSegments, partitionValue } from '../../../core/store/hivePartitions.js';

describe('Hive partitions as DuckDB reads them', () => {
  it('detects the types DuckDB 1.5 detects (values checked against DuckDB by hand)', () => {
    const cases: [string, string][] = [
      ['2024-01-15', 'date'],
      ['2024-1-5', 'date'],
      ['0001-01-01', 'date'],
      ['2024-02-30', 'varchar'],
      ['2024-13-01', 'varchar'],
      ['2024-01-15 10:00:00', 'timestamp'],
      ['2024-01-15T10:00:00', 'timestamp'],
      ['2024-01-15 10:00', 'timestamp'],
      ['2024-01-15 10:00:00.123456', 'timestamp'],
      ['2024-01-15 25:00:00', 'varchar'],
      ['0', 'bigint'],
      ['-3', 'bigint'],
      [' 5', 'bigint'],
      ['20240115', 'bigint'],
      ['9223372036854775807', 'bigint'],
      ['9223372036854775808', 'varchar'],
      ['007', 'varchar'],
      ['+3', 'varchar'],
      ['1.5', 'varchar'],
      ['1e3', 'varchar'],
      ['true', 'varchar'],
      ['', 'varchar'],
      ['NULL', 'varchar'],
      ['MES', 'varchar'],
    ];
    expect(cases.map(([value]) => [value, detectPartitionType(value)])).toEqual(cases);
  });

  it('reads key=value folders: first occurrence wins, URL-decoded, the file name and odd segments ignored', () => {
    expect([...hiveSegments('/data/asset=MES/date=2024-01-15/x=1=2/plain/asset=ES/k%20ey=a%2Fb/part=0.parquet')]).toEqual([
      ['asset', 'MES'],
      ['date', '2024-01-15'],
      ['k ey', 'a%2Fb'],
    ]);
  });

  it('turns values into comparable form', () => {
    expect(partitionValue('2024-01-15', 'date')).toBe(civilDays(2024, 1, 15));
    expect(civilDays(1970, 1, 1)).toBe(0);
    expect(civilDays(2024, 1, 15)).toBe(19_737);
    expect(civilDays(1969, 12, 31)).toBe(-1);
    expect(partitionValue('2024-01-15 10:00:00.5', 'timestamp')).toBe(1_705_312_800_500_000n);
    expect(partitionValue('-42', 'bigint')).toBe(-42n);
    expect(partitionValue('a%2Fb', 'varchar')).toBe('a/b');
    expect(partitionValue('null', 'date')).toBeNull();
  });

  it('builds constant columns of the partition types', () => {
    const json = (data: ReturnType<typeof constantPartitionData>) => [0, 1, 2].map((i) => vectorValueToJson(makeVector(data), i));
    expect(json(constantPartitionData('date', 19_737, 3))).toEqual(['2024-01-15', '2024-01-15', '2024-01-15']);
    expect(json(constantPartitionData('timestamp', 1_705_312_800_500_000n, 3))).toEqual(Array(3).fill('2024-01-15T10:00:00.500000Z'));
    expect(json(constantPartitionData('bigint', 7n, 3))).toEqual([7, 7, 7]);
    expect(json(constantPartitionData('varchar', 'MES', 3))).toEqual(['MES', 'MES', 'MES']);
    expect(json(constantPartitionData('varchar', null, 3))).toEqual([null, null, null]);
    expect((constantPartitionData('timestamp', 0n, 1).type as unknown as { toString(): string }).toString()).toBe('Timestamp<MICROSECOND>');
  });
});
