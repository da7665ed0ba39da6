/** A DuckDB in-memory database for the interop tests, with the few queries they need. */
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';

/** A value DuckDB returned as VARCHAR (or NULL, as null). */
function text(value: JS): string | null {
  if (value === null || typeof value === 'string') return value;
  throw new TypeError(`expected a string from DuckDB, got ${typeof value}`);
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

interface DuckColumnChunk {
  rowGroup: number;
  rowGroupRows: number;
  path: string;
  compression: string;
}

export class DuckSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<DuckSession> {
    // one thread: results come back in file order and the test does not compete with the decoder
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    // TIMESTAMPTZ is printed and cast in the session zone; pin it so no result depends on the host
    await connection.run(`SET TimeZone = 'UTC'`);
    return new DuckSession(instance, connection);
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** Rows as objects of plain JavaScript values (BIGINT as bigint, DOUBLE as number, lists as arrays, structs as objects). */
  async rows(sql: string): Promise<Record<string, JS>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  }

  /** DuckDB's type name for each column of `read_parquet(path)`. */
  async columnTypes(path: string): Promise<Record<string, string | null>> {
    const rows = await this.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(path)}))`);
    return Object.fromEntries(rows.map((row): [string, string | null] => [text(row.column_name) ?? '', text(row.column_type)]));
  }

  /** One entry per column chunk, in file order, from `parquet_metadata`. */
  async columnChunks(path: string): Promise<DuckColumnChunk[]> {
    const rows = await this.rows(
      `SELECT row_group_id, row_group_num_rows, path_in_schema, compression FROM parquet_metadata(${sqlString(path)}) ORDER BY row_group_id, column_id`,
    );
    return rows.map((row) => ({
      rowGroup: Number(row.row_group_id),
      rowGroupRows: Number(row.row_group_num_rows),
      path: text(row.path_in_schema) ?? '',
      compression: text(row.compression) ?? '',
    }));
  }

  /** The footer's key-value metadata as DuckDB decodes it (keys and values are BLOBs there). */
  async keyValueMetadata(path: string): Promise<Record<string, string | null>> {
    const rows = await this.rows(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${sqlString(path)})`);
    return Object.fromEntries(rows.map((row): [string, string | null] => [text(row.key) ?? '', text(row.value)]));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
