// The on-disk cache of Hub reads. Everything below a commit is immutable (a commit id names its
// files for good), so listings, small files and fetched ranges are kept by commit and reused without
// asking the server; only revision -> commit (refs/<revision>) can go stale, and it is read only when
// the server cannot be reached. Each entry carries its own length and SHA-256 in a trailer, so a
// truncated or altered entry is ignored (and fetched again), never trusted. Writes are atomic
// (a temporary file renamed into place), so a run killed mid-write leaves no half entry.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

const MAGIC = new TextEncoder().encode("NLHC1");
const TRAILER = MAGIC.length + 8 + 32;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.NORMLINT_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "normlint", "hub");
}

/** A file-system-safe name for any string (revisions and paths may hold '/', '..', ':'). */
function safe(s: string): string {
  return encodeURIComponent(s).replace(/\./g, "%2E").replace(/%/g, "_");
}

export class HubCache {
  private readonly root: string;

  constructor(dir: string, endpoint: string, repo: string) {
    let host: string;
    try {
      host = new URL(endpoint).host;
    } catch {
      host = endpoint;
    }
    this.root = join(dir, safe(host), ...repo.split("/").map(safe));
  }

  private path(parts: string[]): string {
    return join(this.root, ...parts.map(safe));
  }

  /** The entry's bytes when present and intact, else undefined. */
  get(parts: string[], expectedLength?: number): Uint8Array | undefined {
    let raw: Buffer;
    try {
      raw = readFileSync(this.path(parts));
    } catch {
      return undefined;
    }
    if (raw.length < TRAILER) return undefined;
    const body = raw.subarray(0, raw.length - TRAILER);
    const trailer = raw.subarray(raw.length - TRAILER);
    if (!MAGIC.every((b, i) => trailer[i] === b)) return undefined;
    const length = Number(trailer.readBigUInt64LE(MAGIC.length));
    if (length !== body.length || (expectedLength !== undefined && length !== expectedLength)) return undefined;
    const sum = createHash("sha256").update(body).digest();
    if (!sum.equals(trailer.subarray(MAGIC.length + 8))) return undefined;
    return new Uint8Array(body.buffer, body.byteOffset, body.length);
  }

  getJson<T>(parts: string[]): T | undefined {
    const b = this.get(parts);
    if (!b) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(b)) as T;
    } catch {
      return undefined;
    }
  }

  /** Stores an entry; a cache that cannot be written is not an error (the run goes on uncached). */
  put(parts: string[], bytes: Uint8Array): void {
    const target = this.path(parts);
    const tmp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      mkdirSync(dirname(target), { recursive: true });
      const trailer = Buffer.alloc(TRAILER);
      trailer.set(MAGIC, 0);
      trailer.writeBigUInt64LE(BigInt(bytes.length), MAGIC.length);
      trailer.set(createHash("sha256").update(bytes).digest(), MAGIC.length + 8);
      writeFileSync(tmp, Buffer.concat([bytes, trailer]));
      renameSync(tmp, target);
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {}
    }
  }

  putJson(parts: string[], value: unknown): void {
    this.put(parts, new TextEncoder().encode(JSON.stringify(value)));
  }
}
