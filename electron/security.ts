import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_TYPES } from '../engine/serve/static.js';

/**
 * The desktop shell's security rules (Electron's security checklist; docs/ARCHITECTURE.md, security), kept free of
 * Electron imports so that test/electron-security.test.ts checks them without an Electron binary.
 */

/** The renderer is served from this origin through a custom protocol, never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'ganvas';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

/** The only places a link in the app may open in the system browser (exact origin, path prefix). */
export const EXTERNAL_ALLOW: readonly { origin: string; path: string }[] = [
  { origin: 'https://github.com', path: '/ganvas/' },
  { origin: 'https://onnx.ai', path: '/' },
  { origin: 'https://www.electronjs.org', path: '/docs/' },
];

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Whether `shell.openExternal` may open `url`: https, no credentials, an allowed origin and path prefix. */
export function externalAllowed(url: string): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username || u.password) return false;
  return EXTERNAL_ALLOW.some((a) => u.origin === a.origin && u.pathname.startsWith(a.path));
}

/** Whether an IPC message comes from our page: the top frame of our window, loaded from the app origin. */
export function trustedSender(frameUrl: string | undefined, isTopFrame: boolean, fromOurWindow: boolean): boolean {
  if (!frameUrl || !isTopFrame || !fromOurWindow) return false;
  const u = parse(frameUrl);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/** Whether the window may navigate to `url` (only within the app origin: a reload). */
export function navigationAllowed(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}


/**
 * The file an `app://ganvas/…` request reads from the renderer folder, or null (a 404): another host, a
 * malformed escape, a NUL byte, or a path that leaves the folder.
 */
export function appFile(rendererDir: string, url: string): { file: string; type: string } | null {
  const u = parse(url);
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const rel = normalize(path).replace(/^([/\\])+/, '');
  const root = normalize(rendererDir);
  const file = join(root, rel === '' ? 'index.html' : rel);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  return { file, type: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' };
}
