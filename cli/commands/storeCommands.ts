import type { Command } from 'commander';
import { listTree, type CatalogNode } from '../../core/store/catalog.js';
import { initStore, openStore } from '../../core/store/openStore.js';
import { verifyStore, type VerifyResult } from '../../core/store/verifyStore.js';
import type { CommandContext } from '../commandContext.js';
import { EXIT_INVALID, EXIT_OK } from '../exitCodes.js';
import { jsonOption, wholeNumber } from '../options.js';
import { formatBytes } from '../render.js';

const count = (n: number): string => n.toLocaleString('en-US');

/** The facts shown after a node's name in the text tree. */
function describeNode(node: CatalogNode, storeRoot: string): string {
  const facts: string[] = [];
  if (node.kind === 'store') facts.push(storeRoot);
  if (node.kind === 'version') facts.push(node.valid === true ? 'valid' : node.valid === false ? 'INVALID' : 'not validated');
  if (node.kind === 'asset' && node.children && node.path.startsWith('raw/')) facts.push(`${count(node.children.length)} date${node.children.length === 1 ? '' : 's'}`);
  if (node.from && node.to && node.kind !== 'date') facts.push(node.from === node.to ? node.from : `${node.from} … ${node.to}`);
  if (typeof node.rows === 'number') facts.push(`${count(node.rows)} rows`);
  if (typeof node.bytes === 'number') facts.push(formatBytes(node.bytes));
  if (node.error) facts.push(`error: ${node.error}`);
  return facts.join(' · ');
}

/** The catalog as an indented tree for people. */
export function renderTree(node: CatalogNode, storeRoot: string): string {
  const lines: string[] = [];
  const label = (n: CatalogNode) => {
    const facts = describeNode(n, storeRoot);
    return facts === '' ? n.name : `${n.name}  ${facts}`;
  };
  const walk = (n: CatalogNode, prefix: string): void => {
    const children = n.children ?? [];
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(child)}`);
      walk(child, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  lines.push(node.kind === 'store' ? `store  ${describeNode(node, storeRoot)}` : `${node.path}  ${describeNode(node, storeRoot)}`.trimEnd());
  walk(node, '');
  return `${lines.join('\n')}\n`;
}

function renderVerify(result: VerifyResult, storeRoot: string): string {
  const summary = `${count(result.checked.datasets)} dataset(s), ${count(result.checked.files)} file(s), ${formatBytes(result.checked.bytes)} checked`;
  if (result.ok) return `store ${storeRoot} is consistent: ${summary}\n`;
  const lines = result.problems.map((problem) => `${problem.code}  ${problem.path}: ${problem.message}`);
  return `${lines.join('\n')}\n\nstore ${storeRoot}: ${result.problems.length} problem(s); ${summary}\n`;
}

/** `init`, `ls` and `verify`: the store itself. */
export function registerStoreCommands(program: Command, ctx: CommandContext): void {
  program
    .command('init')
    .description('create a store (an existing store is left as it is)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const { store, created } = await initStore(ctx.storeDir());
      ctx.done(
        { json: { store: store.root, created }, text: created ? `created a store at ${store.root}\n` : `${store.root} is already a store; left as it is\n` },
        opts.json === true,
      );
    });

  program
    .command('ls')
    .description('list the store as a tree: layers, assets, dates, versions, feature sets and files (from sidecars)')
    .argument('[path]', 'a path inside the store, for example raw/MES, cleaned/v1/MES or features/price_volatility')
    .option('--depth <n>', 'levels of children to show (default: all)', wholeNumber('depth'))
    .addOption(jsonOption())
    .action(async (treePath: string | undefined, opts: { depth?: number; json?: boolean }) => {
      const store = await openStore(ctx.storeDir());
      const node = await listTree(store, treePath ?? '', { depth: opts.depth });
      ctx.done({ json: node, text: renderTree(node, store.root) }, opts.json === true);
    });

  program
    .command('verify')
    .description('recompute every hash and check sidecars, sizes, row counts, names and leftovers (exit 1 when a problem is found)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const store = await openStore(ctx.storeDir(), { recover: false });
      const result = await verifyStore(store);
      ctx.done({ json: result, text: renderVerify(result, store.root), exitCode: result.ok ? EXIT_OK : EXIT_INVALID }, opts.json === true);
    });
}
