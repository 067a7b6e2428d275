// Finds and reads the two wasm binaries the Python parser needs. A build copies them next to the
// bundle (dist/web-tree-sitter.wasm, dist/tree-sitter-python.wasm); from a source checkout they are
// read from node_modules. The engine gets the bytes; it never touches the file system.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PythonWasm } from "../engine/parsers/python";

export const WASM_FILES = {
  runtime: { file: "web-tree-sitter.wasm", pkg: "web-tree-sitter" },
  python: { file: "tree-sitter-python.wasm", pkg: "tree-sitter-python" },
} as const;

/** Folders to search, nearest first: the bundle's own folder and its ancestors, then the cwd's. */
function searchRoots(extra: string[]): string[] {
  const roots: string[] = [];
  const add = (start: string) => {
    for (let dir = start; ; dir = dirname(dir)) {
      if (!roots.includes(dir)) roots.push(dir);
      if (dirname(dir) === dir) break;
    }
  };
  for (const d of extra) add(d);
  // Bundled as CommonJS, and under vite-node in tests, __dirname is this module's folder.
  if (typeof __dirname === "string") add(__dirname);
  add(process.cwd());
  return roots;
}

/** The path of one wasm file, or undefined when no candidate exists. */
export function findWasm(which: keyof typeof WASM_FILES, extraRoots: string[] = []): string | undefined {
  const { file, pkg } = WASM_FILES[which];
  for (const root of searchRoots(extraRoots)) {
    for (const candidate of [join(root, file), join(root, "node_modules", pkg, file)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Reads both binaries; throws an error naming what is missing and where it looked. */
export function loadPythonWasm(extraRoots: string[] = []): PythonWasm {
  const read = (which: keyof typeof WASM_FILES): Uint8Array => {
    const path = findWasm(which, extraRoots);
    if (!path) {
      const { file, pkg } = WASM_FILES[which];
      throw new Error(`cannot find ${file}: expected next to the normlint bundle or in node_modules/${pkg}/ (run npm install)`);
    }
    return new Uint8Array(readFileSync(path));
  };
  return { runtime: read("runtime"), python: read("python") };
}
