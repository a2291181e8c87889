import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Generous: several tests spawn the CLI (a Node start plus onnxruntime) a few times; a loaded machine is slow, not wrong.
    testTimeout: 120_000,
    pool: 'forks',
  },
});
