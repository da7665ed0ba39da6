import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session as electronSession, shell, type MenuItemConstructorOptions } from 'electron';
import { isApiName, type ApiResponse, type HostEvent, type InvokeReply, type MenuCommand } from '../core/api/contract.js';
import { ApiSession } from '../core/api/handlers.js';
import { isBucketUrl } from '../core/api/bucketStore.js';
import { makeDemoStore } from '../core/demo/makeDemoStore.js';
import { serializeError } from '../core/errors.js';
import { IPC_INVOKE, IPC_JOB_EVENT, IPC_MENU_COMMAND } from './ipcChannels.js';
import { appPageUrl, denyAllPermissions, guardWebContents, ipcSenderProblem } from './windowSecurity.js';

/**
 * The Electron main process: one window, locked down. The renderer gets no Node.js, runs
 * sandboxed with context isolation, may not navigate, be redirected or open windows, gets no
 * permission, and loads nothing from the network (see the Content-Security-Policy below).
 * Everything it may ask for goes through one IPC channel, taken only from the app's own
 * page in its window (windowSecurity.ts) and parsed against the API contract before a
 * handler runs.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const isDevelopment = !app.isPackaged;

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const INDEX_HTML = path.join(here, '..', 'renderer', 'index.html');
/** The only page whose IPC calls are taken. */
const APP_PAGE = appPageUrl(INDEX_HTML);

const recentFile = () => path.join(app.getPath('userData'), 'recent-stores.json');

function readRecentStores(): string[] {
  try {
    const list = JSON.parse(fs.readFileSync(recentFile(), 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

function saveRecentStores(stores: string[]): void {
  try {
    fs.mkdirSync(path.dirname(recentFile()), { recursive: true });
    fs.writeFileSync(recentFile(), JSON.stringify(stores.slice(0, 10)));
  } catch {
    // remembering recent stores is a convenience: never fail the app for it
  }
}

let mainWindow: BrowserWindow | null = null;
let api: ApiSession | null = null;

function send(channel: typeof IPC_JOB_EVENT | typeof IPC_MENU_COMMAND, payload: HostEvent): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(channel, payload);
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    title: 'MES Data',
    show: false,
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // middle-click must not open links in new windows either
      disableBlinkFeatures: 'Auxclick',
    },
  });
  window.once('ready-to-show', () => window.show());
  guardWebContents(window.webContents, (url) => void shell.openExternal(url));
  void window.loadFile(INDEX_HTML);
  return window;
}

async function chooseStore(): Promise<void> {
  if (!mainWindow || !api) return;
  const result = await dialog.showOpenDialog(mainWindow, { title: 'Open or create a store', properties: ['openDirectory', 'createDirectory'] });
  const folder = result.filePaths[0];
  if (result.canceled || !folder) return;
  const empty = fs.readdirSync(folder).length === 0;
  try {
    await api.invoke(empty ? 'store.init' : 'store.open', { path: folder });
    saveRecentStores(api.recentStores);
    send(IPC_MENU_COMMAND, { type: 'menu', command: 'store-opened', path: folder });
  } catch (error) {
    const { code, message } = serializeError(error);
    await dialog.showMessageBox(mainWindow, { type: 'error', message: `Cannot open ${folder}`, detail: `${code}: ${message}` });
  }
}

async function chooseFilesToIngest(): Promise<void> {
  if (!mainWindow) return;
  const result = await dialog.showOpenDialog(mainWindow, {
    title: 'Ingest market data files',
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: 'Market data', extensions: ['csv', 'tsv', 'txt', 'parquet', 'arrow', 'ipc', 'jsonl', 'ndjson'] }],
  });
  if (!result.canceled && result.filePaths.length > 0) {
    // files the user picked are theirs to read, whatever the session's path rule
    for (const file of result.filePaths) api?.grantFile(file);
    send(IPC_MENU_COMMAND, { type: 'menu', command: 'ingest-files', paths: result.filePaths });
  }
}

function menuCommand(command: MenuCommand): void {
  send(IPC_MENU_COMMAND, { type: 'menu', command });
}

function buildMenu(): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Store…', accelerator: 'CmdOrCtrl+O', click: () => void chooseStore() },
        // a store in a bucket (s3://bucket/prefix): typed on the start screen, opened through the same session as a folder
        { label: 'Open Bucket…', click: () => menuCommand('open-bucket') },
        { label: 'Ingest Files…', accelerator: 'CmdOrCtrl+I', click: () => void chooseFilesToIngest() },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Data',
      submenu: [
        { label: 'Validate', accelerator: 'CmdOrCtrl+Shift+V', click: () => menuCommand('validate') },
        { label: 'Promote…', accelerator: 'CmdOrCtrl+Shift+P', click: () => menuCommand('promote') },
        { label: 'Build Features…', accelerator: 'CmdOrCtrl+Shift+F', click: () => menuCommand('features') },
        { type: 'separator' },
        { label: 'Jobs', accelerator: 'Alt+J', click: () => menuCommand('jobs') },
      ],
    },
    {
      label: 'View',
      submenu: [{ role: 'reload' }, ...(isDevelopment ? [{ role: 'toggleDevTools' as const }] : []), { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { role: 'togglefullscreen' }],
    },
  ];
  return Menu.buildFromTemplate(template);
}

/**
 * A start that failed: the reason in a dialog (and on stderr), then exit code 1, instead of a
 * process running on without a window.
 */
function startupFailed(error: unknown): void {
  const { code, message } = serializeError(error);
  process.stderr.write(`MES Data could not start: ${code}: ${message}\n`);
  dialog.showErrorBox('MES Data could not start', `${code}: ${message}`);
  app.exit(1);
}

async function onReady(): Promise<void> {
  electronSession.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  denyAllPermissions(electronSession.defaultSession);

  const recent = readRecentStores();
  api = new ApiSession('electron', { recentStores: recent });
  const session = api;
  let requested = process.argv.find((arg) => arg.startsWith('--store='))?.slice('--store='.length) ?? process.env.MES_DATA_STORE ?? recent[0];
  // MES_DATA_STORE (or --store) may be s3://bucket/prefix: opened through its working copy, never made a demo folder
  if (!requested || (process.env.MES_DATA_DEMO === '1' && !isBucketUrl(requested) && !fs.existsSync(requested))) {
    // first start: a demo store, so there is something to look at
    requested ??= path.join(app.getPath('userData'), 'demo-store');
    try {
      await makeDemoStore(requested);
    } catch {
      // the start screen lets the user pick a store instead
    }
  }
  // a store that cannot be opened leaves the app on its start screen, which says why
  if (requested) await session.openAtStartup(requested);
  session.jobs.onEvent((event) => send(IPC_JOB_EVENT, event));

  ipcMain.handle(IPC_INVOKE, async (event, name: unknown, request: unknown): Promise<InvokeReply> => {
    const problem = ipcSenderProblem(event, mainWindow?.webContents ?? null, APP_PAGE);
    if (problem) {
      return { ok: false, error: { code: 'FORBIDDEN', message: `requests are only taken from the app itself: ${problem}`, details: {} } };
    }
    if (typeof name !== 'string' || !isApiName(name)) {
      return { ok: false, error: { code: 'NOT_FOUND', message: `no operation "${String(name)}"`, details: {} } };
    }
    try {
      // the session parsed the request; the handler of `name` is typed to answer its response
      const result = (await session.invoke(name, request)) as ApiResponse<typeof name>;
      if (name === 'store.open' || name === 'store.init') saveRecentStores(session.recentStores);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  });

  Menu.setApplicationMenu(buildMenu());
  mainWindow = createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => {
    // every web contents, not only the main window's: no navigation, redirects, new windows or webviews
    guardWebContents(contents, (url) => void shell.openExternal(url));
  });
  // a start that fails anywhere (before ready or inside onReady) says why and ends the app
  app.whenReady().then(onReady).catch(startupFailed);
  app.on('window-all-closed', () => {
    void api?.close();
    app.quit();
  });
}
