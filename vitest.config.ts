import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the run's own TMPDIR, checked empty at the end, with no stray process or /tmp name left
    globalSetup: ['test/tmpdir-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e suites start real daemons; two cores are shared between them
    maxWorkers: 2,
  },
});
