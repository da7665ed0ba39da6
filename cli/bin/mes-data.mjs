#!/usr/bin/env node
// Entry point of the `mes-data` command. Runs the TypeScript sources through tsx, so a
// fresh `npm ci` is all the set-up the command needs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main.ts');
process.exitCode = await main(process.argv.slice(2));
