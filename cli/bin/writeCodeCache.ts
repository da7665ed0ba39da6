// Run by scripts/buildCli.mjs (bundled, in a Node process of its own): writes the code cache
// of the CLI bundle named on the command line and prints its path and size as JSON.
import { writeCodeCache } from './codeCache.js';

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: writeCodeCache BUNDLE');
process.stdout.write(`${JSON.stringify(writeCodeCache(bundle))}\n`);
