import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A run prints nothing unexpected: stray process warnings and ioredis' unhandled error events
    // fail the test behind them (test/support/quiet-run.ts).
    setupFiles: ['test/support/quiet-run.ts'],
    // Generous: tests that spawn processes (CLI, multi-process herds) slow down a lot on a busy
    // 2-core machine; a hung test still fails, just later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start servers and child processes; two cores, so keep it modest.
    maxWorkers: 2,
  },
});
