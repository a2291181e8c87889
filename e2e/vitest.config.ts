import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // The engine answers on a shared machine: give every expect.poll 10 s unless it says otherwise.
    expect: { poll: { timeout: 10_000 } },
  },
});
