// File I/O for the CLI. Every read opens non-blocking and checks for a regular file first: a FIFO
// (or a device) named config.json, .normlint.json or .gitignore would otherwise block the run.
import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

// O_NONBLOCK is undefined on Windows, where opening a named pipe does not wait for a writer anyway.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export interface ReadResult {
  /** Undefined when the file is over the cap or could not be read. */
  bytes?: Uint8Array;
  size: number;
  error?: string;
}

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
    return { bytes: buf.subarray(0, off), size: off };
  } catch (e) {
    return { size: 0, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A regular file's text, or undefined when it is missing, not a regular file, or unreadable. */
export function readTextFile(path: string): string | undefined {
  const r = readRegular(path);
  return r.bytes ? Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString("utf8") : undefined;
}

/**
 * Writes through a temporary file in the target's folder and renames it over the target. A symlink
 * is written through (its target changes, the link stays), and the mode is restored explicitly
 * because the umask would otherwise drop bits such as group write.
 */
export function writeAtomic(path: string, text: string): void {
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
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
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
