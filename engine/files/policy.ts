import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EngineError } from '../api/errors.js';

/**
 * The file-access policy (README, "Limits and file access"; docs/ARCHITECTURE.md, security): a path that comes from
 * a page (the renderer, over IPC or the WebSocket) is never opened as given. Projects and training folders live
 *
 * - in the library folder (the home's projects folder), or
 * - in a folder the user chose outside the page: `ganvas serve --allow DIR`, a native dialog in Electron, a
 *   project named on the command line, or a project in the recent list (which only the engine writes).
 *
 * A path is resolved (relative paths against the library folder), every component below the allowed folder must
 * be a plain name (no dot-files or dot-folders), a project must end in `.ganvas`, and its real path (symlinks
 * followed) must still lie inside an allowed folder. Everything refused outside the allowed folders gets the same
 * message whether or not the path exists, so the API cannot be used to probe the disk.
 *
 * Pure apart from `lstat`/`realpath` reads; the CLI, which runs as the user on the user's own arguments, does
 * not go through it.
 */
export const PROJECT_EXT = '.ganvas';

export interface FilePolicyOptions {
  /** The library folder (projectsDir of the home); created when a project is first made in it. */
  library: string;
  /** Folders the user allowed besides the library. */
  allow?: readonly string[];
  /** Project files the user opened before (the recent list): each is allowed on its own. */
  known?: () => readonly string[];
}

export type ProjectAccess = 'open' | 'create';

const outside = (given: string) =>
  new EngineError(
    'bad_request',
    `${short(given)} is not in a place Ganvas may use: projects live in the library folder or in a folder you chose (ganvas serve --allow DIR, or File ▸ Add Folder… in the app)`,
  );

const short = (p: string) => JSON.stringify(p.length > 120 ? `…${p.slice(-119)}` : p);

/** The real path of `p`, or null when it does not exist (or cannot be read: the same thing to a page). */
function real(p: string): string | null {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

export class FileAccessPolicy {
  private readonly library: string;
  private readonly allowed: string[] = [];
  private readonly files = new Set<string>();

  constructor(private readonly opts: FilePolicyOptions) {
    this.library = resolve(opts.library);
    for (const d of opts.allow ?? []) this.allowFolder(d);
  }

  /** A folder the user chose (CLI flag, native dialog). It must exist and be a folder. */
  allowFolder(dir: string): string {
    const r = real(resolve(dir));
    if (!r || !statSync(r).isDirectory()) throw new EngineError('not_found', `${short(dir)} is not a folder`);
    if (!this.allowed.includes(r)) this.allowed.push(r);
    return r;
  }

  /** One project file the user chose (a native dialog, the command line): allowed by its real path. */
  allowFile(file: string): void {
    const r = real(resolve(file));
    this.files.add(r ?? resolve(file));
  }

  /** The folders projects may live in: the library first. */
  folders(): string[] {
    return [this.library, ...this.allowed];
  }

  private roots(): string[] {
    mkdirSync(this.library, { recursive: true });
    return [real(this.library) ?? this.library, ...this.allowed];
  }

  private knownFile(abs: string): boolean {
    const r = real(abs);
    if (r === null) return false;
    if (this.files.has(r)) return true;
    for (const k of this.opts.known?.() ?? []) if (real(k) === r) return true;
    return false;
  }

  /** The lexical root `abs` is under and the path below it, checked for dot components; null if under none. */
  private lexical(abs: string): { root: string; below: string[] } | null {
    for (const root of [this.library, real(this.library), ...this.allowed]) {
      if (root === null) continue;
      if (!inside(root, abs)) continue;
      const below = relative(root, abs).split(sep).filter(Boolean);
      return { root, below };
    }
    return null;
  }

  private absolute(given: string): string {
    if (typeof given !== 'string' || given.length === 0 || given.includes('\0')) throw outside(String(given));
    return isAbsolute(given) ? resolve(given) : resolve(this.library, given);
  }

  /**
   * A project path from a page → the absolute path to open or create. Refuses anything outside the allowed
   * folders (symlinks included), dot-files, other extensions, and (for create) an existing file.
   */
  project(given: string, access: ProjectAccess, viaLink = false): string {
    const abs = this.absolute(given);
    if (access === 'open' && this.knownFile(abs)) return real(abs)!;
    if (!basename(abs).endsWith(PROJECT_EXT) || basename(abs) === PROJECT_EXT) {
      throw new EngineError('bad_request', `${short(given)}: a project is a ${PROJECT_EXT} file`);
    }
    const where = this.lexical(abs);
    if (!where) {
      // A path into an allowed folder through a symlink from elsewhere is judged by where it really leads.
      const r = real(access === 'open' ? abs : dirname(abs));
      if (!viaLink && r && this.roots().some((root) => inside(root, r))) return this.project(access === 'open' ? r : join(r, basename(abs)), access, true);
      throw outside(given);
    }
    if (where.below.some((c) => c.startsWith('.'))) throw new EngineError('bad_request', `${short(given)}: hidden files and folders (names starting with a dot) are not used for projects`);
    const roots = this.roots();
    if (access === 'open') {
      const r = real(abs);
      if (r === null) throw new EngineError('not_found', `${short(given)} does not exist`);
      if (!roots.some((root) => inside(root, r))) throw outside(given);
      if (!statSync(r).isFile()) throw new EngineError('bad_request', `${short(given)} is not a project file`);
      return r;
    }
    // create: the file must not exist (a dangling symlink counts as existing), and its nearest existing
    // folder must really be inside an allowed folder.
    let exists = true;
    try {
      lstatSync(abs);
    } catch {
      exists = false;
    }
    if (exists) throw new EngineError('conflict', `${short(given)} already exists; open it, or choose another name`);
    let parent = dirname(abs);
    while (real(parent) === null && inside(where.root, dirname(parent)) && dirname(parent) !== parent) parent = dirname(parent);
    const rp = real(parent);
    if (rp === null || !roots.some((root) => inside(root, rp))) throw outside(given);
    if (!statSync(rp).isDirectory()) throw new EngineError('bad_request', `${short(given)}: ${basename(parent)} is not a folder`);
    return join(rp, relative(parent, abs));
  }

  /** A training-data folder from a page → its real path, inside an allowed folder, not hidden. */
  dataDir(given: string): string {
    const abs = this.absolute(given);
    const r = real(abs);
    const roots = this.roots();
    if (r === null) {
      if (this.lexical(abs)) throw new EngineError('not_found', `training folder ${short(given)} does not exist`);
      throw outside(given);
    }
    const root = roots.find((x) => inside(x, r));
    if (!root) throw outside(given);
    if (relative(root, r).split(sep).some((c) => c.startsWith('.'))) throw new EngineError('bad_request', `${short(given)}: hidden folders (names starting with a dot) are not used for training`);
    if (!statSync(r).isDirectory()) throw new EngineError('bad_request', `${short(given)} is not a folder`);
    return r;
  }
}
