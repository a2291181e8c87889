import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelInfo } from '../api/schemas.js';
import { EngineError } from '../api/errors.js';
import { detectInpainterIo, type IoOverrides } from './inpainter-io.js';
import { openSession, type Session } from './onnx.js';
import { ModelCard, packageHash, readPackage, readPlainFile } from './package.js';
import { checkSignature } from './signature.js';
import { checkWeights } from './weights-check.js';

export const shippedModelsDir = fileURLToPath(new URL('../../assets/models', import.meta.url));
export const userModelsDir = (home: string) => join(home, 'models');

type Role = 'mapping' | 'synthesis' | 'generator' | 'inpainter';

export interface ImportOptions {
  id?: string;
  name?: string;
  licence?: string;
  resolution?: number;
  /** An inpainter's conventions as told by the user; each replaces what the import probes would measure. */
  io?: IoOverrides;
  /** The command line recorded in provenance (default: `ganvas models import FILE`). */
  command?: string;
}
export interface LoadedModel { card: ModelCard; dir: string; sessions: Partial<Record<Role, Session>>; weights?: Uint8Array }

const info = (card: ModelCard): ModelInfo => ({
  id: card.id, name: card.name, kind: card.kind, resolution: card.resolution, licence: card.licence, data: card.data,
  hash: card.hash, source: card.provenance.source, parent: card.provenance.parent ?? null,
  styleBased: Boolean(card.files.mapping && card.files.synthesis),
  ...(card.generator?.numWs ? { numWs: card.generator.numWs } : {}),
});

/** Opens every ONNX file of a package and checks it against the signature and sizes model.json declares. */
async function load(dir: string, name?: string): Promise<LoadedModel> {
  const { card, files } = readPackage(dir, name);
  const sessions: LoadedModel['sessions'] = {};
  for (const role of ['mapping', 'synthesis', 'generator', 'inpainter'] as const) {
    if (files[role]) sessions[role] = await openSession(files[role]!, `${card.id}/${card.files[role]}`);
  }
  checkSignature(card, sessions);
  if (files.weights) checkWeights(card, files.weights);
  return { card, dir, sessions, weights: files.weights };
}

/**
 * The model packages a user has: shipped ones (read-only, in assets/models) and imported or fine-tuned ones
 * (in $GANVAS_HOME/models). A user package with the id of a shipped one shadows it.
 */
export class ModelRegistry {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  /** Verified cards by folder, valid while the folder's files keep their size and time (hashing is not free). */
  private readonly verified = new Map<string, { stamp: string; card: ModelCard }>();

  private stamp(dir: string): string {
    return readdirSync(dir).sort().map((f) => { const st = lstatSync(join(dir, f)); return `${f}:${st.mode}:${st.size}:${st.mtimeMs}`; }).join('|');
  }

  private card(dir: string): ModelCard {
    const stamp = this.stamp(dir);
    const hit = this.verified.get(dir);
    if (hit && hit.stamp === stamp) return hit.card;
    const { card } = readPackage(dir);
    this.verified.set(dir, { stamp, card });
    return card;
  }

  constructor(private readonly home: string, private readonly shipped = shippedModelsDir) {
    this.cleanStaleStaging();
  }

  /**
   * Removes what killed imports left: `models/.import-PID-…` folders of processes that no longer run, and
   * `tmp/import-…` folders (bytes dropped on the editor) older than an hour.
   */
  private cleanStaleStaging(): void {
    const models = userModelsDir(this.home);
    for (const name of safeList(models)) {
      const m = /^\.import-(\d+)-[0-9a-f]+$/.exec(name) ?? /^\.import-[0-9a-f]+$/.exec(name);
      if (!m) continue;
      const pid = m[1] === undefined ? null : Number(m[1]);
      if (pid !== null && pid !== process.pid && alive(pid)) continue;
      if (pid === process.pid) continue;
      rmSync(join(models, name), { recursive: true, force: true });
    }
    const tmp = join(this.home, 'tmp');
    for (const name of safeList(tmp)) {
      if (!/^import-[0-9a-f]+$/.test(name)) continue;
      try {
        if (Date.now() - lstatSync(join(tmp, name)).mtimeMs > 3600_000) rmSync(join(tmp, name), { recursive: true, force: true });
      } catch { /* gone already */ }
    }
  }

  /** Shipped packages, then the user's; a user package may not take a shipped id (it is skipped and reported). */
  private packageDirs(problems: string[] = []): Map<string, string> {
    const dirs = new Map<string, string>();
    const shippedIds = new Set<string>();
    for (const root of [this.shipped, userModelsDir(this.home)]) {
      const user = root !== this.shipped;
      for (const name of safeList(root)) {
        const dir = join(root, name);
        if (name.startsWith('.')) continue;
        // lstat: a symlink in the models folder is not a package (nothing outside the folder is loaded).
        const st = lstatSync(dir, { throwIfNoEntry: false });
        if (!st?.isDirectory() || !lstatSync(join(dir, 'model.json'), { throwIfNoEntry: false })?.isFile()) continue;
        if (user && shippedIds.has(name)) {
          problems.push(`${name}: a user package may not take the id of a shipped model; it is ignored`);
          continue;
        }
        if (!user) shippedIds.add(name);
        dirs.set(name, dir);
      }
    }
    return dirs;
  }

  /** Every package whose files match its card; damaged ones are reported in `problems`, not listed. */
  list(): { models: ModelInfo[]; problems: string[] } {
    const models: ModelInfo[] = [];
    const problems: string[] = [];
    for (const [, dir] of this.packageDirs(problems)) {
      try {
        models.push(info(this.card(dir)));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    return { models, problems };
  }

  async get(id: string): Promise<LoadedModel> {
    const dir = this.packageDirs().get(id);
    if (!dir) throw new EngineError('not_found', `no model ${id}; \`ganvas models list\` shows the installed ones`);
    let p = this.loaded.get(dir);
    if (!p) {
      p = load(dir);
      this.loaded.set(dir, p);
      p.catch(() => this.loaded.delete(dir));
    }
    return p;
  }

  /**
   * Installs a package folder, or a single ONNX inpainter / z → image generator, into $GANVAS_HOME/models after
   * checking it fully; nothing is written unless every check passes.
   */
  async import(path: string, opts: ImportOptions = {}): Promise<ModelInfo> {
    const name = basename(path);
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new EngineError('not_found', `${path} does not exist`);
    }
    if (!st.isDirectory() && !st.isFile()) throw new EngineError('bad_model', `${name} is not a file or a folder (a pipe, socket or device)`);
    if (st.isDirectory() && !lstatSync(join(path, 'model.json'), { throwIfNoEntry: false })) {
      throw new EngineError('bad_model', `${name} is a folder without model.json: import a model package folder, or an .onnx file`);
    }
    // The staging folder carries our pid, so that a later start can tell a killed import's leftovers from a
    // running one's (cleanStaleStaging).
    const staging = join(userModelsDir(this.home), `.import-${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(staging, { recursive: true });
    try {
      // The path the user gave may itself be a link; what is inside the package may not (copyPackage).
      if (st.isDirectory()) this.copyPackage(realpathSync(path), staging, name);
      else await this.wrapOnnx(path, staging, opts);
      const model = await load(staging, name);
      if (this.shippedIds().has(model.card.id)) {
        throw new EngineError('conflict', `${model.card.id} is the id of a model shipped with Ganvas; import with another --id`);
      }
      const target = join(userModelsDir(this.home), model.card.id);
      if (existsSync(target)) throw new EngineError('conflict', `a model with id ${model.card.id} is already installed; remove it or import with another --id`);
      renameSync(staging, target);
      return info(model.card);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private shippedIds(): Set<string> {
    return new Set(safeList(this.shipped).filter((n) => !n.startsWith('.')));
  }

  /**
   * Copies a package folder: model.json and exactly the files it names, each a plain file (symlinks and FIFOs
   * are refused by readPlainFile, never followed), so nothing outside the package and nothing it does not
   * declare is installed.
   */
  private copyPackage(src: string, staging: string, name: string): void {
    const cardBytes = readPlainFile(join(src, 'model.json'), `${name}/model.json`, 1024 * 1024)!;
    let files: Record<string, unknown> = {};
    try {
      const raw = JSON.parse(Buffer.from(cardBytes).toString('utf8')) as { files?: Record<string, unknown> };
      files = raw && typeof raw.files === 'object' && raw.files !== null ? raw.files : {};
    } catch {
      // readPackage reports the malformed card with its reason.
    }
    writeFileSync(join(staging, 'model.json'), cardBytes);
    for (const file of Object.values(files)) {
      if (typeof file !== 'string' || !/^\w[\w.-]*$/.test(file)) continue; // the card's schema names it
      const bytes = readPlainFile(join(src, file), `${name}/${file}`);
      if (bytes) writeFileSync(join(staging, file), bytes);
    }
  }

  /**
   * Writes a model.json for a bare ONNX file. Its kind comes from its inputs (two, or one [B, 4, H, W]: an
   * inpainter; else a z → image generator); an inpainter's I/O conventions and sizes are established by
   * engine/runtime/inpainter-io.ts (metadata, probe runs, the user's overrides) and recorded in the card.
   */
  private async wrapOnnx(file: string, staging: string, opts: ImportOptions): Promise<void> {
    if (extname(file).toLowerCase() !== '.onnx') throw new EngineError('bad_model', `${basename(file)}: import a model package folder or an .onnx file`);
    const bytes = readPlainFile(realpathSync(file), basename(file))!;
    const session = await openSession(bytes, basename(file));
    const inpainter = session.inputs.length === 2 || (session.inputs.length > 0 && session.inputs.some((i) => i.dims.length === 4));
    const kind = inpainter ? 'inpainter' : 'generator';
    const outDims = session.outputs[0]?.dims ?? [];
    const declared = typeof outDims[2] === 'number' && outDims[2] > 0 ? outDims[2] : undefined;
    const zDim = session.inputs[0]?.dims[1];
    const id = opts.id ?? basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 64);
    const role = kind === 'inpainter' ? 'inpainter' : 'generator';
    let section: object;
    let resolution = opts.resolution ?? declared ?? 512;
    if (inpainter) {
      const { io, sizing } = await detectInpainterIo(session, basename(file), { ...opts.io, maxSide: opts.io?.maxSide ?? opts.resolution });
      section = { inpainter: { maxSide: sizing.maxSide, multiple: sizing.multiple, ...(sizing.fixed ? { fixed: sizing.fixed } : {}), io } };
      resolution = opts.resolution ?? sizing.fixed ?? 512;
    } else {
      section = { generator: { zDim: typeof zDim === 'number' && zDim > 0 ? zDim : 0 } };
    }
    const card = {
      format: 'ganvas-model-1', id, name: opts.name ?? basename(file), kind, resolution, ...section,
      licence: opts.licence ?? 'unknown (imported by the user)', data: 'unknown (imported by the user)',
      provenance: { source: 'imported', parent: null, command: opts.command ?? `ganvas models import ${basename(file)}` },
      // Stored under its role's name: the user's file name (spaces, accents …) stays in `name` only.
      files: { [role]: `${role}.onnx` },
      hash: packageHash({ [role]: bytes }),
    };
    const parsed = ModelCard.safeParse(card);
    if (!parsed.success) throw new EngineError('bad_model', `${basename(file)}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    writeFileSync(join(staging, `${role}.onnx`), bytes);
    writeFileSync(join(staging, 'model.json'), JSON.stringify(parsed.data, null, 2));
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
