// Lists, as configs.json entries, every distinct config.json with a top-level `model_type` in the history
// of the given GitHub mirrors (each file pinned to the commit that added or changed it; a file whose exact
// text was already listed is skipped). This is how scripts/corpus/configs.json was assembled; it reads
// only the local git mirrors (`fetch` snapshots), never the network.
//
//   node scripts/corpus/harvest-configs.mjs <git mirrors folder> <owner/name>... > entries.json
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";

const [mirrors, ...repos] = process.argv.slice(2);
const git = (dir, args) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] });
const seen = new Set();
const entries = [];
for (const repo of repos) {
  const dir = `${mirrors}/${repo.replace("/", "+")}/repo`;
  let log;
  try {
    log = git(dir, ["log", "--format=C %H", "--name-only", "--diff-filter=AM", "--", "*config.json"]);
  } catch {
    continue; // no such mirror, or an empty one
  }
  let commit = "";
  for (const line of log.split("\n")) {
    if (line.startsWith("C ")) commit = line.slice(2);
    else if (line === "config.json" || line.endsWith("/config.json")) {
      let text;
      try {
        text = git(dir, ["show", `${commit}:${line}`]);
      } catch {
        continue; // blob missing from the snapshot
      }
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        continue;
      }
      if (typeof json?.model_type !== "string") continue;
      const hash = createHash("sha256").update(text).digest("hex");
      if (seen.has(hash)) continue;
      seen.add(hash);
      entries.push({ repo, commit, path: line });
    }
  }
}
console.log(JSON.stringify(entries));
