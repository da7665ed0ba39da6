import type { Command } from 'commander';
import type { CatalogNode } from '../../core/store/catalog.js';
import type { VerifyResult } from '../../core/store/verifyStore.js';
import { withCliSession } from '../cliSession.js';
import type { CommandContext } from '../commandContext.js';
import { EXIT_INVALID, EXIT_OK } from '../exitCodes.js';
import { runJobFromCli } from '../jobRunner.js';
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
  if (typeof node.rows === 'number') facts.push(`${count(node.rows)} ${node.rows === 1 ? 'row' : 'rows'}`);
  if (typeof node.bytes === 'number') facts.push(formatBytes(node.bytes));
  if (node.error) facts.push(`error: ${node.error}`);
  return facts.join(' · ');
}

/** Levels `ls` prints for people when `--depth` is not given: enough to see what is there without listing every file. */
const TEXT_DEFAULT_DEPTH = 2;
/** The deepest `tree` request the contract takes; no store is that deep, so deeper is all of it. */
const MAX_TREE_DEPTH = 50;

/**
 * The catalog as an indented tree for people, `maxDepth` levels below the node (all when
 * undefined). With `sayHidden`, levels cut off are said in a last line, with the flag that shows them.
 */
function renderTree(node: CatalogNode, storeRoot: string, maxDepth?: number, sayHidden = false): string {
  const lines: string[] = [];
  let hidden = false;
  const label = (n: CatalogNode) => {
    const facts = describeNode(n, storeRoot);
    return facts === '' ? n.name : `${n.name}  ${facts}`;
  };
  const walk = (n: CatalogNode, prefix: string, level: number): void => {
    const children = n.children ?? [];
    if (maxDepth !== undefined && level >= maxDepth) {
      if (children.length > 0) hidden = true;
      return;
    }
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(child)}`);
      walk(child, `${prefix}${last ? '    ' : '│   '}`, level + 1);
    });
  };
  lines.push(node.kind === 'store' ? `store  ${describeNode(node, storeRoot)}` : `${node.path}  ${describeNode(node, storeRoot)}`.trimEnd());
  walk(node, '', 0);
  if (hidden && sayHidden) lines.push(`(${maxDepth} level${maxDepth === 1 ? '' : 's'} shown; --depth N or --depth all for more, or name a path: mes-data ls ${node.path === '' ? 'raw' : node.path}/…)`);
  return `${lines.join('\n')}\n`;
}

/** `--depth`: a whole number of levels, or `all`. */
function depthOption(value: string): number | 'all' {
  return value.toLowerCase() === 'all' ? 'all' : wholeNumber('depth')(value);
}

function renderVerify(result: VerifyResult, storeRoot: string): string {
  const summary = `${count(result.checked.datasets)} dataset(s), ${count(result.checked.files)} file(s), ${formatBytes(result.checked.bytes)} checked`;
  if (result.ok) return `store ${storeRoot} is consistent: ${summary}\n`;
  const lines = result.problems.map((problem) => `${problem.code}  ${problem.path}: ${problem.message}`);
  return `${lines.join('\n')}\n\nstore ${storeRoot}: ${result.problems.length} problem(s); ${summary}\n`;
}

/** `init`, `ls` and `verify`: the store itself, through `store.init`, `tree` and the verify job. */
export function registerStoreCommands(program: Command, ctx: CommandContext): void {
  program
    .command('init')
    .description('create a store (an existing store is left as it is)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const made = await withCliSession(ctx, { store: false }, (cli) => cli.invoke('store.init', { path: ctx.storeDir() }));
      // an s3:// store is made in its working copy and published: it is named by its URL
      const { store, created } = { ...made, store: ctx.workingCopy?.()?.store ?? made.store };
      ctx.done({ json: { store, created }, text: created ? `created a store at ${store}\n` : `${store} is already a store; left as it is\n` }, opts.json === true);
    });

  program
    .command('ls')
    .description('list the store as a tree: layers, assets, dates, versions, feature sets and files (from sidecars)')
    .argument('[path]', 'a path inside the store, for example raw/MES, cleaned/v1/MES or features/price_volatility')
    .option('--depth <n>', `levels of children to show, or all (default: ${TEXT_DEFAULT_DEPTH} for the text tree, all with --json)`, depthOption)
    .addOption(jsonOption())
    .action(async (treePath: string | undefined, opts: { depth?: number | 'all'; json?: boolean }) => {
      const json = opts.json === true;
      // JSON keeps its documented default (the whole subtree); people get a few levels.
      // The text tree reads one level more than it prints, so the last level shown has its counts and spans.
      const shown = opts.depth === 'all' ? undefined : (opts.depth ?? (json ? undefined : TEXT_DEFAULT_DEPTH));
      const read = json || shown === undefined ? shown : shown + 1;
      const depth = read !== undefined && read > MAX_TREE_DEPTH ? undefined : read;
      // an s3:// store: its catalog from the bucket's listing and sidecars (remote.tree)
      const remote = ctx.remoteStore();
      await withCliSession(ctx, { store: remote === null }, async (cli) => {
        const node = remote !== null ? await cli.invoke('remote.tree', { store: remote, path: treePath ?? '', depth }) : await cli.invoke('tree', { path: treePath ?? '', depth });
        ctx.done({ json: node, text: json ? '' : renderTree(node, remote ?? cli.storeRoot ?? ctx.storeDir(), shown, opts.depth === undefined) }, json);
      });
    });

  program
    .command('verify')
    .description('recompute every hash and check sidecars, sizes, row counts, names and leftovers (exit 1 when a problem is found)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      // opened without recovery: what crashed writers left behind is what verify reports
      await runJobFromCli(ctx, { kind: 'verify' }, {
        needsStore: true,
        recover: false,
        json: opts.json === true,
        render: (checked) => {
          // an s3:// store's working copy: also the objects a writer stopped mid-publish left, which nothing names
          const copy = ctx.workingCopy?.() ?? null;
          const orphans = copy?.unreferenced ?? [];
          const result = orphans.length === 0 ? checked : { ...checked, ok: false, problems: [...checked.problems, ...orphans] };
          return { json: result, text: renderVerify(result, copy?.store ?? ctx.storeDir()), exitCode: result.ok ? EXIT_OK : EXIT_INVALID };
        },
      });
    });
}
