import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One test file at a time: the integration suites run real brokers, devices and Chromium on simulated time,
    // and two of them side by side on a 2-core machine make timeouts that measure the machine, not the code.
    maxWorkers: 1,
  },
});
