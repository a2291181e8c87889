import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../api/errors.js';
import { Engine, VERSION } from '../engine.js';
import { serve } from '../serve/server.js';
import { ProjectStore } from '../store/project-store.js';
import { userModelsDir } from '../runtime/registry.js';
import { fineTune } from '../train/fine-tune.js';
import { inpaintFile, pairFolder } from '../edit/inpaint-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const rendererDir = join(root, 'dist', 'renderer');

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

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
  .action(async (o: { port: number; project?: string }) => {
    const server = await serve({
      port: o.port, project: o.project, home: program.opts().home, rendererDir,
      log: (l) => console.error(`[ganvas] ${l}`),
    });
    const state = server.engine.handlers['project.state']({}) as Awaited<ReturnType<Engine['handlers']['project.state']>>;
    console.log(`Project ${state.path}`);
    console.log(`Ganvas at ${server.url}`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

const project = program.command('project').description('create and inspect project files');
project
  .command('new <file>')
  .option('--name <name>', 'project name (default: the file name)')
  .option('--width <px>', 'document width', int, 1280)
  .option('--height <px>', 'document height', int, 800)
  .action((file: string, o: { name?: string; width: number; height: number }) => {
    const engine = cliEngine(program.opts().home);
    const s = engine.createProject(o.name ?? basename(file, extname(file)), o.width, o.height, file);
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

program
  .command('import <project> <images...>')
  .description('add images to a project as layers, one edit each')
  .action(async (file: string, images: string[]) => {
    const engine = cliEngine(program.opts().home);
    engine.openProject(file);
    for (const img of images) {
      const s = await engine.importImage(basename(img), readFileSync(img));
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
    engine.openProject(file);
    const r = await engine.handlers['project.export']({});
    writeFileSync(o.out, r.png);
    engine.close();
    console.log(`wrote ${o.out} (${r.width}×${r.height})`);
  });

const models = program.command('models').description('list and import model packages');
models
  .command('list')
  .description('the installed models: shipped, imported and fine-tuned, with their licences')
  .action(() => {
    const engine = cliEngine(program.opts().home);
    const { models: list, problems } = engine.models.list();
    if (list.length === 0) console.log('no models installed');
    for (const m of list) {
      console.log(`${m.id.padEnd(20)} ${m.kind.padEnd(10)} ${String(m.resolution).padStart(4)} px  ${m.source.padEnd(8)} ${m.hash.slice(0, 12)}  ${m.name}`);
      console.log(`${''.padEnd(20)} licence: ${m.licence}; data: ${m.data}`);
    }
    for (const p of problems) console.error(`skipped: ${p}`);
  });
models
  .command('import <path>')
  .description('install a model package folder, or an ONNX inpainter (image, mask → image) or generator (z → image)')
  .option('--id <id>', 'id to install under (default: from the file name)')
  .option('--name <name>', 'display name')
  .option('--licence <licence>', 'the licence of the weights, shown with the model')
  .option('--resolution <px>', 'the size the model works at, when the file does not fix it', int)
  .action(async (path: string, o: { id?: string; name?: string; licence?: string; resolution?: number }) => {
    const engine = cliEngine(program.opts().home);
    const m = await engine.models.import(resolve(path), o);
    console.log(`installed ${m.id} (${m.kind}, ${m.resolution} px, ${m.hash.slice(0, 12)})`);
  });

program
  .command('inpaint <input>')
  .description('fill the white parts of a mask in an image (or every image of a folder, with --mask-dir)')
  .option('--mask <file>', 'mask image of the same size: white = fill')
  .option('--mask-dir <dir>', 'folder of masks named like the images (folder mode)')
  .requiredOption('-o, --out <path>', 'output file (format from its extension), or folder in folder mode')
  .option('--model <id>', 'inpainter to use (default: the first installed)')
  .option('--margin <ratio>', 'context around each hole, as a share of its size', Number, 0.5)
  .option('--feather <px>', 'blend width inside the hole edge', Number, 6)
  .action(async (input: string, o: { mask?: string; maskDir?: string; out: string; model?: string; margin: number; feather: number }) => {
    const engine = cliEngine(program.opts().home);
    const id = o.model ?? engine.models.list().models.find((m) => m.kind === 'inpainter')?.id;
    if (!id) throw new EngineError('not_found', 'no inpainter is installed');
    const model = await engine.models.get(id);
    if (model.card.kind !== 'inpainter') throw new EngineError('bad_request', `${id} is not an inpainter`);
    const run = { session: model.sessions.inpainter!, size: model.card.resolution };
    const params = { margin: o.margin, feather: o.feather };
    const progress = (name: string) => (done: number, total: number) => { if (total > 1) console.error(`${name}: region ${done}/${total}`); };
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
    const r = await inpaintFile(input, o.mask, o.out, run, params, progress(basename(input)));
    console.log(`wrote ${o.out} (${r.width}×${r.height}) with ${model.card.id}`);
  });

program
  .command('train')
  .description('fine-tune a generator on a folder of your images (CPU or GPU); the result is a new model package')
  .requiredOption('--model <id>', 'the generator to start from')
  .requiredOption('--data <dir>', 'folder of images (non-images are skipped and listed)')
  .option('--kimg <n>', 'thousands of images to show the discriminator', Number, 1)
  .option('--batch <n>', 'batch size', int, 8)
  .option('--seed <n>', 'random seed', int, 0)
  .option('--out <id>', 'id of the new model (default: <model>-ft)')
  .option('--backend <name>', 'tensorflow | wasm | cpu (default: the fastest that loads)')
  .action(async (o: { model: string; data: string; kimg: number; batch: number; seed: number; out?: string; backend?: 'tensorflow' | 'wasm' | 'cpu' }) => {
    const engine = cliEngine(program.opts().home);
    const base = await engine.models.get(o.model);
    const outId = o.out ?? `${base.card.id}-ft`;
    const runDir = join(engine.home, 'runs', outId);
    const ctl = new AbortController();
    process.on('SIGINT', () => ctl.abort());
    let last = '';
    const r = await fineTune({
      modelDir: base.dir, outDir: join(userModelsDir(engine.home), outId), outId, outName: `${base.card.name}, fine-tuned on ${basename(resolve(o.data))}`,
      dataDir: resolve(o.data), runDir, kimg: o.kimg, batch: o.batch, seed: o.seed, checkpointEvery: 100, backend: o.backend,
    }, (p) => {
      const line = p.phase === 'training'
        ? `step ${p.step}  ${p.kimg.toFixed(3)}/${p.totalKimg} kimg  ${p.imgPerSec.toFixed(1)} img/s  G ${p.lossG?.toFixed(3)}  D ${p.lossD?.toFixed(3)}  ETA ${Math.round(p.etaSeconds ?? 0)} s  [${p.backend}]`
        : `${p.phase}: ${p.message ?? ''}`;
      if (line !== last) console.error(line);
      last = line;
    }, ctl.signal);
    for (const s of r.skipped) console.error(`skipped ${s.file}: ${s.reason}`);
    console.log(`${r.resumedFrom ? `resumed at step ${r.resumedFrom}; ` : ''}trained ${r.steps} steps in ${r.seconds.toFixed(0)} s; installed model ${r.modelId}`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`ganvas: ${err instanceof EngineError || err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof EngineError ? 2 : 1);
});
