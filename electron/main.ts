import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDispatcher } from '../engine/api/dispatch.js';
import { Engine } from '../engine/engine.js';
import { CSP } from '../engine/serve/static.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '..', 'renderer', 'index.html');

/** The desktop host: the engine lives in the main process; the window reaches it only through the preload. */
function createEngine(): Engine {
  const engine = new Engine({ host: 'electron', hostDetail: `Electron ${process.versions.electron}`, home: app.getPath('userData') });
  const projectArg = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => a.endsWith('.ganvas'));
  engine.openOrCreate(projectArg);
  const dispatch = createDispatcher(engine.handlers, (err) => console.error('[ganvas]', err));
  ipcMain.handle('ganvas:call', (_e, method: unknown, req: unknown) => dispatch(method, req));
  engine.onEvent((name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send(`ganvas:event:${name}`, payload);
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
      webSecurity: true,
    },
  });
  // Nothing leaves the app window: external links open in the system browser, navigation is refused.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https:')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  void win.loadFile(rendererIndex);
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
                  engine?.projects.open(r.filePaths[0]);
                } catch (err) {
                  dialog.showErrorBox('Cannot open project', err instanceof Error ? err.message : String(err));
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

app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, done) =>
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
