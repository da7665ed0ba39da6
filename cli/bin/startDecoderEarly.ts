// The first module of the CLI bundle (dist/cli/cli.cjs; scripts/buildCli.mjs puts it before
// cli/main.ts): a command that reads a page starts the Parquet decoder thread here, so the
// thread loads while the rest of the bundle does (they take about as long). It reads this
// process's command line; the build, which runs the bundle's top level to write its code
// cache, has none, and starts nothing.
import { sharedDecoderPool } from '../../core/parquet/decoderPool.js';
import { asksForHelp, isShortRead } from './shortRead.js';

const argv = process.argv.slice(2);
if (isShortRead(argv) && !asksForHelp(argv)) sharedDecoderPool().warm();
