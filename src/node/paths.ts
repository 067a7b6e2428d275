import { isAbsolute, relative, sep } from "node:path";

export function toPosix(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}

/** Path relative to the working directory when inside it, as ESLint's JSON formatter reports. */
export function displayPath(abs: string, cwd = process.cwd()): string {
  const rel = relative(cwd, abs);
  return toPosix(rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs);
}
