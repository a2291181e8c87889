import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDispatcher } from '../engine/api/dispatch.js';
import { Engine } from '../engine/engine.js';
import { CSP } from '../engine/serve/static.js';
import { APP_INDEX, APP_SCHEME, appFile, externalAllowed, navigationAllowed, trustedSender } from './security.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer');

// The renderer is served from app://ganvas (a standard, secure origin of our own), never from file://, which
// would give the page every file on the disk as its origin (Electron security checklist, "custom protocol").
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let mainWindow: BrowserWindow | null = null;

/** Only our window's top frame, loaded from app://ganvas, may call the engine (checklist: validate the sender). */
function fromOurPage(e: IpcMainInvokeEvent): boolean {
  const frame = e.senderFrame;
  return trustedSender(frame?.url, frame !== null && frame === e.sender.mainFrame, mainWindow !== null && e.sender === mainWindow.webContents);
}

/** The desktop host: the engine lives in the main process; the window reaches it only through the preload. */
function createEngine(): Engine {
  const engine = new Engine({ host: 'electron', hostDetail: `Electron ${process.versions.electron}`, home: app.getPath('userData') });
  const projectArg = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => a.endsWith('.ganvas'));
  // A project named on the command line (or by the OS file association) was chosen by the user.
  if (projectArg) engine.files.allowFile(projectArg);
  engine.openOrCreate(projectArg);
  const dispatch = createDispatcher(engine.handlers, (err) => console.error('[ganvas]', err));
  ipcMain.handle('ganvas:call', (e, method: unknown, req: unknown) => {
    if (!fromOurPage(e)) {
      console.error('[ganvas] refused an engine call from', e.senderFrame?.url ?? 'a destroyed frame');
      return { ok: false, e: { code: 'bad_request', message: 'calls are accepted from the Ganvas window only' } };
    }
    return dispatch(method, req);
  });
  engine.onEvent((name, payload) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(`ganvas:event:${name}`, payload);
  });
  return engine;
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#18181c',
    title: 'Ganvas',
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  });
  // Nothing leaves the app window: links to an allow-listed site open in the system browser; anything else,
  // new windows and navigation away from app://ganvas are refused.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (externalAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => { if (!navigationAllowed(e.url)) e.preventDefault(); });
  win.webContents.on('will-redirect', (e) => { if (!navigationAllowed(e.url)) e.preventDefault(); });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  mainWindow = win;
  win.on('closed', () => { mainWindow = null; });
  void win.loadURL(APP_INDEX);
  return win;
}

function buildMenu(win: BrowserWindow): void {
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'File',
        submenu: [
          {
            label: 'Open Project…',
            accelerator: 'CmdOrCtrl+Shift+O',
            click: async () => {
              const r = await dialog.showOpenDialog(win, { filters: [{ name: 'Ganvas project', extensions: ['ganvas'] }] });
              if (!r.canceled && r.filePaths[0]) {
                try {
                  // Chosen in a native dialog, outside the page: the one way besides the library and added
                  // folders that a project path is accepted (engine/files/policy.ts).
                  engine?.files.allowFile(r.filePaths[0]);
                  engine?.projects.open(r.filePaths[0]);
                } catch (err) {
                  dialog.showErrorBox('Cannot open project', err instanceof Error ? err.message : String(err));
                }
              }
            },
          },
          {
            label: 'Add Folder…',
            click: async () => {
              const r = await dialog.showOpenDialog(win, { properties: ['openDirectory', 'createDirectory'], title: 'A folder Ganvas may keep projects and read training images in' });
              if (!r.canceled && r.filePaths[0]) {
                try {
                  engine?.files.allowFolder(r.filePaths[0]);
                } catch (err) {
                  dialog.showErrorBox('Cannot add the folder', err instanceof Error ? err.message : String(err));
                }
              }
            },
          },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      {
        // Spelled out rather than role 'viewMenu', whose DevTools accelerator (Ctrl+Shift+I) is the editor's
        // "invert mask": DevTools moves to F12.
        label: 'View',
        submenu: [
          { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools', accelerator: 'F12' }, { type: 'separator' },
          { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' },
        ],
      },
      { role: 'windowMenu' },
    ]),
  );
}

let engine: Engine | null = null;

// Every web contents, whoever creates it: no webviews, no new windows, no navigation off the app origin.
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.on('will-navigate', (e) => { if (!navigationAllowed(e.url)) e.preventDefault(); });
  contents.setWindowOpenHandler(({ url }) => {
    if (externalAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.whenReady().then(() => {
  const ses = session.defaultSession;
  // Permissions deny by default: the editor needs no camera, microphone, location, notifications, MIDI, HID,
  // serial or USB (checklist: handle session permission requests).
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_req, callback) => callback({}));
  protocol.handle(APP_SCHEME, async (req) => {
    const hit = appFile(rendererDir, req.url);
    if (!hit) return new Response('not found', { status: 404 });
    try {
      return new Response(await readFile(hit.file), {
        headers: { 'content-type': hit.type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
  ses.webRequest.onHeadersReceived((details, done) =>
    done({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
  );
  engine = createEngine();
  const win = createWindow();
  buildMenu(win);
});

app.on('window-all-closed', () => {
  engine?.close();
  app.quit();
});
