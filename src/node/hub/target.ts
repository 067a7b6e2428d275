// What a command-line argument names on the Hugging Face Hub: `hf://owner/repo[@revision][/subfolder]`
// or a Hub page URL (`https://huggingface.co/owner/repo[/tree/<rev>/<subfolder>]`, also on the host
// of HF_ENDPOINT, for mirrors). Anything else is not a Hub target and stays a local path.

export type HubErrorKind = "not-found" | "gated" | "unauthorized" | "budget" | "network" | "protocol" | "offline" | "usage";

/** Every Hub failure: a sentence naming the repository and what to do, and a kind callers branch on. */
export class HubError extends Error {
  /** Requests and bytes spent before the failure, when it ended a repository before it was opened. */
  stats?: { requests: number; bytes: number; cachedReads: number; retries: number };

  constructor(
    readonly kind: HubErrorKind,
    message: string,
    /** The HTTP status that caused it, when one did. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "HubError";
  }
}

export interface HubTarget {
  /** `owner/name`. */
  repo: string;
  /** A branch, tag or commit id, as given (default `main`). */
  revision: string;
  /** A folder inside the repository ("" for its root), without leading or trailing slashes. */
  subfolder: string;
  /** The argument as the user wrote it. */
  input: string;
}

export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** HF_ENDPOINT without a trailing slash, as huggingface_hub's constants.py reads it (ENDPOINT). */
export function defaultEndpoint(): string {
  return (process.env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, "");
}

// huggingface_hub utils/_validators.py (validate_repo_id, REPO_ID_REGEX): word characters, `-` and
// `.`, at most 96 per part, no `--` or `..`, not starting or ending with `-` or `.`.
const PART = /^(?![-.])[\w.-]{1,96}(?<![-.])$/;

function checkRepo(owner: string, name: string, arg: string): string {
  for (const part of [owner, name]) {
    if (!PART.test(part) || part.includes("--") || part.includes("..")) {
      throw new HubError("usage", `${arg}: \`${owner}/${name}\` is not a Hub repository id (owner/name: letters, digits, '-', '_', '.')`);
    }
  }
  return `${owner}/${name}`;
}

function cleanSubfolder(parts: string[], arg: string): string {
  const sub = parts.filter((p) => p !== "");
  for (const p of sub) {
    if (p === "." || p === ".." || p.includes("\\")) throw new HubError("usage", `${arg}: the subfolder may not contain '.', '..' or backslashes`);
  }
  return sub.join("/");
}

/**
 * Splits `rev/sub/folder` where a revision may hold slashes only as `refs/pr/<n>` or
 * `refs/convert/<name>` (the Hub's pull-request and conversion refs).
 */
function splitRevision(parts: string[]): { revision: string; rest: string[] } {
  if (parts[0] === "refs" && parts.length >= 3) return { revision: parts.slice(0, 3).join("/"), rest: parts.slice(3) };
  return { revision: parts[0], rest: parts.slice(1) };
}

/** The Hub target an argument names, undefined when it names none; throws HubError for malformed ones. */
export function parseHubTarget(arg: string, endpoint = defaultEndpoint()): HubTarget | undefined {
  if (/^hf:\/\//i.test(arg)) {
    const body = arg.slice(5).replace(/\/+$/, "");
    const slash = body.indexOf("/");
    if (slash < 0) throw new HubError("usage", `${arg}: write hf://<owner>/<name>[@revision][/subfolder]`);
    const owner = body.slice(0, slash);
    const rest = body.slice(slash + 1);
    const at = rest.indexOf("@");
    const firstSlash = rest.indexOf("/");
    let name: string;
    let revision = "main";
    let tail: string[] = [];
    if (at >= 0 && (firstSlash < 0 || at < firstSlash)) {
      name = rest.slice(0, at);
      const split = splitRevision(rest.slice(at + 1).split("/"));
      revision = split.revision;
      tail = split.rest;
      if (!revision) throw new HubError("usage", `${arg}: an empty revision after '@'`);
    } else {
      name = firstSlash < 0 ? rest : rest.slice(0, firstSlash);
      tail = firstSlash < 0 ? [] : rest.slice(firstSlash + 1).split("/");
    }
    return { repo: checkRepo(owner, name, arg), revision: decodeURIComponent(revision), subfolder: cleanSubfolder(tail, arg), input: arg };
  }
  let url: URL;
  try {
    if (!/^https?:\/\//i.test(arg)) return undefined;
    url = new URL(arg);
  } catch {
    return undefined;
  }
  const hosts = new Set([new URL(DEFAULT_ENDPOINT).host, "hf.co", "www.huggingface.co"]);
  try {
    hosts.add(new URL(endpoint).host);
  } catch {}
  if (!hosts.has(url.host)) return undefined;
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "models") parts.shift();
  if (parts.length < 2 || parts[0] === "datasets" || parts[0] === "spaces") {
    throw new HubError("usage", `${arg}: not a model repository URL (expected ${DEFAULT_ENDPOINT}/<owner>/<name>)`);
  }
  const repo = checkRepo(parts[0], parts[1], arg);
  const kind = parts[2];
  if (kind === undefined) return { repo, revision: "main", subfolder: "", input: arg };
  if (kind !== "tree" && kind !== "blob" && kind !== "resolve") throw new HubError("usage", `${arg}: expected /tree/<revision>/<folder> after the repository`);
  if (!parts[3]) throw new HubError("usage", `${arg}: the URL names no revision`);
  const { revision, rest } = splitRevision(parts.slice(3));
  // A file URL (blob/resolve) names its folder: the model folder the file belongs to.
  const folder = kind === "tree" ? rest : rest.slice(0, -1);
  return { repo, revision, subfolder: cleanSubfolder(folder, arg), input: arg };
}

export function isHubTarget(arg: string): boolean {
  if (/^hf:\/\//i.test(arg)) return true;
  try {
    return parseHubTarget(arg) !== undefined;
  } catch {
    return true;
  }
}

/** `owner/name[@revision][/subfolder]`, the short form used in messages. */
export function targetLabel(t: Pick<HubTarget, "repo" | "revision" | "subfolder">): string {
  return `${t.repo}${t.revision === "main" ? "" : `@${t.revision}`}${t.subfolder ? `/${t.subfolder}` : ""}`;
}

/** Path segments percent-encoded, slashes kept: how file paths go into /resolve and /tree URLs. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
