// How the model-folder reader reaches files: the Node file system here, or an editor's (the
// extension's host implements the same interface over URIs, for virtual workspaces). Every
// implementation keeps the CLI's hostile-input guarantees: only regular files are read, the size is
// checked against the cap before any byte is, and no open waits (a FIFO named config.json is an
// error, never a hang).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ByteSource } from "../engine/io";
import { openFileSource } from "./bytes";
import { type ReadResult, readRegularAsync } from "./files";

export type { FileStamp, ReadResult } from "./files";

export interface DirEntry {
  name: string;
  /** A link is what it points at; a dangling link is a "file", so that reading it says why it fails. */
  type: "file" | "directory" | "other";
}

/** Ranged reads of one file; closed after use. */
export interface ClosableSource extends ByteSource {
  close(): Promise<void>;
}

/** Files at locations: paths for the Node file system, URIs for an editor host. */
export interface FileAccess {
  /** A folder's entries; throws when the folder cannot be listed. */
  list(dir: string): Promise<DirEntry[]>;
  /**
   * A regular file's bytes when its size is at most `cap` (over it: `size` alone), with the version
   * read (`stamp`); anything that is not a regular file, or cannot be read, is an `error`.
   */
  read(file: string, cap: number): Promise<ReadResult>;
  /** Ranged reads of a regular file; throws when it is not one or cannot be opened. */
  open(file: string): Promise<ClosableSource>;
  /** The location of `name` inside the folder `dir`. */
  join(dir: string, name: string): string;
}

/** The Node file system: non-blocking opens, regular files only (src/node/files.ts, bytes.ts). */
export const nodeAccess: FileAccess = {
  async list(dir) {
    const entries = await readdir(dir, { withFileTypes: true });
    return Promise.all(
      entries.map(async (e): Promise<DirEntry> => {
        if (!e.isSymbolicLink()) return { name: e.name, type: e.isDirectory() ? "directory" : e.isFile() ? "file" : "other" };
        try {
          const st = await stat(join(dir, e.name));
          return { name: e.name, type: st.isDirectory() ? "directory" : st.isFile() ? "file" : "other" };
        } catch {
          return { name: e.name, type: "file" };
        }
      }),
    );
  },
  read: readRegularAsync,
  open: (file) => openFileSource(file),
  join,
};
