// `npm run lint` (after eslint): every export must have a user outside its own file. An
// export nothing imports is dead code; so is one that only tests import while its own file
// never uses it (code kept alive by its tests alone). Tests do count as users of what their
// module also uses itself: a step exported so that a test can pin it down exactly is part of
// the shipped code. Exports of test helpers (under tests/) count any importer.
//
// Prints `file:line name — why` per finding and exits 1 when there is one; `--json` prints
// the findings as JSON. Uses the TypeScript compiler's symbols (no type check), so a
// re-export, an `import type`, an `import('…')` type and a JSDoc `import('…')` all count.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// `--root DIR` checks another tree laid out like this one (the script's own test does)
const rootIndex = process.argv.indexOf('--root');
const root = rootIndex >= 0 ? path.resolve(process.argv[rootIndex + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['core', 'cli', 'electron', 'renderer/src', 'tests', 'bench', 'scripts'];
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.mjs'];
/** Files another program loads by their exports (config files read by their tools, and the files they name). */
const TOOL_ENTRIES = new Set(['vite.config.ts', 'vitest.config.ts', 'vitest.e2e.config.ts', 'eslint.config.mjs']);
/**
 * Folders whose modules are built before their callers, with the reason; their findings are
 * listed as notes and do not fail. Keep this short, and remove an entry when its callers land.
 */
const PENDING = [
  { folder: 'core/iceberg/', reason: 'the Iceberg table format, written and tested before the store uses it' },
  { folder: 'tests/core/iceberg/', reason: 'the tests of that module, written with it' },
];

/**
 * Every source file of ours, relative to the repository with forward slashes.
 * @returns {string[]}
 */
function sourceFiles() {
  const found = [...TOOL_ENTRIES].filter((file) => fs.existsSync(path.join(root, file)));
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = `${dir}/${entry.name}`;
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) walk(relative);
      else if (EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) found.push(relative);
    }
  };
  for (const folder of FOLDERS) if (fs.existsSync(path.join(root, folder))) walk(folder);
  return found.sort();
}

/** @param {string} fileName */
const relativeOf = (fileName) => path.relative(root, fileName).split(path.sep).join('/');
/** @param {string} relative */
const isTest = (relative) => relative.startsWith('tests/');

const files = sourceFiles();
const program = ts.createProgram({
  rootNames: files.map((file) => path.join(root, file)),
  options: {
    allowJs: true,
    checkJs: false,
    noEmit: true,
    skipLibCheck: true,
    // one resolution for every layer: it takes the renderer's bare './x' and NodeNext's './x.js'
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    jsx: ts.JsxEmit.ReactJSX,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
  },
});
const checker = program.getTypeChecker();
const ours = new Set(files);

// files a tool's configuration names by path (vitest's globalSetup, …) are entries too
for (const config of [...TOOL_ENTRIES]) {
  const text = fs.existsSync(path.join(root, config)) ? fs.readFileSync(path.join(root, config), 'utf8') : '';
  for (const match of text.matchAll(/['"]((?:tests|scripts|core|cli)\/[^'"]+\.(?:ts|mjs))['"]/g)) TOOL_ENTRIES.add(match[1]);
}

/**
 * The original declaration behind an alias (import, re-export), or the symbol itself.
 * @param {ts.Symbol} symbol
 */
function original(symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * File of a module specifier as written in `from`, when it is one of ours.
 * @param {ts.SourceFile} sourceFile
 * @param {string} specifier
 * @returns {ts.SourceFile | null}
 */
function targetOf(sourceFile, specifier) {
  const resolved = ts.resolveModuleName(specifier, sourceFile.fileName, program.getCompilerOptions(), ts.sys).resolvedModule;
  if (!resolved) return null;
  const relative = relativeOf(resolved.resolvedFileName);
  return ours.has(relative) ? (program.getSourceFile(resolved.resolvedFileName) ?? null) : null;
}

/** @param {ts.SourceFile} sourceFile */
function exportsOf(sourceFile) {
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  return moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
}

/** @type {Map<ts.Symbol, Set<string>>} original symbol → files (other than its own) that import it */
const users = new Map();
/**
 * @param {ts.Symbol} symbol
 * @param {string} by
 */
function use(symbol, by) {
  const target = original(symbol);
  const declaredIn = target.declarations?.[0]?.getSourceFile();
  if (!declaredIn || relativeOf(declaredIn.fileName) === by) return;
  const seen = users.get(target) ?? new Set();
  seen.add(by);
  users.set(target, seen);
}
/**
 * @param {ts.SourceFile} target
 * @param {string} by
 */
function useAll(target, by) {
  for (const symbol of exportsOf(target)) use(symbol, by);
}
/**
 * @param {ts.SourceFile} target
 * @param {string} name
 * @param {string} by
 */
function useByName(target, name, by) {
  const symbol = exportsOf(target).find((s) => s.getName() === name);
  if (symbol) use(symbol, by);
}

/** @type {Map<string, Set<ts.Symbol>>} symbols each file refers to apart from where it declares them */
const ownReferences = new Map();

for (const relative of files) {
  const sourceFile = program.getSourceFile(path.join(root, relative));
  if (!sourceFile) continue;
  /** @type {Set<ts.Symbol>} */
  const referenced = new Set();
  ownReferences.set(relative, referenced);
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = targetOf(sourceFile, node.moduleSpecifier.text);
      const clause = node.importClause;
      if (target && clause) {
        if (clause.name) useByName(target, 'default', relative);
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) useAll(target, relative);
        else if (bindings) for (const element of bindings.elements) useByName(target, (element.propertyName ?? element.name).text, relative);
      }
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = targetOf(sourceFile, node.moduleSpecifier.text);
      if (target && !node.exportClause) useAll(target, relative);
      else if (target && node.exportClause && ts.isNamedExports(node.exportClause)) for (const element of node.exportClause.elements) useByName(target, (element.propertyName ?? element.name).text, relative);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      const target = targetOf(sourceFile, node.argument.literal.text);
      if (target && node.qualifier) useByName(target, ts.isIdentifier(node.qualifier) ? node.qualifier.text : node.qualifier.left.getText(sourceFile), relative);
      else if (target) useAll(target, relative);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      const target = targetOf(sourceFile, node.arguments[0].text);
      if (target) useAll(target, relative);
    } else if (ts.isIdentifier(node) && !ts.isImportSpecifier(node.parent) && !ts.isExportSpecifier(node.parent)) {
      const symbol = checker.getSymbolAtLocation(node);
      // the name in a declaration is not a use of it
      const declares = symbol?.declarations?.some((d) => /** @type {ts.NamedDeclaration} */ (d).name === node) === true;
      if (symbol && !declares) referenced.add(original(symbol));
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  // JSDoc types in JavaScript files: {import('./x.js').Name}
  if (relative.endsWith('.mjs')) {
    for (const match of sourceFile.text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)\.([A-Za-z_$][\w$]*)/g)) {
      const target = targetOf(sourceFile, match[1]);
      if (target) useByName(target, match[2], relative);
    }
  }
}

/** @type {{ file: string, line: number, name: string, ownUse: boolean, why: string }[]} */
const findings = [];
for (const relative of files) {
  if (TOOL_ENTRIES.has(relative) || /\.test\.tsx?$/.test(relative)) continue;
  const sourceFile = program.getSourceFile(path.join(root, relative));
  if (!sourceFile) continue;
  for (const symbol of exportsOf(sourceFile)) {
    const target = original(symbol);
    const declaration = target.declarations?.[0];
    // re-exports are judged where they are declared; a JSDoc @typedef of a JavaScript file is exported whether or not it is meant to be
    if (!declaration || relativeOf(declaration.getSourceFile().fileName) !== relative || ts.isJSDocTypedefTag(declaration) || ts.isJSDocCallbackTag(declaration)) continue;
    const name = symbol.getName();
    const by = [...(users.get(target) ?? [])];
    const line = sourceFile.getLineAndCharacterOfPosition(declaration.getStart(sourceFile)).line + 1;
    const ownUse = ownReferences.get(relative)?.has(target) === true;
    if (by.length === 0) {
      findings.push({ file: relative, line, name, ownUse, why: ownUse ? 'only its own module uses it: drop the export keyword' : 'nothing uses it: remove it' });
    } else if (!isTest(relative) && by.every(isTest) && !ownUse) {
      findings.push({ file: relative, line, name, ownUse, why: `only tests import it (${by.sort().join(', ')}) and its own module does not use it` });
    }
  }
}

// `--fix FILE…`: drops the export keyword of the exports only their own module uses, in those files
const fixIndex = process.argv.indexOf('--fix');
if (fixIndex >= 0) {
  const only = new Set(process.argv.slice(fixIndex + 1));
  for (const relative of new Set(findings.filter((f) => f.ownUse && f.why.startsWith('only its own') && only.has(f.file)).map((f) => f.file))) {
    const lines = fs.readFileSync(path.join(root, relative), 'utf8').split('\n');
    for (const f of findings.filter((g) => g.file === relative && g.ownUse && g.why.startsWith('only its own'))) {
      const text = lines[f.line - 1];
      const fixed = text.replace(/^(\s*)export (?!default)/, '$1');
      if (fixed !== text) lines[f.line - 1] = fixed;
      else process.stderr.write(`${relative}:${f.line} ${f.name}: not fixed (not a plain export declaration)\n`);
    }
    fs.writeFileSync(path.join(root, relative), lines.join('\n'));
  }
  process.exit(0);
}

/** @param {{ file: string }} f */
const pendingOf = (f) => PENDING.find((p) => f.file.startsWith(p.folder));
const failing = findings.filter((f) => !pendingOf(f));
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
else {
  for (const f of failing) process.stdout.write(`${f.file}:${f.line} ${f.name} — ${f.why}\n`);
  for (const p of PENDING) {
    const held = findings.filter((f) => pendingOf(f) === p);
    if (held.length > 0) process.stdout.write(`note: ${held.length} in ${p.folder} not counted (${p.reason}): ${held.map((f) => f.name).join(', ')}\n`);
  }
}
if (failing.length > 0) {
  process.stderr.write(`${failing.length} dead export${failing.length === 1 ? '' : 's'}: remove them, or the export keyword when only their own module uses them\n`);
  process.exit(1);
}
