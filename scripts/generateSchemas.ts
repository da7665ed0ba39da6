// `npm run schemas`: writes schema/*.json from the definitions in core/schema/.
import fs from 'node:fs';
import path from 'node:path';
import { schemaFileContents } from '../core/schema/schemaFiles.js';

const folder = path.resolve(import.meta.dirname, '..', 'schema');
fs.mkdirSync(folder, { recursive: true });
for (const [name, contents] of Object.entries(schemaFileContents())) {
  fs.writeFileSync(path.join(folder, name), contents);
  process.stdout.write(`wrote schema/${name}\n`);
}
