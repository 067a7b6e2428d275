import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    testTimeout: 60_000,
    // Hooks build dist/ or lint whole corpora; on a loaded 2-core machine they outlast the 10 s default.
    hookTimeout: 120_000,
    pool: "forks",
  },
});
