// Runs the TypeScript worker under tsx when the engine itself runs from source (dev, tests, the CLI):
// execArgv loader flags do not reach worker threads on every Node 20 release, tsx's API does.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker.ts', import.meta.url).href);
