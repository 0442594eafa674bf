import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A guard against hangs, not a speed check: tests wait for events, and a loaded two-core
    // machine (or a second \`npm test\` beside this one) can make real CLIs take many times longer.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Tests spawn real processes (servers, CLIs, writers); two cores is the norm in CI.
    maxWorkers: 2,
  },
});
