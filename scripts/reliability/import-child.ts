// Imports each package path given, in one process (scripts/reliability.ts): one line of JSON per path, so that a
// hang is pinned to its path by the parent's deadline. Usage: node --import tsx import-child.ts HOME PATH...
import { EngineError } from '../../engine/api/errors.js';
import { ModelRegistry } from '../../engine/runtime/registry.js';

const [home, ...paths] = process.argv.slice(2);
const registry = new ModelRegistry(home!);
for (const path of paths) {
  process.stdout.write(`${JSON.stringify({ start: path })}\n`);
  try {
    const m = await registry.import(path, {});
    process.stdout.write(`${JSON.stringify({ path, ok: true, id: m.id })}\n`);
  } catch (err) {
    const e = err as Error;
    process.stdout.write(`${JSON.stringify({ path, ok: false, engine: err instanceof EngineError, code: (err as EngineError).code, message: e.message })}\n`);
  }
}
