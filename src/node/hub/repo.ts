// A Hub repository as a FileAccess: the model-folder reader (src/node/folder.ts) lists and reads
// it exactly as it does a local folder, and the checkpoint readers get ByteSources whose reads are
// ranged GETs. The revision is resolved to a commit first; every later request is pinned to it.
//
// Revision and listing go through @huggingface/hub (modelInfo, listFiles: the Hub's own client,
// Link-header pagination included), handed our fetch so that counting, retries, the budget and the
// token policy apply to them too. File bytes do not: its download path (downloadFile) follows
// redirects inside fetch, so it cannot re-resolve a signed CDN URL per range, keep the token off
// the CDN host, insist on 206 and Content-Range, or stop a 200 carrying a 20 GB body; so ranges and
// small files are read here, through src/node/hub/http.ts.
//
// Locations: a folder is `hf://<owner>/<name>@<commit>[/<subfolder>]`, a file the same plus
// `/<path>`; `display` turns them into Hub pages at the commit, the names findings carry.
import { listFiles, modelInfo } from "@huggingface/hub";
import type { ClosableSource, DirEntry, FileAccess, ReadResult } from "../access";
import { defaultCacheDir, HubCache } from "./cache";
import { HubHttp, type HubStats } from "./http";
import { defaultEndpoint, encodePath, HubError, type HubTarget } from "./target";
import { findToken } from "./token";

export interface HubOptions {
  /** Default: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Default: HF_TOKEN, else the token file (src/node/hub/token.ts); null: send none. */
  token?: string | null;
  /** Total bytes the session may fetch (default: unlimited). */
  maxBytes?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Default: $NORMLINT_CACHE, else ~/.cache/normlint/hub; null: no cache. */
  cacheDir?: string | null;
  /** Tries after the first on 429, 5xx, dropped connections and truncated bodies (default 5). */
  retries?: number;
  /** First backoff wait; doubled on each retry, at most 8 times this (default 1000 ms). */
  retryBaseMs?: number;
  /** Cap on any one wait, Retry-After included (default 30 s). */
  retryMaxWaitMs?: number;
  /** Read nothing from the network, only the cache (default: $HF_HUB_OFFLINE is 1/true). */
  offline?: boolean;
  /** Bytes read from the start of a checkpoint on its first read (default 64 KiB): a header in one GET. */
  readAhead?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export type { HubStats } from "./http";

export interface HubRepo {
  target: HubTarget;
  commit: string;
  endpoint: string;
  /** The folder's location for readModelFolderInput. */
  dir: string;
  access: FileAccess;
  /** A location as a Hub page at the commit (blob/ for files, tree/ for folders). */
  display(location: string): string;
  stats(): HubStats;
  /** Set when nothing was sent to the network: the revision came from the cache, and why. */
  offline?: string;
  /**
   * The first failure of a read through `access` or a checkpoint source (budget, network, gated,
   * protocol), if any. The engine turns a failing read into a finding on the file; a caller that
   * sees a failure here must discard the findings and report this error instead.
   */
  failure(): HubError | undefined;
}

const COMMIT = /^[0-9a-f]{40}$/;
/** API answers (model info, one listing page) larger than this are refused. */
const API_MAX = 16 * 1024 * 1024;

interface Entry {
  type: "file" | "directory";
  size: number;
  path: string;
}

function envOffline(): boolean {
  const v = (process.env.HF_HUB_OFFLINE ?? "").toLowerCase();
  return v === "1" || v === "true" || v === "yes" || v === "on";
}

export async function openHubRepo(target: HubTarget, opts: HubOptions = {}): Promise<HubRepo> {
  const endpoint = (opts.endpoint ?? defaultEndpoint()).replace(/\/+$/, "");
  const found = opts.token === null ? { from: "none" } : opts.token !== undefined ? { token: opts.token, from: "the token given" } : findToken();
  const cacheDir = opts.cacheDir === null ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const cache = cacheDir ? new HubCache(cacheDir, endpoint, target.repo) : undefined;
  const http = new HubHttp({
    endpoint,
    repo: target.repo,
    token: found.token,
    tokenFrom: found.from,
    maxBytes: opts.maxBytes ?? Infinity,
    concurrency: Math.max(1, opts.concurrency ?? 8),
    retries: Math.max(0, opts.retries ?? 5),
    retryBaseMs: opts.retryBaseMs ?? 1000,
    retryMaxWaitMs: opts.retryMaxWaitMs ?? 30_000,
    fetch: opts.fetch ?? fetch,
    signal: opts.signal,
    offline: (opts.offline ?? envOffline()) ? "HF_HUB_OFFLINE is set" : undefined,
  });
  const { stats } = http;
  // The library parses the Hub's answers: one that is not what the API documents (not JSON, not an
  // array of entries) is a protocol error naming the repository, not a crash.
  const guarded = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof HubError || opts.signal?.aborted) throw e;
      throw new HubError("protocol", `${target.repo}: ${what}: the Hub's answer could not be read (${(e as Error).message})`);
    }
  };

  // A fetch for @huggingface/hub: the same client, the body read (and counted) here; any answer
  // but a 2xx has already become a HubError, so the library sees only successes.
  const apiFetch =
    (what: string, retries?: number): typeof fetch =>
    async (input) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      return http.request(url, { what, retries }, async (res) => {
        const body = await http.readBody(res, undefined, API_MAX, what);
        return new Response(body as Uint8Array<ArrayBuffer>, { status: res.status, headers: res.headers });
      });
    };

  // Revision -> commit. Online always asks (a branch moves); the cached ref is the fallback when
  // the Hub cannot be reached, and then every read must come from the cache.
  const refKey = ["refs", target.revision];
  let commit: string | undefined;
  const fallBack = (reason: string) => {
    const ref = COMMIT.test(target.revision) ? { commit: target.revision } : cache?.getJson<{ commit: string }>(refKey);
    if (!ref || !COMMIT.test(ref.commit)) return false;
    commit = ref.commit;
    http.goOffline(reason);
    return true;
  };
  try {
    if (http.offline) {
      if (!fallBack(http.offline)) {
        throw new HubError("offline", `${target.repo}: revision ${target.revision} is not in the cache${cacheDir ? ` (${cacheDir})` : ""}, and ${http.offline}`);
      }
    } else {
      try {
        // With the answer in the cache, one retry is enough before falling back to it: a user
        // without network should not wait through the whole backoff.
        const cached = COMMIT.test(target.revision) || cache?.getJson<{ commit: string }>(refKey) !== undefined;
        const what = `revision ${target.revision}`;
        const info = await guarded(what, () => modelInfo({ name: target.repo, revision: target.revision, hubUrl: endpoint, additionalFields: ["sha"], fetch: apiFetch(what, cached ? Math.min(1, http.settings.retries) : undefined) }));
        const sha = (info as { sha?: unknown }).sha;
        if (typeof sha !== "string" || !COMMIT.test(sha)) throw new HubError("protocol", `${target.repo}: the model info for revision ${target.revision} has no commit id (sha)`);
        commit = sha;
        cache?.putJson(refKey, { commit });
      } catch (e) {
        if (!(e instanceof HubError && e.kind === "network" && fallBack(`the Hub was not reachable: ${e.message}`))) throw e;
      }
    }
  } catch (e) {
    // What the failed resolution cost still goes into the summary line.
    if (e instanceof HubError) e.stats = { ...stats };
    throw e;
  }
  const pinned = commit!;
  const root = `hf://${target.repo}@${pinned}`;
  const dir = target.subfolder ? `${root}/${target.subfolder}` : root;
  let failure: HubError | undefined;
  const fail = (e: unknown): never => {
    if (e instanceof HubError) failure ??= e;
    throw e;
  };

  const pathOf = (location: string): string => {
    if (location !== root && !location.startsWith(`${root}/`)) throw new HubError("usage", `${location} is not in ${root}`);
    return location.slice(root.length + 1);
  };

  // Listings by folder path, fetched once (and cached by commit).
  const listings = new Map<string, Promise<Entry[]>>();
  const listDir = (path: string): Promise<Entry[]> => {
    let p = listings.get(path);
    if (!p) {
      p = (async () => {
        const key = ["tree", pinned, path];
        const cached = cache?.getJson<Entry[]>(key);
        if (cached) {
          stats.cachedReads++;
          return cached;
        }
        const out: Entry[] = [];
        const what = `the file list of ${path || "the repository root"}`;
        await guarded(what, async () => {
          for await (const e of listFiles({ repo: { type: "model", name: target.repo }, revision: pinned, path: path ? encodePath(path) : undefined, hubUrl: endpoint, fetch: apiFetch(what) })) {
            if (e.type !== "file" && e.type !== "directory") continue;
            const size = e.lfs?.size ?? e.size;
            const name = typeof e.path === "string" && (path ? e.path.startsWith(`${path}/`) : true) ? e.path.slice(path ? path.length + 1 : 0) : "";
            const inside = name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\\");
            if (!inside || !Number.isSafeInteger(size) || size < 0) throw new HubError("protocol", `${target.repo}: ${what} has an entry without a path in the folder or a size: ${JSON.stringify(e).slice(0, 200)}`);
            out.push({ type: e.type, size, path: e.path });
          }
        });
        cache?.putJson(key, out);
        return out;
      })();
      p.catch(() => listings.delete(path));
      listings.set(path, p);
    }
    return p;
  };
  const entryOf = async (path: string): Promise<Entry | undefined> => {
    const slash = path.lastIndexOf("/");
    return (await listDir(slash < 0 ? "" : path.slice(0, slash))).find((e) => e.path === path);
  };
  const resolveUrl = (path: string) => `${endpoint}/${target.repo}/resolve/${pinned}/${encodePath(path)}`;

  /** Bytes [offset, offset + length) of a file, one ranged GET (or the cache). */
  const fetchRange = async (path: string, size: number, offset: number, length: number): Promise<Uint8Array> => {
    const key = ["range", pinned, path, `${offset}-${length}`];
    const hit = cache?.get(key, length);
    if (hit) {
      stats.cachedReads++;
      return hit;
    }
    const what = `bytes ${offset}-${offset + length - 1} of ${path}`;
    const bytes = await http.request(resolveUrl(path), { what, range: [offset, offset + length - 1], expect: length, commit: pinned }, async (res) => {
      if (res.status === 200 && offset === 0 && length === size) return http.readBody(res, length, length, what);
      if (res.status !== 206) {
        await res.body?.cancel().catch(() => undefined);
        throw new HubError("protocol", `${target.repo}: ${what}: the server answered ${res.status}, not 206 Partial Content (a ranged read must not fetch the whole file)`);
      }
      const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
      if (!cr || Number(cr[1]) !== offset || Number(cr[2]) !== offset + length - 1 || (cr[3] !== "*" && Number(cr[3]) !== size)) {
        await res.body?.cancel().catch(() => undefined);
        throw new HubError("protocol", `${target.repo}: ${what}: Content-Range \`${res.headers.get("content-range")}\` does not match the range asked for (file size ${size})`);
      }
      return http.readBody(res, length, length, what);
    });
    cache?.put(key, bytes);
    return bytes;
  };

  const readAhead = Math.max(8, opts.readAhead ?? 64 * 1024);
  const openSource = (path: string, size: number): ClosableSource => {
    // The first read of a checkpoint brings its first `readAhead` bytes: the safetensors reader's
    // 8-byte length and its JSON header (or a GGUF header's first chunk) in one GET; reads past
    // it are one GET each, exactly the bytes asked for.
    let head: Promise<Uint8Array> | undefined;
    return {
      size,
      async read(offset, length) {
        const start = Math.min(Math.max(0, offset), size);
        const end = Math.min(size, start + Math.max(0, length));
        if (end <= start) return new Uint8Array();
        try {
          // Near the end of the budget the read-ahead shrinks to what was asked for, so a tight
          // --max-bytes fails only where the bytes it needs do not fit.
          const ahead = Math.min(size, readAhead, Math.max(end, http.remaining()));
          if (start < ahead && (head || end <= ahead)) {
            head ??= fetchRange(path, size, 0, ahead);
            const h = await head;
            if (end <= h.length) return h.subarray(start, end);
          }
          return await fetchRange(path, size, start, end - start);
        } catch (e) {
          return fail(e);
        }
      },
      close: async () => undefined,
    };
  };

  const access: FileAccess = {
    async list(location) {
      try {
        const path = location === root ? "" : pathOf(location);
        const entries = await listDir(path);
        return entries.map((e): DirEntry => ({ name: e.path.slice(path ? path.length + 1 : 0), type: e.type }));
      } catch (e) {
        return fail(e);
      }
    },
    async read(location, cap): Promise<ReadResult> {
      try {
        const path = pathOf(location);
        const entry = await entryOf(path);
        if (!entry) return { size: 0, error: "not found in the repository" };
        if (entry.type !== "file") return { size: 0, error: "not a regular file" };
        if (entry.size > cap) return { size: entry.size };
        const key = ["file", pinned, path];
        const hit = cache?.get(key, entry.size);
        if (hit) {
          stats.cachedReads++;
          return { bytes: hit, size: hit.length };
        }
        const bytes = await http.request(resolveUrl(path), { what: path, expect: entry.size, commit: pinned }, async (res) => {
          if (res.status !== 200) {
            await res.body?.cancel().catch(() => undefined);
            throw new HubError("protocol", `${target.repo}: ${path}: the server answered ${res.status} to a whole-file read`);
          }
          return http.readBody(res, entry.size, entry.size, path);
        });
        cache?.put(key, bytes);
        return { bytes, size: bytes.length };
      } catch (e) {
        return fail(e);
      }
    },
    async open(location) {
      try {
        const path = pathOf(location);
        const entry = await entryOf(path);
        if (!entry) throw new Error("not found in the repository");
        if (entry.type !== "file") throw new Error("not a regular file");
        return openSource(path, entry.size);
      } catch (e) {
        return fail(e);
      }
    },
    join: (d, name) => `${d}/${name}`,
  };

  return {
    target,
    commit: pinned,
    endpoint,
    dir,
    access,
    display(location) {
      if (location === root) return `${endpoint}/${target.repo}/tree/${pinned}`;
      let path: string;
      try {
        path = pathOf(location);
      } catch {
        return location;
      }
      const kind = location === dir && target.subfolder ? "tree" : "blob";
      return `${endpoint}/${target.repo}/${kind}/${pinned}/${encodePath(path)}`;
    },
    stats: () => ({ ...stats }),
    offline: http.offline,
    failure: () => failure,
  };
}
