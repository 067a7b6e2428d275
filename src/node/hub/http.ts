// Every HTTP request normlint makes to the Hub goes through here: bounded concurrency, retries with
// backoff, the byte budget, the token policy and the counts in the summary line.
//
// - Redirects are followed by hand (`redirect: "manual"`), one hop at a time, so the Authorization
//   header goes to the Hub host only and is dropped on the hop to the CDN (huggingface_hub's
//   file_download.py follows only relative redirects with its own headers and lets `requests` drop
//   Authorization on a cross-host redirect; the signed CDN URL needs no token). A ranged read starts
//   again from /resolve on every attempt: the CDN URL is signed for the one range and expires.
// - 429 and 5xx, a dropped connection and a body shorter than announced are retried with exponential
//   backoff (huggingface_hub utils/_http.py http_backoff: base 1 s, at most 8 s between tries), and
//   a Retry-After (seconds or an HTTP date) is honoured up to a cap. A truncated body is never used.
// - The budget counts every byte received, retries included, and refuses a request that would pass
//   it before it is sent: the run stops with a HubError, never with a partial result.
// - Other 4xx answers become HubErrors that name the repository and what to do, read from the status
//   and the X-Error-Code header the Hub sets (GatedRepo, RepoNotFound, RevisionNotFound,
//   EntryNotFound: huggingface_hub utils/_http.py hf_raise_for_status).
import { formatBytes } from "../../engine/io";
import { HubError } from "./target";

export interface HubStats {
  /** HTTP requests sent (each redirect hop and each retry is one). */
  requests: number;
  /** Bytes of response bodies received. */
  bytes: number;
  /** Reads answered from the on-disk cache. */
  cachedReads: number;
  /** Requests sent again after a failure. */
  retries: number;
}

export interface HttpSettings {
  endpoint: string;
  repo: string;
  token?: string;
  /** Where the token came from, for messages ("HF_TOKEN", a file path). */
  tokenFrom: string;
  maxBytes: number;
  concurrency: number;
  retries: number;
  retryBaseMs: number;
  retryMaxWaitMs: number;
  fetch: typeof fetch;
  signal?: AbortSignal;
  /** No request at all: every read must come from the cache (HF_HUB_OFFLINE, or the server is down). */
  offline?: string;
}

export interface RequestSpec {
  /** What is being read, for messages: "revision main", "config.json". */
  what: string;
  /** Inclusive byte range: sent as `Range: bytes=a-b` on every hop. */
  range?: [number, number];
  /** Bytes this request may bring (reserved against the budget before it is sent). */
  expect?: number;
  /** X-Repo-Commit the Hub must answer with (reads pinned to a commit). */
  commit?: string;
  /** Tries after the first, instead of the session's (fewer when the cache can answer instead). */
  retries?: number;
}

/** A failure worth another try (a dropped connection, a truncated body, 429, 5xx). */
class Retryable extends Error {
  constructor(
    message: string,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

const MAX_HOPS = 5;

/** Retry-After as milliseconds: delay-seconds or an HTTP date (RFC 9110 10.2.3); undefined if neither. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export class HubHttp {
  readonly stats: HubStats = { requests: 0, bytes: 0, cachedReads: 0, retries: 0 };
  private readonly hubHost: string;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Bytes promised to requests in flight, so parallel reads cannot overshoot the budget together. */
  private reserved = 0;

  constructor(readonly settings: HttpSettings) {
    this.hubHost = new URL(settings.endpoint).host;
  }

  get offline(): string | undefined {
    return this.settings.offline;
  }

  /** Bytes the budget still allows (in-flight reservations counted). */
  remaining(): number {
    return this.settings.maxBytes - this.stats.bytes - this.reserved;
  }

  goOffline(reason: string): void {
    this.settings.offline = reason;
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.settings.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private budgetError(what: string, more: number): HubError {
    return new HubError(
      "budget",
      `${this.settings.repo}: reading ${what} would pass the byte budget (${formatBytes(this.settings.maxBytes)}, --max-bytes): ${formatBytes(this.stats.bytes)} fetched so far, ${formatBytes(more)} more needed`,
    );
  }

  /**
   * Sends one logical request (redirects followed, retried as needed) and hands the final 2xx
   * response to `handle`, which reads the body; `handle` may throw `this.truncated(...)` to retry.
   */
  async request<T>(url: string, spec: RequestSpec, handle: (res: Response) => Promise<T>): Promise<T> {
    if (this.settings.offline) throw new HubError("offline", `${this.settings.repo}: ${spec.what} is not in the cache, and the Hub is not reachable (${this.settings.offline})`);
    const expect = spec.expect ?? 0;
    if (this.stats.bytes + this.reserved + expect > this.settings.maxBytes) throw this.budgetError(spec.what, expect);
    this.reserved += expect;
    try {
      return await this.slot(() => this.attempts(url, spec, handle));
    } finally {
      this.reserved -= expect;
    }
  }

  private async attempts<T>(url: string, spec: RequestSpec, handle: (res: Response) => Promise<T>): Promise<T> {
    const { retryBaseMs, retryMaxWaitMs, signal } = this.settings;
    const retries = spec.retries ?? this.settings.retries;
    let last = "";
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      try {
        return await this.once(url, spec, handle);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (e instanceof HubError) throw e;
        const wait = e instanceof Retryable ? e.waitMs : undefined;
        last = e instanceof Retryable ? e.message : `connection failed: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`;
        if (attempt >= retries) break;
        const backoff = Math.min(retryBaseMs * 2 ** attempt, Math.max(retryBaseMs, 8 * retryBaseMs));
        await sleep(Math.min(wait ?? backoff, retryMaxWaitMs), signal);
      }
    }
    throw new HubError("network", `${this.settings.repo}: ${spec.what} could not be read after ${retries + 1} attempts: ${last}`);
  }

  private async once<T>(url: string, spec: RequestSpec, handle: (res: Response) => Promise<T>): Promise<T> {
    let at = new URL(url);
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { "accept-encoding": "identity" };
      if (spec.range) headers.range = `bytes=${spec.range[0]}-${spec.range[1]}`;
      // The token goes to the Hub's own host and nowhere else (never to the CDN a /resolve redirects to).
      if (this.settings.token && at.host === this.hubHost) headers.authorization = `Bearer ${this.settings.token}`;
      this.stats.requests++;
      const res = await this.settings.fetch(at.href, { headers, redirect: "manual", signal: this.settings.signal });
      if (spec.commit && at.host === this.hubHost) {
        const served = res.headers.get("x-repo-commit");
        if (served && served !== spec.commit) {
          await res.body?.cancel().catch(() => undefined);
          throw new HubError("protocol", `${this.settings.repo}: the Hub answered ${spec.what} from commit ${served}, not the resolved ${spec.commit}`);
        }
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel().catch(() => undefined);
        const location = res.headers.get("location");
        if (!location || hop >= MAX_HOPS) throw new HubError("protocol", `${this.settings.repo}: ${spec.what}: ${location ? "too many redirects" : `a ${res.status} without a Location`}`);
        at = new URL(location, at);
        if (at.protocol !== "https:" && at.protocol !== "http:") throw new HubError("protocol", `${this.settings.repo}: ${spec.what}: a redirect to ${at.protocol} URL`);
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel().catch(() => undefined);
        throw new Retryable(`HTTP ${res.status} from ${at.host}`, retryAfterMs(res.headers.get("retry-after")));
      }
      if (res.status >= 400) {
        const text = await this.readBody(res, undefined, 64 * 1024, spec.what).catch(() => new Uint8Array());
        throw this.statusError(res, spec.what, new TextDecoder().decode(text));
      }
      return await handle(res);
    }
  }

  private statusError(res: Response, what: string, body: string): HubError {
    const { repo, endpoint, token, tokenFrom } = this.settings;
    const code = res.headers.get("x-error-code") ?? "";
    const detail = (() => {
      try {
        const j = JSON.parse(body) as { error?: unknown };
        return typeof j.error === "string" ? ` (${j.error.slice(0, 200)})` : "";
      } catch {
        return "";
      }
    })();
    const page = `${endpoint}/${repo}`;
    if (code === "RepoNotFound") {
      return new HubError(
        "not-found",
        token ? `${repo} was not found on ${endpoint}, or the token from ${tokenFrom} cannot see it (HTTP ${res.status})` : `${repo} was not found on ${endpoint}, or it is private or gated: set HF_TOKEN (or run \`huggingface-cli login\`) if you have access (HTTP ${res.status})`,
        res.status,
      );
    }
    if (res.status === 401 || res.status === 403) {
      if (code === "GatedRepo" || (res.status === 403 && token)) {
        return new HubError(
          "gated",
          token
            ? `${repo} is gated or private and the token from ${tokenFrom} has no access (HTTP ${res.status})${detail}: accept the repository's conditions at ${page} with that account, or set HF_TOKEN to a token that has access`
            : `${repo} is gated (HTTP ${res.status}): accept its conditions at ${page}, then set HF_TOKEN (or run \`huggingface-cli login\`) with a token of that account`,
          res.status,
        );
      }
      return new HubError(
        "unauthorized",
        token
          ? `${repo}: the token from ${tokenFrom} was refused (HTTP ${res.status})${detail}; check that it is valid and can read ${page}`
          : `${repo} was not found on ${endpoint}, or it is private (HTTP ${res.status}): for a private repository set HF_TOKEN (or run \`huggingface-cli login\`)`,
        res.status,
      );
    }
    if (res.status === 404) {
      if (code === "RevisionNotFound") return new HubError("not-found", `${repo}: ${what} was not found (no such branch, tag or commit)`, 404);
      if (code === "EntryNotFound") return new HubError("not-found", `${repo}: ${what} was not found in the repository`, 404);
      return new HubError("not-found", `${repo} was not found on ${endpoint} (HTTP 404, reading ${what})${detail}`, 404);
    }
    if (res.status === 416) return new HubError("protocol", `${repo}: ${what}: the server refused the byte range (HTTP 416): the file is shorter than its listing says`, 416);
    return new HubError("protocol", `${repo}: ${what}: unexpected HTTP ${res.status}${detail}`, res.status);
  }

  /**
   * A response body, counted against the budget as it arrives. `expected`: the exact length it must
   * have (a shorter body is a truncation, retried); `max`: refuse more than this.
   */
  async readBody(res: Response, expected: number | undefined, max: number, what: string): Promise<Uint8Array> {
    const announced = res.headers.get("content-length");
    if (announced !== null && expected !== undefined && Number(announced) !== expected) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError("protocol", `${this.settings.repo}: ${what}: the server announced ${announced} bytes where ${expected} were asked for`);
    }
    if (announced !== null && Number(announced) > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new HubError("protocol", `${this.settings.repo}: ${what}: ${formatBytes(Number(announced))} is over the ${formatBytes(max)} cap`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body?.getReader();
    if (reader) {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.length;
          this.stats.bytes += value.length;
          if (total > max || (expected !== undefined && total > expected)) {
            await reader.cancel().catch(() => undefined);
            throw new HubError("protocol", `${this.settings.repo}: ${what}: the server sent more than the ${formatBytes(expected ?? max)} asked for`);
          }
          if (this.stats.bytes > this.settings.maxBytes) {
            await reader.cancel().catch(() => undefined);
            throw this.budgetError(what, 0);
          }
          chunks.push(value);
        }
      } catch (e) {
        if (e instanceof HubError) throw e;
        throw new Retryable(`the connection dropped while reading ${what} (${total} bytes in)`);
      }
    }
    if (expected !== undefined && total !== expected) throw new Retryable(`${what}: a truncated body (${total} of ${expected} bytes)`);
    if (announced !== null && total !== Number(announced)) throw new Retryable(`${what}: a truncated body (${total} of ${announced} bytes)`);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
