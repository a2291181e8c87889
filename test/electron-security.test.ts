import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_INDEX, appFile, externalAllowed, navigationAllowed, trustedSender } from '../electron/security.js';
import { tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..');

/** The top-level scalars and one-level maps of a YAML file (all electron-builder.yml's fuses need). */
function topLevelYaml(text: string): Record<string, any> {
  const out: Record<string, any> = {};
  let map: Record<string, unknown> | null = null;
  const scalar = (v: string) => (v === 'true' ? true : v === 'false' ? false : v);
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const top = /^([A-Za-z]\w*):\s*(.*?)\s*$/.exec(line);
    if (top) {
      map = top[2] === '' ? (out[top[1]!] = {}) : null;
      if (top[2] !== '') out[top[1]!] = scalar(top[2]!);
      continue;
    }
    const sub = /^\s+([A-Za-z]\w*):\s*(.+?)\s*$/.exec(line);
    if (sub && map) map[sub[1]!] = scalar(sub[2]!);
  }
  return out;
}

/**
 * Electron's binary is not needed: the main process runs here against a recording fake of the `electron`
 * module, so every handler it installs (permissions, IPC, protocol, window open) is called as Electron would.
 */
const fake = vi.hoisted(() => {
  const rec = {
    home: '',
    permissionRequest: null as null | ((wc: unknown, permission: string, cb: (ok: boolean) => void, details?: unknown) => void),
    permissionCheck: null as null | ((...a: unknown[]) => boolean),
    device: null as null | ((...a: unknown[]) => boolean),
    ipc: new Map<string, (e: unknown, ...args: unknown[]) => unknown>(),
    schemes: [] as { scheme: string; privileges: Record<string, boolean> }[],
    protocolHandlers: new Map<string, (req: { url: string }) => Promise<Response>>(),
    opened: [] as string[],
    windows: [] as any[],
    appEvents: new Map<string, (...a: any[]) => void>(),
  };
  const contents = () => {
    const handlers = new Map<string, (...a: any[]) => void>();
    const c: any = {
      mainFrame: { url: '' },
      on: (ev: string, f: (...a: any[]) => void) => handlers.set(ev, f),
      handlers,
      setWindowOpenHandler: (f: any) => { c.openHandler = f; },
      send: () => {},
    };
    return c;
  };
  class BrowserWindow {
    webContents = contents();
    options: any;
    loaded: string | null = null;
    constructor(o: any) { this.options = o; rec.windows.push(this); }
    loadURL(u: string) { this.loaded = u; this.webContents.mainFrame.url = u; return Promise.resolve(); }
    loadFile(f: string) { this.loaded = `file://${f}`; return Promise.resolve(); }
    on() {}
    isDestroyed() { return false; }
    static getAllWindows() { return rec.windows; }
  }
  const ses = {
    setPermissionRequestHandler: (f: any) => { rec.permissionRequest = f; },
    setPermissionCheckHandler: (f: any) => { rec.permissionCheck = f; },
    setDevicePermissionHandler: (f: any) => { rec.device = f; },
    setDisplayMediaRequestHandler: () => {},
    webRequest: { onHeadersReceived: () => {} },
  };
  const electron = {
    app: {
      getPath: () => rec.home,
      isPackaged: false,
      whenReady: () => Promise.resolve(),
      on: (ev: string, f: any) => rec.appEvents.set(ev, f),
      quit: () => {},
    },
    BrowserWindow,
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showErrorBox: () => {} },
    ipcMain: { handle: (ch: string, f: any) => rec.ipc.set(ch, f) },
    Menu: { setApplicationMenu: () => {}, buildFromTemplate: (t: unknown) => t },
    protocol: {
      registerSchemesAsPrivileged: (s: any) => rec.schemes.push(...s),
      handle: (scheme: string, f: any) => rec.protocolHandlers.set(scheme, f),
    },
    session: { defaultSession: ses },
    shell: { openExternal: async (u: string) => { rec.opened.push(u); } },
  };
  return { rec, electron };
});
vi.mock('electron', () => ({ ...fake.electron, default: fake.electron }));

const { rec } = fake;
beforeAll(async () => {
  rec.home = tempDir();
  await import('../electron/main.js');
  await new Promise((r) => setTimeout(r, 50));
}, 120_000);
afterAll(() => rec.appEvents.get('window-all-closed')?.());

describe('the Electron shell (security checklist, issue 12)', () => {
  it('denies every permission request and check by default', () => {
    const answers: boolean[] = [];
    for (const p of ['media', 'geolocation', 'notifications', 'midiSysex', 'clipboard-read', 'openExternal', 'fullscreen']) {
      rec.permissionRequest!(null, p, (ok) => answers.push(ok), {});
      expect(rec.permissionCheck!(null, p, APP_INDEX, {})).toBe(false);
    }
    expect(answers.every((a) => a === false)).toBe(true);
    expect(rec.device!({ deviceType: 'usb' })).toBe(false);
  });

  it('loads the renderer from app://ganvas through its own protocol, never file://, in a sandboxed window', async () => {
    const win = rec.windows[0]!;
    expect(win.loaded).toBe(APP_INDEX);
    expect(rec.schemes).toEqual([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
    expect(win.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    const handler = rec.protocolHandlers.get('app')!;
    expect((await handler({ url: 'app://ganvas/../../package.json' })).status).toBe(404);
    expect((await handler({ url: 'app://ganvas/%2e%2e/%2e%2e/package.json' })).status).toBe(404);
    expect((await handler({ url: 'app://ganvas/%' })).status).toBe(404);
    expect((await handler({ url: 'app://other/index.html' })).status).toBe(404);
  });

  it('opens only allow-listed https links in the system browser, and no window or navigation', () => {
    const win = rec.windows[0]!;
    for (const url of ['https://evil.example/', 'http://github.com/ganvas/', 'file:///etc/passwd', 'https://github.com.evil.example/ganvas/', 'https://user:pw@github.com/ganvas/', 'javascript:alert(1)', 'https://github.com/someone-else']) {
      expect(win.webContents.openHandler({ url })).toEqual({ action: 'deny' });
    }
    expect(rec.opened).toEqual([]);
    expect(win.webContents.openHandler({ url: 'https://github.com/ganvas/ganvas' })).toEqual({ action: 'deny' });
    expect(rec.opened).toEqual(['https://github.com/ganvas/ganvas']);
    let prevented = false;
    win.webContents.handlers.get('will-navigate')!({ url: 'https://evil.example/', preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
  });

  it('answers engine calls from our window\'s top frame only', async () => {
    const win = rec.windows[0]!;
    const call = rec.ipc.get('ganvas:call')!;
    const ok = (await call({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, 'engine.info', {})) as any;
    expect(ok).toMatchObject({ ok: true, r: { host: 'electron' } });
    const sub = { url: APP_INDEX };
    const refused = [
      { sender: win.webContents, senderFrame: sub }, // a subframe
      { sender: win.webContents, senderFrame: null }, // a destroyed frame
      { sender: { mainFrame: { url: APP_INDEX } }, senderFrame: { url: APP_INDEX } }, // another web contents
    ];
    for (const e of refused) expect(await call(e, 'engine.info', {})).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(await call({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, 'engine.info', {})).toMatchObject({ ok: false });
    win.webContents.mainFrame.url = APP_INDEX;
  });

  it('the rules themselves', () => {
    expect(externalAllowed('https://onnx.ai/')).toBe(true);
    expect(externalAllowed('https://onnx.ai.evil/')).toBe(false);
    expect(trustedSender('app://ganvas/index.html', true, true)).toBe(true);
    expect(trustedSender('file:///x/index.html', true, true)).toBe(false);
    expect(navigationAllowed('app://ganvas/index.html')).toBe(true);
    expect(navigationAllowed('file:///etc/passwd')).toBe(false);
    expect(appFile('/r', 'app://ganvas/')).toEqual({ file: join('/r', 'index.html'), type: 'text/html; charset=utf-8' });
    expect(appFile('/r', 'app://ganvas/a%00.js')).toBeNull();
  });

  it('the build flips the Electron fuses and the main bundle installs every handler', async () => {
    const cfg = topLevelYaml(readFileSync(join(root, 'build/electron-builder.yml'), 'utf8'));
    expect(cfg.asar ?? true).toBe(true);
    expect(cfg.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // The bundle build/build-desktop.js makes, built in memory with the same options.
    const out = await build({ entryPoints: [join(root, 'electron/main.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', write: false, logLevel: 'silent' });
    const main = out.outputFiles[0]!.text;
    for (const needle of ['setPermissionRequestHandler', 'setPermissionCheckHandler', 'setDevicePermissionHandler', 'registerSchemesAsPrivileged', 'protocol.handle', 'will-attach-webview', 'web-contents-created', 'senderFrame']) {
      expect(main, needle).toContain(needle);
    }
    expect(main).not.toMatch(/\.loadFile\(/);
    expect(main).not.toMatch(/openExternal\(url\)[^;]*\n?[^]*startsWith\("https:"\)/);
    const desktop = readFileSync(join(root, 'build/build-desktop.js'), 'utf8');
    expect(desktop).toContain("entryPoints: ['electron/main.ts']");
  });
});
