import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    // scripts/test-dawn.mjs runs the Dawn test files on their own, into a report of their own.
    reporters: ["default", ["json", { outputFile: process.env.NORMLINT_VITEST_JSON ?? "test-results/vitest.json" }]],
    testTimeout: 60_000,
    // Hooks build dist/ or lint whole corpora; on a loaded 2-core machine they outlast the 10 s default.
    hookTimeout: 120_000,
    pool: "forks",
  },
});
