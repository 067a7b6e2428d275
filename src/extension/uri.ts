// URI strings as `vscode.Uri.toString()` writes them (`scheme://authority/encoded/path`), handled
// without the vscode module: parent folders, joins, decoded paths and relative paths.
import type { Uri } from "./types";

const SPLIT = /^([a-zA-Z][\w+.-]*):(\/\/[^/?#]*)?([^?#]*)(\?[^#]*)?(#.*)?$/;

export interface UriParts {
  scheme: string;
  /** `//authority` or "" */
  authority: string;
  /** Encoded path. */
  path: string;
}

export function uriParts(uri: Uri): UriParts {
  const m = SPLIT.exec(uri);
  if (!m) return { scheme: "", authority: "", path: uri };
  return { scheme: m[1], authority: m[2] ?? "", path: m[3] };
}

export function schemeOf(uri: Uri): string {
  return uriParts(uri).scheme;
}

/** The decoded path (`/home/me/model 1/config.json`). */
export function decodedPath(uri: Uri): string {
  const { path } = uriParts(uri);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function basename(uri: Uri): string {
  const p = decodedPath(uri);
  return p.slice(p.lastIndexOf("/") + 1);
}

/** The parent folder; the root is its own parent. */
export function dirname(uri: Uri): Uri {
  const { scheme, authority, path } = uriParts(uri);
  const i = path.lastIndexOf("/");
  const parent = i <= 0 ? "/" : path.slice(0, i);
  return `${scheme}:${authority}${parent}`;
}

/** Encodes a path segment the way vscode.Uri.toString() does (it also escapes `!'()*`). */
export function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function joinUri(dir: Uri, name: string): Uri {
  const { scheme, authority, path } = uriParts(dir);
  const base = path.endsWith("/") ? path.slice(0, -1) : path;
  return `${scheme}:${authority}${base}/${name.split("/").map(encodeSegment).join("/")}`;
}

/** Posix path of `to` relative to the folder `from` (`../x` when outside). */
export function relativePath(from: Uri, to: Uri): string {
  const a = decodedPath(from).split("/").filter(Boolean);
  const b = decodedPath(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

/** Is `uri` inside the folder `dir` (or the folder itself)? */
export function isInside(dir: Uri, uri: Uri): boolean {
  const d = uriParts(dir);
  const u = uriParts(uri);
  if (d.scheme !== u.scheme || d.authority !== u.authority) return false;
  const base = d.path.endsWith("/") ? d.path : `${d.path}/`;
  return u.path === d.path || u.path.startsWith(base);
}
