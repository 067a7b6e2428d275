// The Hub client's parts on their own: bounded concurrency, Retry-After, the token lookup order,
// --max-bytes sizes, the cache's integrity check, and the protocol checks a server can fail.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseByteSize } from "../src/cli/hub";
import { HubCache } from "../src/node/hub/cache";
import { HubHttp } from "../src/node/hub/http";
import { findToken, HubError, openHubRepo, parseHubTarget, retryAfterMs, tokenFilePath } from "../src/node/hub/index";

const tmp = mkdtempSync(join(tmpdir(), "normlint-hubc-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function http(fetchFn: typeof fetch, over: Partial<ConstructorParameters<typeof HubHttp>[0]> = {}) {
  return new HubHttp({ endpoint: "http://hub.test", repo: "a/b", tokenFrom: "none", maxBytes: Infinity, concurrency: 4, retries: 2, retryBaseMs: 1, retryMaxWaitMs: 20, fetch: fetchFn, ...over });
}
const ok = (body = "x", init: ResponseInit = {}) => new Response(body, { status: 200, ...init });

describe("HubHttp", () => {
  it("keeps at most `concurrency` requests in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const client = http(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return ok();
    });
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.request(`http://hub.test/${i}`, { what: `r${i}` }, (res) => client.readBody(res, undefined, 10, "r"))));
    expect(peak).toBe(4);
    expect(client.stats.requests).toBe(30);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs("3")).toBe(3000);
    const now = Date.parse("Sun, 06 Dec 2026 00:00:00 GMT");
    expect(retryAfterMs("Sun, 06 Dec 2026 00:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Sat, 05 Dec 2026 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it("caps a long Retry-After at retryMaxWaitMs", async () => {
    let n = 0;
    const client = http(async () => (n++ === 0 ? new Response("", { status: 429, headers: { "retry-after": "3600" } }) : ok()));
    const t0 = performance.now();
    await client.request("http://hub.test/x", { what: "x" }, (res) => client.readBody(res, undefined, 10, "x"));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(client.stats.retries).toBe(1);
  });

  it("drops Authorization on a cross-host redirect and keeps it on a same-host one", async () => {
    const seen: Array<[string, string | undefined]> = [];
    const client = http(
      async (url, init) => {
        const u = String(url);
        seen.push([u, (init?.headers as Record<string, string>).authorization]);
        if (u.endsWith("/start")) return new Response("", { status: 307, headers: { location: "/moved" } });
        if (u.endsWith("/moved")) return new Response("", { status: 302, headers: { location: "http://cdn.test/blob?sig=1" } });
        return ok("data");
      },
      { token: "hf_secret" },
    );
    await client.request("http://hub.test/start", { what: "x", range: [0, 3] }, (res) => client.readBody(res, 4, 4, "x"));
    expect(seen).toEqual([
      ["http://hub.test/start", "Bearer hf_secret"],
      ["http://hub.test/moved", "Bearer hf_secret"],
      ["http://cdn.test/blob?sig=1", undefined],
    ]);
  });

  it("refuses a redirect loop, an answer from another commit and a budget overrun before sending", async () => {
    const loop = http(async () => new Response("", { status: 302, headers: { location: "/again" } }));
    await expect(loop.request("http://hub.test/x", { what: "x" }, async () => 0)).rejects.toThrow(/too many redirects/);
    const other = http(async () => ok("x", { headers: { "x-repo-commit": "b".repeat(40) } }));
    await expect(other.request("http://hub.test/x", { what: "x", commit: "a".repeat(40) }, async () => 0)).rejects.toThrow(/from commit b{40}, not the resolved a{40}/);
    let sent = 0;
    const budget = http(async () => (sent++, ok()), { maxBytes: 100 });
    await expect(budget.request("http://hub.test/x", { what: "a range", expect: 101 }, async () => 0)).rejects.toMatchObject({ kind: "budget" });
    expect(sent).toBe(0);
  });

  it("416 is a clear protocol error, not retried", async () => {
    let n = 0;
    const client = http(async () => (n++, new Response("", { status: 416, headers: { "content-range": "bytes */10" } })));
    const e = await client.request("http://hub.test/x", { what: "bytes 20-29 of f", range: [20, 29] }, async () => 0).catch((x) => x);
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toMatch(/HTTP 416.*shorter than its listing says/);
    expect(n).toBe(1);
  });
});

describe("openHubRepo against a server that misbehaves", () => {
  it("a model info without a commit id is a protocol error", async () => {
    const f: typeof fetch = async () => new Response(JSON.stringify({ id: "a/b" }), { status: 200, headers: { "content-type": "application/json" } });
    await expect(openHubRepo(parseHubTarget("hf://a/b")!, { endpoint: "http://hub.test", fetch: f, cacheDir: null, token: null })).rejects.toMatchObject({ kind: "protocol" });
  });
});

describe("token lookup (huggingface_hub's order)", () => {
  it("HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then $HF_TOKEN_PATH, $HF_HOME/token, XDG", () => {
    const file = join(tmp, "tok");
    writeFileSync(file, "hf_from_file\n");
    expect(findToken({ HF_TOKEN: "hf_env", HF_TOKEN_PATH: file })).toEqual({ token: "hf_env", from: "HF_TOKEN" });
    expect(findToken({ HUGGING_FACE_HUB_TOKEN: "hf_old" })).toEqual({ token: "hf_old", from: "HUGGING_FACE_HUB_TOKEN" });
    expect(findToken({ HF_TOKEN_PATH: file })).toEqual({ token: "hf_from_file", from: file });
    expect(tokenFilePath({ HF_HOME: "/h" })).toBe("/h/token");
    expect(tokenFilePath({ XDG_CACHE_HOME: "/x" })).toBe("/x/huggingface/token");
    expect(findToken({ HF_TOKEN_PATH: join(tmp, "none") })).toEqual({ from: "none" });
  });
});

describe("--max-bytes sizes", () => {
  it("takes plain, decimal and binary units", () => {
    expect(parseByteSize("1048576")).toBe(1048576);
    expect(parseByteSize("10MB")).toBe(10_000_000);
    expect(parseByteSize("1GiB")).toBe(1024 ** 3);
    expect(parseByteSize("1.5 KiB")).toBe(1536);
    expect(() => parseByteSize("0")).toThrow(/positive/);
    expect(() => parseByteSize("12 parsecs")).toThrow(/byte count/);
  });
});

describe("the cache", () => {
  it("returns an entry only when its length and SHA-256 match", () => {
    const c = new HubCache(join(tmp, "cache"), "https://huggingface.co", "a/b");
    const bytes = new TextEncoder().encode("hello header");
    c.put(["range", "c0ffee", "../../etc/passwd", "0-12"], bytes);
    expect(c.get(["range", "c0ffee", "../../etc/passwd", "0-12"])).toEqual(bytes);
    expect(c.get(["range", "c0ffee", "../../etc/passwd", "0-12"], 13)).toBeUndefined();
    const path = join(tmp, "cache", "huggingface_2Eco", "a", "b", "range", "c0ffee", "_2E_2E_2F_2E_2E_2Fetc_2Fpasswd", "0-12");
    const raw = readFileSync(path);
    raw[3] ^= 1;
    writeFileSync(path, raw);
    expect(c.get(["range", "c0ffee", "../../etc/passwd", "0-12"])).toBeUndefined();
    writeFileSync(path, raw.subarray(0, 10));
    expect(c.get(["range", "c0ffee", "../../etc/passwd", "0-12"])).toBeUndefined();
  });
});

describe("answers that are not what the Hub API documents", () => {
  const COMMIT = "c".repeat(40);
  /** A fake Hub: model info with a commit, then `tree` as the listing's body. */
  const fake =
    (tree: string, headers: Record<string, string> = {}): typeof fetch =>
    async (url) =>
      String(url).includes("/revision/")
        ? new Response(JSON.stringify({ _id: "x", id: "a/b", sha: COMMIT }), { status: 200 })
        : new Response(tree, { status: 200, headers });
  const open = (f: typeof fetch) => openHubRepo(parseHubTarget("hf://a/b")!, { endpoint: "http://hub.test", fetch: f, cacheDir: null, token: null, retries: 0 });

  for (const [name, body] of [
    ["not JSON", "<html>oops</html>"],
    ["entries without a size", '[{"type":"file","path":"config.json"}]'],
    ["a size past 2^53", '[{"type":"file","path":"model.safetensors","size":1e20}]'],
    ["a path outside the folder", '[{"type":"file","path":"../../etc/passwd","size":3}]'],
    ["a path of '..'", '[{"type":"file","path":"..","size":3}]'],
    ["null entries", "[null]"],
  ] as const) {
    it(`a listing with ${name} is a protocol error, recorded as the repository's failure`, async () => {
      const repo = await open(fake(body));
      const e = await repo.access.list(repo.dir).catch((x) => x);
      expect(e).toBeInstanceOf(HubError);
      expect(e.kind).toBe("protocol");
      expect(repo.failure()).toBe(e);
    });
  }

  it("a file whose body is longer than its listing says is refused", async () => {
    const f: typeof fetch = async (url) => {
      const u = String(url);
      if (u.includes("/revision/")) return new Response(JSON.stringify({ sha: COMMIT }), { status: 200 });
      if (u.includes("/tree/")) return new Response('[{"type":"file","path":"config.json","size":2}]', { status: 200 });
      return new Response("{}   ", { status: 200 });
    };
    const repo = await open(f);
    await expect(repo.access.read(`${repo.dir}/config.json`, 1000)).rejects.toMatchObject({ kind: "protocol" });
  });
});
