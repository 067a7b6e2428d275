// `npm run fuzz`: the fuzz suite (test/fuzz) with 20 times CI's case counts and a fresh seed, printed
// first so a failure can be replayed. NORMLINT_FUZZ_RUNS and NORMLINT_FUZZ_SEED set in the
// environment win (NORMLINT_FUZZ_SEED=<seed> replays a run); extra arguments go to vitest.
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";

const runs = process.env.NORMLINT_FUZZ_RUNS ?? "20000";
const seed = process.env.NORMLINT_FUZZ_SEED ?? String(randomInt(2 ** 31 - 1));
console.log(`normlint fuzz: NORMLINT_FUZZ_SEED=${seed} NORMLINT_FUZZ_RUNS=${runs}`);

// No per-test timeout: a long run is long on purpose; the suite's own hang detector and watchdog
// still fail a single case that runs away.
const result = spawnSync("npx", ["vitest", "run", "test/fuzz", "--testTimeout=0", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, NORMLINT_FUZZ_RUNS: runs, NORMLINT_FUZZ_SEED: seed },
});
if (result.status !== 0) console.log(`normlint fuzz failed; replay with NORMLINT_FUZZ_SEED=${seed} NORMLINT_FUZZ_RUNS=${runs} npm run fuzz`);
process.exit(result.status ?? 1);
