// A Hugging Face Hub stand-in on 127.0.0.1 for the tests, the bench and the e2e run: the API and
// file routes normlint uses, written to the Hub's documented behaviour, serving repositories built
// in memory (no binaries, no network).
//
// - GET /api/models/<repo>/revision/<rev>: model info with `sha` (a branch, a tag or a full commit
//   id resolves; huggingface_hub hf_api.py model_info, @huggingface/hub model-info.ts).
// - GET /api/models/<repo>/tree/<rev>[/<path>]: one folder's entries (`type`, `oid`, `size`, `path`,
//   `lfs: { oid, size, pointerSize }` for LFS files), paginated with a `Link: <...>; rel="next"`
//   header (hf_api.py list_repo_tree, @huggingface/hub list-files.ts).
// - GET and HEAD /<repo>/resolve/<rev>/<path>: `X-Repo-Commit` and `ETag` on every answer; a regular
//   file is served here (Range gives 206 with Content-Range, a range past the end 416); an LFS file
//   (*.safetensors, *.gguf, like the Hub's default .gitattributes) is a 302 to a SECOND server (the
//   CDN) with `X-Linked-Size` / `X-Linked-Etag` (file_download.py get_hf_file_metadata). The CDN URL
//   is signed for the one range asked for: the CDN answers 403 to any other Range.
// - Gated and private repositories: no token -> 401 (X-Error-Code GatedRepo / RepoNotFound), an
//   unknown token -> 401, a known token not granted -> 403 GatedRepo (gated) or 401 RepoNotFound
//   (private: the Hub does not confirm that it exists). Unknown repo -> 401 RepoNotFound without a
//   token, 404 with one; unknown revision -> 404 RevisionNotFound; unknown file -> 404 EntryNotFound.
// - Faults by option: a dropped connection, a truncated body (full Content-Length, half the body),
//   500, 429 with Retry-After.
// Every request is recorded with its headers, so tests can see where the token went.
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSafetensors, type CheckpointDesc, encodeSafetensorsHeader } from "./checkpoint-builder";

/** File contents: bytes, or a virtual file whose bytes are made on demand (a 20 GB shard). */
export type VirtualFile = Uint8Array | SparseFile;
export interface SparseFile {
  size: number;
  read(offset: number, length: number): Uint8Array;
  /** The bytes that are not zeros, by offset (to write the same file sparse on disk). */
  regions?: Array<{ offset: number; bytes: Uint8Array }>;
}

export interface HubRepoSpec {
  /** owner/name */
  id: string;
  /** The files on `main`. */
  files: Record<string, VirtualFile>;
  /** Other branches with files of their own (each gets its own commit). */
  branches?: Record<string, Record<string, VirtualFile>>;
  /** Tags: name -> branch ("main" or one of `branches`). */
  tags?: Record<string, string>;
  gated?: boolean;
  private?: boolean;
  /** Tokens granted access (gated or private). */
  grants?: string[];
}

/** ignore-range: a 200 with the whole file, as a server that does not do ranges answers. */
export type Fault = "drop" | "truncate" | "500" | "429" | "ignore-range";
export interface FaultInfo {
  /** 1-based count of requests so far on both servers. */
  n: number;
  host: "hub" | "cdn";
  kind: "api" | "resolve" | "cdn";
  path: string;
  /** The Range header, if any. */
  range?: string;
}

export interface HubServerOptions {
  repos: HubRepoSpec[];
  /** Tokens the server knows (any other is invalid: 401). */
  tokens?: string[];
  /** Entries per tree page (default 50). */
  pageSize?: number;
  fault?: (info: FaultInfo) => Fault | undefined;
  /** Retry-After sent with a 429 (default "1"). */
  retryAfter?: string;
  /** LFS (redirected to the CDN) files; default *.safetensors, *.gguf, *.bin, *.pt, *.pth. */
  lfs?: (path: string) => boolean;
  /** The port to listen on (default: any free one). */
  port?: number;
  /** Each answer waits this long first (both hosts): a network round trip, for the bench. */
  latencyMs?: number;
}

export interface RecordedRequest {
  host: "hub" | "cdn";
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export interface HubServer {
  /** The Hub's base URL (HF_ENDPOINT). */
  url: string;
  cdnUrl: string;
  requests: RecordedRequest[];
  /** The commit a revision of a repository resolves to. */
  commitOf(repo: string, revision?: string): string;
  /** Replaces or adds a repository (tests that change a branch). */
  setRepo(spec: HubRepoSpec): void;
  close(): Promise<void>;
}

const defaultLfs = (p: string) => /\.(safetensors|gguf|bin|pt|pth)$/.test(p);

function sizeOf(f: VirtualFile): number {
  return f instanceof Uint8Array ? f.length : f.size;
}
function slice(f: VirtualFile, start: number, end: number): Uint8Array {
  return f instanceof Uint8Array ? f.subarray(start, end) : f.read(start, end - start);
}

interface Commit {
  sha: string;
  files: Record<string, VirtualFile>;
  /** Per file: git blob oid and LFS sha256 (derived from the name and size: never hashed over 20 GB). */
  oids: Map<string, { oid: string; lfs: string }>;
}

interface Repo {
  spec: HubRepoSpec;
  refs: Map<string, Commit>;
  commits: Map<string, Commit>;
}

const hex = (algo: string, s: string) => createHash(algo).update(s).digest("hex");

function makeRepo(spec: HubRepoSpec): Repo {
  const refs = new Map<string, Commit>();
  const commits = new Map<string, Commit>();
  const branches = { main: spec.files, ...spec.branches };
  for (const [name, files] of Object.entries(branches)) {
    const listing = Object.entries(files)
      .map(([p, f]) => `${p}:${sizeOf(f)}:${f instanceof Uint8Array ? hex("sha1", Buffer.from(f).toString("latin1")) : "sparse"}`)
      .sort()
      .join("\n");
    const sha = hex("sha1", `${spec.id}\n${listing}`);
    const oids = new Map(Object.entries(files).map(([p, f]) => [p, { oid: hex("sha1", `blob ${p} ${sha}`), lfs: hex("sha256", `${p}:${sizeOf(f)}:${sha}`) }]));
    const c: Commit = { sha, files, oids };
    refs.set(name, c);
    commits.set(sha, c);
  }
  for (const [tag, branch] of Object.entries(spec.tags ?? {})) refs.set(tag, refs.get(branch)!);
  return { spec, refs, commits };
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const repos = new Map(opts.repos.map((s) => [s.id, makeRepo(s)]));
  const tokens = new Set(opts.tokens ?? []);
  const secret = "hub-server-signing-key";
  const requests: RecordedRequest[] = [];
  const lfs = opts.lfs ?? defaultLfs;
  const pageSize = opts.pageSize ?? 50;
  let n = 0;
  let hubUrl = "";
  let cdnUrl = "";
  const blobs = new Map<string, VirtualFile>();

  const record = (host: "hub" | "cdn", req: IncomingMessage, res: ServerResponse) => {
    const r: RecordedRequest = { host, method: req.method ?? "GET", url: req.url ?? "", headers: { ...req.headers }, status: 0 };
    requests.push(r);
    res.on("finish", () => (r.status = res.statusCode));
    res.on("close", () => (r.status ||= res.statusCode));
  };

  /** The fault for a request, asked once per request. */
  const pick = (info: Omit<FaultInfo, "n">, req?: IncomingMessage): Fault | undefined => opts.fault?.({ ...info, n, range: req?.headers.range });

  /** Applies a fault; true when the request was consumed by it. */
  const applyFault = (f: Fault | undefined, req: IncomingMessage, res: ServerResponse, body?: () => { status: number; headers: Record<string, string>; bytes: Uint8Array }): boolean => {
    if (!f || f === "ignore-range") return false;
    if (f === "drop") {
      req.socket.destroy();
      return true;
    }
    if (f === "500") {
      res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      return true;
    }
    if (f === "429") {
      res.writeHead(429, { "retry-after": opts.retryAfter ?? "1", "content-type": "text/plain" }).end("rate limited");
      return true;
    }
    // truncate: the headers promise the whole body, half of it arrives, the connection closes.
    if (!body) return false;
    const b = body();
    res.writeHead(b.status, { ...b.headers, "content-length": String(b.bytes.length) });
    res.write(b.bytes.subarray(0, Math.floor(b.bytes.length / 2)), () => req.socket.destroy());
    return true;
  };

  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { "content-type": "application/json", "content-length": String(body.length), ...headers }).end(body);
  };
  const error = (res: ServerResponse, status: number, code: string | undefined, message: string) =>
    json(res, status, { error: message }, code ? { "x-error-code": code, "x-error-message": message } : {});

  /** Auth for a repository; false when an error answer was sent. */
  const authorize = (repo: Repo | undefined, req: IncomingMessage, res: ServerResponse): repo is Repo => {
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
    if (token !== undefined && !tokens.has(token)) {
      error(res, 401, undefined, "Invalid credentials in Authorization header");
      return false;
    }
    if (!repo) {
      error(res, token ? 404 : 401, "RepoNotFound", "Repository not found");
      return false;
    }
    const granted = token !== undefined && (repo.spec.grants ?? []).includes(token);
    if (repo.spec.private && !granted) {
      error(res, 401, "RepoNotFound", "Repository not found");
      return false;
    }
    if (repo.spec.gated && !granted) {
      if (token) error(res, 403, "GatedRepo", `Access to model ${repo.spec.id} is restricted and you are not in the authorized list.`);
      else error(res, 401, "GatedRepo", `Access to model ${repo.spec.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return false;
    }
    return true;
  };

  const commitOf = (repo: Repo, rev: string): Commit | undefined => repo.refs.get(rev) ?? repo.commits.get(rev);

  /** Parses `bytes=a-b` / `bytes=a-` / `bytes=-n`; null when absent, "bad" when malformed or multi-range. */
  const parseRange = (h: string | undefined, size: number): [number, number] | null | "bad" | "unsatisfiable" => {
    if (!h) return null;
    const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
    if (!m || (m[1] === "" && m[2] === "")) return "bad";
    let start: number;
    let end: number;
    if (m[1] === "") {
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || start > end) return "unsatisfiable";
    return [start, end];
  };

  /** Serves a file with Range support (206/416) or whole (200). */
  const serveBytes = (host: "hub" | "cdn", req: IncomingMessage, res: ServerResponse, file: VirtualFile, headers: Record<string, string>, path: string) => {
    const size = sizeOf(file);
    const range = parseRange(req.headers.range, size);
    if (range === "bad") return error(res, 400, undefined, "only single byte ranges are supported");
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-range": `bytes */${size}` }).end();
      return;
    }
    const fault = req.method === "HEAD" ? undefined : pick({ host, kind: host === "cdn" ? "cdn" : "resolve", path }, req);
    const ignore = range && fault === "ignore-range";
    const [start, end] = range && !ignore ? range : [0, size - 1];
    const status = range && !ignore ? 206 : 200;
    const h: Record<string, string> = { ...headers, "accept-ranges": "bytes", "content-type": "application/octet-stream" };
    if (status === 206) h["content-range"] = `bytes ${start}-${end}/${size}`;
    if (req.method === "HEAD") {
      res.writeHead(status, { ...h, "content-length": String(end - start + 1) }).end();
      return;
    }
    if (applyFault(fault, req, res, () => ({ status, headers: h, bytes: slice(file, start, end + 1) }))) return;
    const bytes = slice(file, start, end + 1);
    res.writeHead(status, { ...h, "content-length": String(bytes.length) }).end(bytes);
  };

  const sign = (blob: string, range: string, exp: string) => createHmac("sha256", secret).update(`${blob}|${range}|${exp}`).digest("hex").slice(0, 32);

  const later = (fn: (req: IncomingMessage, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) =>
    opts.latencyMs ? void setTimeout(() => fn(req, res), opts.latencyMs) : fn(req, res);

  const hub = createServer(later((req, res) => {
    n++;
    record("hub", req, res);
    const url = new URL(req.url ?? "/", hubUrl);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    try {
      if (parts[0] === "api" && parts[1] === "models") {
        const repo = repos.get(`${parts[2]}/${parts[3]}`);
        if (applyFault(pick({ host: "hub", kind: "api", path: url.pathname + url.search }, req), req, res)) return;
        if (!authorize(repo, req, res)) return;
        if (parts[4] === "revision") {
          const rev = parts.slice(5).join("/") || "main";
          const c = commitOf(repo, rev);
          if (!c) return error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
          const info = {
            _id: hex("md5", repo.spec.id).slice(0, 24),
            id: repo.spec.id,
            modelId: repo.spec.id,
            sha: c.sha,
            private: !!repo.spec.private,
            gated: repo.spec.gated ? "auto" : false,
            disabled: false,
            downloads: 0,
            likes: 0,
            lastModified: "2026-01-01T00:00:00.000Z",
            pipeline_tag: "text-generation",
            siblings: Object.keys(c.files).sort().map((rfilename) => ({ rfilename })),
          };
          return json(res, 200, info, { "x-repo-commit": c.sha });
        }
        if (parts[4] === "tree") {
          const c = commitOf(repo, parts[5] ?? "");
          if (!c) return error(res, 404, "RevisionNotFound", `Invalid rev id: ${parts[5]}`);
          const dir = parts.slice(6).join("/");
          const prefix = dir ? `${dir}/` : "";
          const recursive = url.searchParams.get("recursive") === "true" || url.searchParams.get("recursive") === "1";
          const names = Object.keys(c.files).filter((p) => p.startsWith(prefix));
          if (dir && names.length === 0) return error(res, 404, "EntryNotFound", `${dir} does not exist on "${parts[5]}"`);
          const entries = new Map<string, unknown>();
          for (const p of names.sort()) {
            const rest = p.slice(prefix.length);
            const slash = rest.indexOf("/");
            if (slash >= 0 && !recursive) {
              const d = prefix + rest.slice(0, slash);
              if (!entries.has(d)) entries.set(d, { type: "directory", oid: hex("sha1", `tree ${d} ${c.sha}`), size: 0, path: d });
              continue;
            }
            const f = c.files[p];
            const { oid, lfs: lfsOid } = c.oids.get(p)!;
            const size = sizeOf(f);
            entries.set(p, lfs(p) ? { type: "file", oid, size, path: p, lfs: { oid: lfsOid, size, pointerSize: 134 } } : { type: "file", oid, size, path: p });
          }
          const all = [...entries.values()];
          const cursor = Number(url.searchParams.get("cursor") ?? "0") || 0;
          const page = all.slice(cursor, cursor + pageSize);
          const headers: Record<string, string> = { "x-repo-commit": c.sha };
          if (cursor + pageSize < all.length) {
            const next = new URL(url.href);
            next.searchParams.set("cursor", String(cursor + pageSize));
            headers.link = `<${next.href}>; rel="next"`;
          }
          return json(res, 200, page, headers);
        }
        return error(res, 404, undefined, "not found");
      }
      const r = parts.indexOf("resolve");
      if (r === 2 && parts.length >= 5) {
        const repo = repos.get(`${parts[0]}/${parts[1]}`);
        if (!authorize(repo, req, res)) return;
        const c = commitOf(repo, parts[3]);
        if (!c) return error(res, 404, "RevisionNotFound", `Invalid rev id: ${parts[3]}`);
        const path = parts.slice(4).join("/");
        const file = c.files[path];
        if (!file) return error(res, 404, "EntryNotFound", `${path} does not exist on "${parts[3]}"`);
        const { oid, lfs: lfsOid } = c.oids.get(path)!;
        const base = { "x-repo-commit": c.sha };
        if (!lfs(path)) return serveBytes("hub", req, res, file, { ...base, etag: `"${oid}"` }, path);
        if (applyFault(pick({ host: "hub", kind: "resolve", path }, req), req, res)) return;
        // The CDN URL is signed for the one range asked for (the whole file when none was).
        const range = req.headers.range?.trim() ?? "all";
        const exp = String(Math.floor(Date.now() / 1000) + 3600);
        blobs.set(lfsOid, file);
        const location = `${cdnUrl}/cas/${lfsOid}?range=${encodeURIComponent(range)}&expires=${exp}&signature=${sign(lfsOid, range, exp)}`;
        res
          .writeHead(302, { ...base, location, etag: `"${lfsOid}"`, "x-linked-etag": `"${lfsOid}"`, "x-linked-size": String(sizeOf(file)), "content-length": "0" })
          .end();
        return;
      }
      error(res, 404, undefined, "not found");
    } catch (e) {
      error(res, 500, undefined, (e as Error).message);
    }
  }));

  const cdn = createServer(later((req, res) => {
    n++;
    record("cdn", req, res);
    const url = new URL(req.url ?? "/", cdnUrl);
    const m = /^\/cas\/([0-9a-f]{64})$/.exec(url.pathname);
    const blob = m ? blobs.get(m[1]) : undefined;
    if (!m || !blob) return error(res, 404, undefined, "no such object");
    const range = url.searchParams.get("range") ?? "";
    const exp = url.searchParams.get("expires") ?? "";
    if (url.searchParams.get("signature") !== sign(m[1], range, exp)) return error(res, 403, undefined, "signature mismatch");
    if ((req.headers.range?.trim() ?? "all") !== range) return error(res, 403, undefined, "the signed URL does not cover this range");
    serveBytes("cdn", req, res, blob, { etag: `"${m[1]}"` }, m[1]);
  }));

  const hubPort = await listen(hub, opts.port);
  const cdnPort = await listen(cdn);
  hubUrl = `http://127.0.0.1:${hubPort}`;
  cdnUrl = `http://127.0.0.1:${cdnPort}`;
  return {
    url: hubUrl,
    cdnUrl,
    requests,
    commitOf(id, revision = "main") {
      const c = repos.get(id)?.refs.get(revision);
      if (!c) throw new Error(`no ${id}@${revision}`);
      return c.sha;
    },
    setRepo(spec) {
      repos.set(spec.id, makeRepo(spec));
    },
    close: async () => {
      for (const s of [hub, cdn]) s.closeAllConnections();
      await Promise.all([hub, cdn].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/**
 * A safetensors file whose first tensor (`bigName`, zeros, generated on demand) takes `bigBytes`,
 * followed by the tensors of `desc` with their real bytes: a 20 GB shard whose norms sit at its end,
 * in a few KB of memory.
 */
export function sparseSafetensors(desc: CheckpointDesc, bigName: string, bigShape: number[], bigDtype = "BF16"): SparseFile {
  const built = buildSafetensors(desc);
  const small = built.bytes.subarray(8 + built.headerLength);
  const bits = bigDtype === "F32" ? 4 : bigDtype === "F64" ? 8 : bigDtype === "BF16" || bigDtype === "F16" ? 2 : 1;
  const bigBytes = bigShape.reduce((a, b) => a * b, 1) * bits;
  const header: Record<string, unknown> = {};
  if (built.header.__metadata__) header.__metadata__ = built.header.__metadata__;
  header[bigName] = { dtype: bigDtype, shape: bigShape, data_offsets: [0, bigBytes] };
  for (const [name, t] of Object.entries(built.header)) {
    if (name === "__metadata__" || name === bigName) continue;
    const { dtype, shape, data_offsets } = t as { dtype: string; shape: number[]; data_offsets: [number, number] };
    header[name] = { dtype, shape, data_offsets: [data_offsets[0] + bigBytes, data_offsets[1] + bigBytes] };
  }
  const head = encodeSafetensorsHeader(header, { align: 8 });
  const smallAt = head.length + bigBytes;
  const size = smallAt + small.length;
  return {
    size,
    regions: [
      { offset: 0, bytes: head },
      { offset: smallAt, bytes: small },
    ],
    read(offset, length) {
      const end = Math.min(size, offset + length);
      const out = new Uint8Array(Math.max(0, end - offset));
      const copy = (src: Uint8Array, at: number) => {
        const s = Math.max(offset, at);
        const e = Math.min(end, at + src.length);
        if (e > s) out.set(src.subarray(s - at, e - at), s - offset);
      };
      copy(head, 0);
      copy(small, smallAt);
      return out;
    },
  };
}
