// File I/O for the CLI. Every read opens non-blocking and checks for a regular file first: a FIFO
// (or a device) named config.json, .normlint.json or .gitignore would otherwise block the run.
import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, realpathSync, renameSync, type Stats, statSync, unlinkSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

// O_NONBLOCK is undefined on Windows, where opening a named pipe does not wait for a writer anyway.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What identifies one version of a file: --fix writes only over the version it read. */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface ReadResult {
  /** Undefined when the file is over the cap or could not be read. */
  bytes?: Uint8Array;
  size: number;
  error?: string;
  /** The version read (set with `bytes`). */
  stamp?: FileStamp;
}

const stampOf = (st: Stats): FileStamp => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });

/** Reads a regular file without reading past `cap` bytes; anything else is an error, never a wait. */
export function readRegular(path: string, cap = Infinity): ReadResult {
  let fd: number | undefined;
  try {
    fd = openSync(path, READ_FLAGS);
    const st = fstatSync(fd);
    if (!st.isFile()) return { size: 0, error: "not a regular file" };
    if (st.size > cap) return { size: st.size };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return { bytes: buf.subarray(0, off), size: off, stamp: stampOf(st) };
  } catch (e) {
    return { size: 0, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * readRegular without blocking the thread while bytes arrive (the extension host shares its thread
 * with every other extension): the same non-blocking open, regular-file check and cap.
 */
export async function readRegularAsync(path: string, cap = Infinity): Promise<ReadResult> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, READ_FLAGS);
    const st = await handle.stat();
    if (!st.isFile()) return { size: 0, error: "not a regular file" };
    if (st.size > cap) return { size: st.size };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await handle.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return { bytes: buf.subarray(0, off), size: off, stamp: stampOf(st) };
  } catch (e) {
    return { size: 0, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  } finally {
    await handle?.close();
  }
}

/** A regular file's text, or undefined when it is missing, not a regular file, or unreadable. */
export function readTextFile(path: string): string | undefined {
  // Asked in every folder of a walk (.normlint.json): a missing file must not cost a thrown error.
  try {
    if (!statSync(path, { throwIfNoEntry: false })) return undefined;
  } catch {
    return undefined;
  }
  const r = readRegular(path);
  return r.bytes ? Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString("utf8") : undefined;
}

/** The file changed on disk after it was read: writing the fixed text would lose that change. */
export class FileChangedError extends Error {
  readonly code = "ECHANGED";
}

/** The version that was read and fixed; writeAtomic refuses to replace any other. */
export interface Expected {
  stamp: FileStamp;
  bytes: Uint8Array;
}

/**
 * Writes through a temporary file in the target's folder and renames it over the target. A symlink
 * is written through (its target changes, the link stays), and the mode is restored explicitly
 * because the umask would otherwise drop bits such as group write. With `expected`, the target is
 * checked again (identity, size, mtime and bytes) just before the rename, and a file that changed
 * since it was read is left alone (FileChangedError): an editor's save during a run wins. On any
 * error the target is untouched and the temporary file removed.
 */
export function writeAtomic(path: string, text: string, expected?: Expected): void {
  const target = realpathSync(path);
  const tmp = join(dirname(target), `.${basename(target)}.normlint-${process.pid}.tmp`);
  const mode = statSync(target).mode & 0o7777;
  let fd: number | undefined;
  try {
    fd = openExclusive(tmp);
    writeFileSync(fd, text);
    fchmodSync(fd, mode);
    closeSync(fd);
    fd = undefined;
    if (expected) assertUnchanged(target, expected);
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
}

function assertUnchanged(target: string, expected: Expected): void {
  const now = readRegular(target, expected.bytes.length);
  const s = now.stamp;
  const same =
    s !== undefined && now.bytes !== undefined && s.dev === expected.stamp.dev && s.ino === expected.stamp.ino && s.size === expected.stamp.size &&
    s.mtimeMs === expected.stamp.mtimeMs && Buffer.from(now.bytes.buffer, now.bytes.byteOffset, now.bytes.byteLength).equals(expected.bytes);
  if (!same) throw new FileChangedError(`${target} changed on disk after it was read`);
}

/** Creates `path` for writing, never through an existing file or link: a stale one is removed first. */
function openExclusive(path: string): number {
  try {
    return openSync(path, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    unlinkSync(path);
    return openSync(path, "wx", 0o600);
  }
}
