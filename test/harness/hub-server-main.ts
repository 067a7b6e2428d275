// `node dist/hub-server.js [--port N]`: the Hub stand-in (hub-server.ts) with the demo repositories
// (hub-repos.ts demoRepos), for the e2e run and for trying the CLI by hand. Prints one JSON line,
// {"url", "cdnUrl", "token", "repos": [{"id", "commit", "gated"}]}, then serves until killed:
//   HF_ENDPOINT=<url> normlint hf://normlint-demo/gemma2-offset-bug
import { demoRepos } from "./hub-repos";
import { startHubServer } from "./hub-server";

const TOKEN = "hf_demo_token";

async function main(): Promise<void> {
  const at = process.argv.indexOf("--port");
  const port = at >= 0 ? Number(process.argv[at + 1]) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port takes a port number, not ${process.argv[at + 1]}`);
  const repos = demoRepos();
  const server = await startHubServer({ repos, tokens: [TOKEN], port });
  const line = { url: server.url, cdnUrl: server.cdnUrl, token: TOKEN, repos: repos.map((r) => ({ id: r.id, commit: server.commitOf(r.id), gated: !!r.gated })) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  process.stderr.write(`hub-server: ${(e as Error).message}\n`);
  process.exit(1);
});
