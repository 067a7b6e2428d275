// The test files that drive Dawn (the `webgpu` package's native addon) in the test process:
// run after the rest of `npm test`, on their own, so no other test file competes with SwiftShader
// for the CPU. Their process used to crash natively at random (a vitest fork "exited unexpectedly"
// with no failed assertion): a Dawn GPU object garbage-collected after its device was destroyed;
// src/gpu/node.ts now keeps them referenced. As a guard, that crash, and only that, is rerun once
// and said so loudly; a failed assertion is never rerun. Results go to
// test-results/vitest-dawn.json, which .ci/run counts with the rest.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

export const DAWN_TESTS = ["test/gpu.test.ts", "test/verify.test.ts"];
const REPORT = "test-results/vitest-dawn.json";
const bin = "node_modules/vitest/vitest.mjs";

function run() {
  rmSync(REPORT, { force: true });
  const r = spawnSync(process.execPath, [bin, "run", ...DAWN_TESTS], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NORMLINT_VITEST_JSON: REPORT }, maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const report = existsSync(REPORT) ? JSON.parse(readFileSync(REPORT, "utf8")) : undefined;
  const crashed = r.status !== 0 && /Worker exited unexpectedly/.test(r.stdout + r.stderr) && report !== undefined && report.numFailedTests === 0;
  return { status: r.status ?? 1, crashed };
}

let { status, crashed } = run();
if (crashed) {
  console.error("\n[normlint] DAWN CRASHED: the test process driving Dawn exited unexpectedly with no failed assertion (a native crash, see scripts/test-dawn.mjs); rerunning the Dawn tests once.\n");
  ({ status } = run());
}
process.exit(status);
