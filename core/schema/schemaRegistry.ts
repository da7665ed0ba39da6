import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../errors.js';
import { DataSchema } from './dataSchema.js';
import { PREDEFINED_SCHEMAS } from './predefinedSchemas.js';
import { isWindowsReserved } from '../store/storeNames.js';
import { assertNoSymlinkBelow } from '../store/storePaths.js';

/** Folder inside a store where registered schemas live, one `{name}.json` each. */
const STORE_SCHEMA_FOLDER = 'schemas';

/**
 * Parses a schema from JSON text or a value. Throws BAD_REQUEST naming every problem
 * (path and message, as zod reports them) and the source.
 */
export function parseDataSchema(input: unknown, source = 'schema'): DataSchema {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      throw new BadRequestError(`${source} is not valid JSON: ${(error as Error).message}`, { source });
    }
  }
  const parsed = DataSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const summary = problems
      .slice(0, 5)
      .map((p) => (p.path ? `${p.path}: ${p.message}` : p.message))
      .join('; ');
    throw new BadRequestError(`${source} is not a valid schema: ${summary}`, { source, issues: problems, tree: z.treeifyError(parsed.error) });
  }
  return parsed.data;
}

/**
 * Built-in schemas plus, when a store folder is given, the ones registered in it
 * (`<store>/schemas/*.json`), which survive restarts. A registered schema may replace a
 * built-in of the same name only with a higher version.
 */
export class SchemaRegistry {
  private readonly schemas = new Map<string, DataSchema>();

  constructor(private readonly storeDir: string | null = null) {
    for (const schema of PREDEFINED_SCHEMAS) this.schemas.set(schema.name, schema);
    if (storeDir) this.loadStored(storeDir);
  }

  /** The schema of that name. Throws NOT_FOUND listing the known names. */
  getSchema(name: string): DataSchema {
    const schema = this.schemas.get(name);
    if (!schema) {
      const known = [...this.schemas.keys()].sort();
      throw new NotFoundError(`no schema named "${name}"; known schemas: ${known.join(', ')}`, { name, known });
    }
    return schema;
  }

  listSchemas(): DataSchema[] {
    return [...this.schemas.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Validates and registers a schema; with a store, writes it to `<store>/schemas/{name}.json`
   * (atomically). Throws BAD_REQUEST for an invalid schema or a version not above the one
   * already registered under that name.
   */
  registerSchema(input: unknown, source = 'schema'): DataSchema {
    const schema = parseDataSchema(input, source);
    const existing = this.schemas.get(schema.name);
    if (existing && compareVersions(schema.version, existing.version) <= 0 && JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new BadRequestError(
        `schema "${schema.name}" ${schema.version} does not replace the registered ${existing.version}: raise its version`,
        { name: schema.name, version: schema.version, registeredVersion: existing.version },
      );
    }
    if (this.storeDir) {
      // schemas/con.json would be the console device on Windows, where stores travel too
      if (isWindowsReserved(schema.name)) throw new BadRequestError(`schema name "${schema.name}" is a device name reserved on Windows; choose another`, { name: schema.name });
      const folder = path.join(this.storeDir, STORE_SCHEMA_FOLDER);
      const file = path.join(folder, `${schema.name}.json`);
      // a linked schemas/ would put the file outside the store: SYMLINK
      assertNoSymlinkBelow(this.storeDir, file);
      fs.mkdirSync(folder, { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, `${JSON.stringify(schema, null, 2)}\n`);
      const fd = fs.openSync(temp, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(temp, file);
    }
    this.schemas.set(schema.name, schema);
    return schema;
  }

  private loadStored(storeDir: string): void {
    const folder = path.join(storeDir, STORE_SCHEMA_FOLDER);
    assertNoSymlinkBelow(storeDir, folder);
    if (!fs.existsSync(folder)) return;
    for (const entry of fs.readdirSync(folder).sort()) {
      if (!entry.endsWith('.json')) continue;
      const file = path.join(folder, entry);
      const schema = parseDataSchema(fs.readFileSync(file, 'utf8'), file);
      this.schemas.set(schema.name, schema);
    }
  }
}

/** Compares semantic versions `a.b.c`: negative, zero or positive. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (pa[i] !== pb[i]) return pa[i] - pb[i];
  }
  return 0;
}
