import { Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cover, decode, encode } from '../image/raster.js';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../api/errors.js';
import { Engine, VERSION } from '../engine.js';
import { serve } from '../serve/server.js';
import { ProjectStore } from '../store/project-store.js';
import { describeIo, parseRange, type Range } from '../runtime/inpainter-io.js';
import { fineTuneRecipe } from '../train/recipe.js';
import { inpaintFile, pairFolder } from '../edit/inpaint-file.js';
import { defaultInpaintParams, MAX_FEATHER } from '../edit/inpaint.js';
import { inpaintModel } from '../edit/inpaint-model.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const rendererDir = join(root, 'dist', 'renderer');

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const rangeArg = (v: string) => {
  const r = parseRange(v);
  if (!r) throw new InvalidArgumentError('expected lo..hi, e.g. 0..1, -1..1 or 0..255');
  return r;
};
const maskHoleArg = (v: string) => {
  if (!['0', '1', '255'].includes(v)) throw new InvalidArgumentError('expected 1, 0 or 255');
  return Number(v);
};
const roundingArg = (v: string) => {
  if (v !== 'round' && v !== 'truncate') throw new InvalidArgumentError('expected round or truncate');
  return v;
};
interface ImportFlags {
  id?: string; name?: string; licence?: string; resolution?: number;
  imageRange?: Range; maskHole?: number; outputRange?: Range; outputRounding?: 'round' | 'truncate'; eraseHole?: boolean;
  size?: number; multiple?: number; maxSide?: number; class?: number;
}

/** Reads a file named on the command line, saying so plainly when it is a folder or missing. */
function readInput(path: string): Uint8Array {
  checkFile(path);
  return readFileSync(path);
}
function checkFile(path: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new EngineError('not_found', `${path} does not exist`);
  if (st.isDirectory()) throw new EngineError('bad_request', `${path} is a folder; a file is expected here`);
  if (!st.isFile()) throw new EngineError('bad_request', `${path} is not a plain file`);
}

const cliEngine = (home?: string) => new Engine({ host: 'cli', hostDetail: 'command line', home });

const program = new Command('ganvas')
  .description('Ganvas: an image-editing studio whose tools are GANs')
  .version(VERSION)
  .option('--home <dir>', 'where projects and app state live (default: $GANVAS_HOME or the user data folder)');

program
  .command('serve')
  .description('serve the engine and the editor on 127.0.0.1 (browser host)')
  .option('-p, --port <n>', 'port (0 = any free port)', int, 7860)
  .option('--project <file>', 'project to open (created if missing; default: the Welcome project)')
  .option('--allow <dir>', 'a folder the editor may open and create projects and read training data in, besides the projects folder (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .action(async (o: { port: number; project?: string; allow: string[] }) => {
    const server = await serve({
      port: o.port, project: o.project, home: program.opts().home, rendererDir, allow: o.allow,
      log: (l) => console.error(`[ganvas] ${l}`),
    });
    const state = await server.engine.call('project.state', {});
    console.log(`Project ${state.path}`);
    console.log(`Ganvas at ${server.url}`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

const project = program.command('project').description('create, inspect and recover project files (new, info, recover), or project a photo into a generator: project IMAGE -o DIR');
project
  .command('new <file>')
  .option('--name <name>', 'project name (default: the file name)')
  .option('--width <px>', 'document width', int, 1280)
  .option('--height <px>', 'document height', int, 800)
  .action(async (file: string, o: { name?: string; width: number; height: number }) => {
    const engine = cliEngine(program.opts().home);
    mkdirSync(dirname(resolve(file)), { recursive: true });
    engine.files.allowFolder(dirname(resolve(file))); // named on the command line: the user's choice
    const s = await engine.call('project.create', { name: o.name ?? basename(file, extname(file)), width: o.width, height: o.height, path: resolve(file) });
    engine.close();
    console.log(`created ${s.path} (${s.width}×${s.height})`);
  });
project
  .command('info <file>')
  .action((file: string) => {
    const store = ProjectStore.open(resolve(file));
    const s = store.state();
    console.log(`${s.name}  ${s.width}×${s.height}  ${s.layers.length} layer(s)  ${store.editCount()} edit(s)`);
    console.log(`undo: ${s.undoLabel ?? '—'}   redo: ${s.redoLabel ?? '—'}   integrity: ${store.integrityCheck()}`);
    for (const l of [...s.layers].reverse()) {
      console.log(`  ${l.visible ? '●' : '○'} ${l.name}  ${l.width}×${l.height} at (${l.x}, ${l.y})  opacity ${l.opacity}`);
    }
    store.close();
  });
project
  .command('recover <file>')
  .description('copy the good edits of a damaged project (every edit whose history replays) into a new file')
  .option('-o, --out <file>', 'the new project file (default: FILE with .recovered before its extension)')
  .action((file: string, o: { out?: string }) => {
    const src = resolve(file);
    const out = resolve(o.out ?? join(dirname(src), `${basename(src, extname(src))}.recovered${extname(src) || '.ganvas'}`));
    const r = ProjectStore.recover(src, out);
    for (const d of r.dropped) console.log(`  dropped edit ${d.editId}: ${d.reason}`);
    console.log(`recovered ${r.kept} of ${r.total} edit(s) into ${r.path}; undo pointer at ${r.head === null ? 'the empty document' : `edit ${r.head}`}`);
  });

project
  .argument('[image]', 'a photo to project into a generator (W, then W+); writes the latent and its render')
  .option('--model <id>', 'generator (default: the first installed)')
  .option('--steps <n>', 'optimisation steps (half in W, half in W+)', int, 200)
  .option('-o, --out <dir>', 'output folder: target.png, projected.png, latent.f32, latent.json')
  .action(async (image: string | undefined, o: { model?: string; steps: number; out?: string }) => {
    if (!image || !o.out) {
      project.help();
      return;
    }
    const out = o.out;
    const home = program.opts().home ?? join(tmpdir(), `ganvas-project-${process.pid}`);
    const engine = cliEngine(home);
    mkdirSync(out, { recursive: true });
    const scratch = join(tmpdir(), `ganvas-project-${process.pid}.ganvas`);
    engine.files.allowFolder(dirname(scratch));
    await engine.call('project.create', { name: 'projection', width: 256, height: 256, path: scratch });
    engine.onEvent((event, p) => {
      if (event === 'job.progress') {
        const { done, total, message } = p as { done: number; total: number; message?: string };
        if (done % 20 === 0 || done === total) console.error(message);
      }
    });
    const r = await engine.call('latent.project', { image: readInput(image), modelId: o.model, steps: o.steps, display: 256 });
    const layer = r.state.layers.at(-1)!;
    const latent = await engine.call('latent.get', { layerId: layer.id });
    const { resolution } = (await engine.call('models.list', {})).find((m) => m.id === latent.modelId)!;
    const photo = await decode(readInput(image), { name: basename(image), channels: 3 });
    writeFileSync(join(out, 'target.png'), await encode(await cover(photo, resolution, resolution), 'png'));
    writeFileSync(join(out, 'projected.png'), (await engine.call('asset.get', { hash: layer.assetHash })).bytes);
    writeFileSync(join(out, 'latent.f32'), new Uint8Array(latent.ws.buffer, latent.ws.byteOffset, latent.ws.byteLength));
    writeFileSync(join(out, 'latent.json'), JSON.stringify({ model: latent.modelId, hash: latent.modelHash, space: 'w+', rows: latent.numWs, dim: latent.wDim, loss: r.loss, steps: o.steps, note: r.note }, null, 2));
    engine.close();
    rmSync(scratch, { force: true });
    console.log(`wrote ${out} (loss ${r.loss.toFixed(4)}); ${r.note}`);
  });

program
  .command('import <project> <images...>')
  .description('add images to a project as layers, one edit each')
  .action(async (file: string, images: string[]) => {
    const engine = cliEngine(program.opts().home);
    engine.files.allowFile(file); // named on the command line: the user's choice
    await engine.call('project.open', { path: file });
    for (const img of images) {
      const s = await engine.call('layer.import', { name: basename(img), bytes: readInput(img) });
      console.log(`committed edit ${s.headEditId}: ${basename(img)}`);
    }
    engine.close();
  });

program
  .command('export <project>')
  .description('write the composite of visible layers as PNG')
  .requiredOption('-o, --out <file>', 'output PNG')
  .action(async (file: string, o: { out: string }) => {
    const engine = cliEngine(program.opts().home);
    engine.files.allowFile(file); // named on the command line: the user's choice
    await engine.call('project.open', { path: file });
    const r = await engine.call('project.export', {});
    // Temp file and rename: a killed export leaves the previous file, never a truncated one.
    const tmp = `${o.out}.${process.pid}.tmp`;
    writeFileSync(tmp, r.png);
    renameSync(tmp, o.out);
    engine.close();
    console.log(`wrote ${o.out} (${r.width}×${r.height})`);
  });

const models = program.command('models').description('list and import model packages');
models
  .command('list')
  .description('the installed models: shipped, imported and fine-tuned, with their licences')
  .action(() => {
    const engine = cliEngine(program.opts().home);
    const { models: list, problems } = engine.registry.list();
    if (list.length === 0) console.log('no models installed');
    for (const m of list) {
      console.log(`${m.id.padEnd(20)} ${m.kind.padEnd(10)} ${String(m.resolution).padStart(4)} px  ${m.source.padEnd(8)} ${m.hash.slice(0, 12)}  ${m.name}`);
      console.log(`${''.padEnd(20)} licence: ${m.licence}; data: ${m.data}`);
    }
    for (const p of problems) console.error(`skipped: ${p}`);
  });
models
  .command('import <path>')
  .description('install a model package folder, an ONNX inpainter (image, mask → image) or generator (z → image), or a StyleGAN checkpoint (NVlabs .pkl: StyleGAN2-ADA, StyleGAN3-T; rosinality .pt)')
  .option('--id <id>', 'id to install under (default: from the file name)')
  .option('--name <name>', 'display name')
  .option('--licence <licence>', 'the licence of the weights, shown with the model')
  .option('--resolution <px>', 'the size the model works at, when the file does not fix it', int)
  .option('--image-range <lo..hi>', 'inpainter: what pixels 0..255 become in its image input (0..1, -1..1, 0..255)', rangeArg)
  .option('--mask-hole <value>', 'inpainter: the mask value that marks the hole (1, 0 or 255)', maskHoleArg)
  .option('--output-range <lo..hi>', 'inpainter: the range of its output (0..1, -1..1, 0..255)', rangeArg)
  .option('--output-rounding <how>', 'inpainter: a float output to 8 bits: round | truncate', roundingArg)
  .option('--erase-hole', 'inpainter: zero the image under the hole before feeding it')
  .option('--no-erase-hole', 'inpainter: feed the pixels under the hole as they are')
  .option('--size <px>', 'inpainter: the one square size it runs at', int)
  .option('--multiple <n>', 'inpainter: working sizes are multiples of this', int)
  .option('--max-side <px>', 'inpainter: the longest side a crop is run at', int)
  .option('--class <n>', 'class-conditional StyleGAN: the class the imported generator draws', int)
  .action(async (path: string, o: ImportFlags) => {
    const engine = cliEngine(program.opts().home);
    const io = { imageRange: o.imageRange, maskHole: o.maskHole, outputRange: o.outputRange, outputRounding: o.outputRounding, eraseHole: o.eraseHole, size: o.size, multiple: o.multiple, maxSide: o.maxSide };
    // The conventions told, as flags again, for the card's provenance.
    const told = Object.entries(io).filter(([, v]) => v !== undefined).map(([k, v]) => {
      const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      return typeof v === 'boolean' ? (v ? flag : flag.replace('--', '--no-')) : `${flag} ${Array.isArray(v) ? v.join('..') : v}`;
    });
    const m = await engine.models.importPath(resolve(path), {
      id: o.id, name: o.name, licence: o.licence, resolution: o.resolution, io, classIndex: o.class,
      command: ['ganvas models import', basename(path), ...told].join(' '),
    });
    console.log(`installed ${m.id} (${m.kind}, ${m.resolution} px, ${m.hash.slice(0, 12)})`);
    const card = (await engine.registry.get(m.id)).card;
    if (card.inpainter?.io) for (const line of describeIo(card.inpainter.io, card.inpainter)) console.log(`  ${line}`);
  });

program
  .command('inpaint <input>')
  .description('fill the white parts of a mask in an image (or every image of a folder, with --mask-dir)')
  .option('--mask <file>', 'mask image of the same size: white = fill')
  .option('--mask-dir <dir>', 'folder of masks named like the images (folder mode)')
  .requiredOption('-o, --out <path>', 'output file (format from its extension), or folder in folder mode')
  .option('--model <id>', 'inpainter to use (default: the first installed)')
  .option('--margin <ratio>', 'context around each hole, as a share of its size', Number, 0.5)
  .option('--feather <px>', `blend band outside the hole, 0–${MAX_FEATHER} px`, Number, defaultInpaintParams.feather)
  .action(async (input: string, o: { mask?: string; maskDir?: string; out: string; model?: string; margin: number; feather: number }) => {
    const engine = cliEngine(program.opts().home);
    const model = await engine.models.inpainter(o.model);
    const run = inpaintModel(model);
    if (!(o.feather >= 0 && o.feather <= MAX_FEATHER)) throw new EngineError('bad_request', `--feather must be 0–${MAX_FEATHER} px`);
    const params = { margin: o.margin, feather: o.feather };
    const progress = (name: string) => (done: number, total: number) => { if (total > 1) console.error(`${name}: region ${done}/${total}`); };
    if (!statSync(input, { throwIfNoEntry: false })) throw new EngineError('not_found', `${input} does not exist`);
    if (statSync(input).isDirectory()) {
      if (!o.maskDir) throw new EngineError('bad_request', 'folder mode needs --mask-dir');
      mkdirSync(o.out, { recursive: true });
      let failed = 0;
      for (const p of pairFolder(input, o.maskDir)) {
        if (!p.mask) { console.error(`skipped ${p.name}: no mask named like it in ${o.maskDir}`); continue; }
        try {
          const r = await inpaintFile(p.image, p.mask, join(o.out, p.name), run, params, progress(p.name));
          console.log(`wrote ${join(o.out, p.name)} (${r.width}×${r.height})`);
        } catch (err) {
          failed++;
          console.error(`failed ${p.name}: ${(err as Error).message}`);
        }
      }
      if (failed) process.exitCode = 2;
      return;
    }
    if (!o.mask) throw new EngineError('bad_request', 'give --mask (or --mask-dir for a folder of images)');
    checkFile(input);
    checkFile(o.mask);
    const r = await inpaintFile(input, o.mask, o.out, run, params, progress(basename(input)));
    console.log(`wrote ${o.out} (${r.width}×${r.height}) with ${model.card.id}`);
  });

/** "1-8", "1,2,5" or "1-3,9" → [1, 2, 3, 9]. */
const seedList = (v: string) => {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError(`"${part}" is not a seed or a range like 1-8`);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (b < a || b - a > 1000) throw new InvalidArgumentError(`bad range ${part}`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
};
const rowRange = (v: string) => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected rows like 0-3');
  return { start: Number(m[1]), end: Number(m[2] ?? m[1]) };
};

program
  .command('sample')
  .description('render samples of a generator for seeds')
  .option('--model <id>', 'generator (default: the first installed)')
  .requiredOption('--seeds <list>', 'seeds, e.g. 1-8 or 3,7,11', seedList)
  .option('--psi <ψ>', 'truncation ψ (1 = none)', Number, 0.7)
  .option('--size <px>', 'output size (nearest-neighbour upscale)', int)
  .requiredOption('-o, --out <dir>', 'output folder')
  .action(async (o: { model?: string; seeds: number[]; psi: number; size?: number; out: string }) => {
    const engine = cliEngine(program.opts().home);
    mkdirSync(o.out, { recursive: true });
    for (let i = 0; i < o.seeds.length; i += 32) {
      const part = o.seeds.slice(i, i + 32);
      const { images } = await engine.call('latent.sample', { modelId: o.model, seeds: part, psi: o.psi, display: o.size });
      images.forEach((png, k) => writeFileSync(join(o.out, `seed${String(part[k]).padStart(4, '0')}.png`), png));
    }
    console.log(`wrote ${o.seeds.length} sample(s) to ${o.out}`);
  });

program
  .command('interpolate')
  .description('an animated GIF through the latents of seeds (lerp/slerp in z or w)')
  .option('--model <id>', 'generator (default: the first installed)')
  .requiredOption('--seeds <list>', 'keyframe seeds, e.g. 1,2,3', seedList)
  .option('--frames <n>', 'number of frames', int, 48)
  .option('--space <z|w>', 'interpolate in z or in w', 'w')
  .option('--method <lerp|slerp>', 'interpolation', 'lerp')
  .option('--psi <ψ>', 'truncation ψ', Number, 0.7)
  .option('--size <px>', 'frame size', int, 128)
  .option('--frames-dir <dir>', 'also write every frame as PNG here')
  .requiredOption('-o, --out <file>', 'output GIF')
  .action(async (o: { model?: string; seeds: number[]; frames: number; space: string; method: string; psi: number; size: number; framesDir?: string; out: string }) => {
    if (!['z', 'w'].includes(o.space) || !['lerp', 'slerp'].includes(o.method)) throw new EngineError('bad_request', '--space is z or w, --method lerp or slerp');
    const engine = cliEngine(program.opts().home);
    const r = await engine.call('latent.interpolate', { modelId: o.model, keys: o.seeds.map((seed) => ({ seed })), frames: o.frames, space: o.space as 'z', method: o.method as 'lerp', psi: o.psi, display: o.size, delayMs: 60 });
    writeFileSync(o.out, r.gif);
    if (o.framesDir) {
      mkdirSync(o.framesDir, { recursive: true });
      r.frames.forEach((png, i) => writeFileSync(join(o.framesDir!, `frame${String(i).padStart(4, '0')}.png`), png));
    }
    console.log(`wrote ${o.out} (${o.frames} frames, ${o.size}×${o.size})`);
  });

program
  .command('mix')
  .description("StyleGAN's style-mixing grid: rows take the given layers from the row seeds")
  .option('--model <id>', 'generator (default: the first installed)')
  .requiredOption('--rows <list>', 'row seeds', seedList)
  .requiredOption('--cols <list>', 'column seeds', seedList)
  .option('--layers <range>', 'ws rows taken from the row seeds, e.g. 0-3 (coarse)', rowRange, { start: 0, end: 3 })
  .option('--psi <ψ>', 'truncation ψ', Number, 0.7)
  .option('--cell <px>', 'cell size', int, 96)
  .requiredOption('-o, --out <file>', 'output PNG')
  .action(async (o: { model?: string; rows: number[]; cols: number[]; layers: { start: number; end: number }; psi: number; cell: number; out: string }) => {
    const engine = cliEngine(program.opts().home);
    const { png } = await engine.call('latent.mixGrid', { modelId: o.model, rows: o.rows, cols: o.cols, start: o.layers.start, end: o.layers.end, psi: o.psi, cell: o.cell });
    writeFileSync(o.out, png);
    console.log(`wrote ${o.out} (${o.rows.length}×${o.cols.length} mixes, rows ${o.layers.start}–${o.layers.end})`);
  });

program
  .command('train')
  .description('fine-tune a generator on a folder of your images (CPU or GPU); the result is a new model package')
  .requiredOption('--model <id>', 'the generator to start from')
  .requiredOption('--data <dir>', 'folder of images (non-images are skipped and listed)')
  .option('--kimg <n>', 'thousands of images to show the discriminator', Number, 1)
  .option('--batch <n>', 'batch size', int, fineTuneRecipe().batch)
  .option('--seed <n>', 'random seed', int, 0)
  .option('--out <id>', 'id of the new model (default: <model>-ft)')
  .option('--backend <name>', 'tensorflow | wasm | cpu (default: the fastest that loads)')
  .action(async (o: { model: string; data: string; kimg: number; batch: number; seed: number; out?: string; backend?: 'tensorflow' | 'wasm' | 'cpu' }) => {
    const engine = cliEngine(program.opts().home);
    let last = '';
    // The same service as the editor's train.start, with what only a trusted caller may choose: the id (so a
    // rerun of the same command resumes the run) and the backend.
    const outId = o.out ?? `${o.model}-ft`;
    const run = await engine.training.start({
      modelId: o.model, dataDir: resolve(o.data), kimg: o.kimg, batch: o.batch, seed: o.seed, outId, backend: o.backend,
      resume: existsSync(join(engine.home, 'runs', outId)) ? outId : undefined,
    }, (p) => {
      const line = p.phase === 'training'
        ? `step ${p.step}  ${p.kimg.toFixed(3)}/${p.totalKimg} kimg  ${p.imgPerSec.toFixed(1)} img/s  G ${p.lossG?.toFixed(3)}  D ${p.lossD?.toFixed(3)}  ETA ${Math.round(p.etaSeconds ?? 0)} s  [${p.engine ?? p.backend}]`
        : `${p.phase}: ${p.message ?? ''}`;
      if (line !== last) console.error(line);
      last = line;
    });
    process.on('SIGINT', () => void engine.call('job.cancel', { id: run.jobId }));
    const r = await run.result;
    for (const s of r.skipped) console.error(`skipped ${s.file}: ${s.reason}`);
    console.log(`${r.resumedFrom ? `resumed at step ${r.resumedFrom}; ` : ''}trained ${r.steps} steps in ${r.seconds.toFixed(0)} s; installed model ${r.modelId}`);
  });

/** A file-system error as a sentence (a folder given for a file is not "EISDIR"). */
function fsMessage(err: NodeJS.ErrnoException): string | null {
  const path = err.path ?? 'the path given';
  switch (err.code) {
    case 'EISDIR': return `${path} is a folder; a file is expected here`;
    case 'ENOTDIR': return `${path}: a part of this path is a file, not a folder`;
    case 'ENOENT': return `${path} does not exist`;
    case 'EACCES': case 'EPERM': return `${path} cannot be read or written (permission denied)`;
    case 'ELOOP': return `${path}: too many symbolic links`;
    case 'ENOSPC': return 'the disk is full';
    default: return null;
  }
}

program.parseAsync().catch((err: unknown) => {
  const fs = err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall ? fsMessage(err as NodeJS.ErrnoException) : null;
  console.error(`ganvas: ${fs ?? (err instanceof EngineError || err instanceof Error ? err.message : String(err))}`);
  process.exit(err instanceof EngineError || fs ? 2 : 1);
});
