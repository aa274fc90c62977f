import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Creates and migrates the test database once per run.
    globalSetup: ["test/global-setup.ts"],
    // Integration files share one PostgreSQL and one Redis: run the files one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report is what .ci/run sums up in its last line.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
