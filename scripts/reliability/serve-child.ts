// The browser host as its own process, for scripts/reliability.ts: a crash is an exit, a hang a missed deadline.
// Usage: node --import tsx scripts/reliability/serve-child.ts HOME RENDERER_DIR ALLOW_DIR [PROJECT]
import { serve } from '../../engine/serve/server.js';

const [home, rendererDir, allow, project] = process.argv.slice(2);
const server = await serve({ port: 0, home, rendererDir: rendererDir!, allow: allow ? [allow] : [], project, log: () => {} });
process.stdout.write(`${JSON.stringify({ port: server.port, token: server.token })}\n`);
