// File-backed ByteSource for the checkpoint readers: positioned reads through a FileHandle, so only
// the ranges a reader asks for are read (a 20 GB checkpoint's header costs a few KiB).
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import type { ByteSource } from "../engine/io";

export interface FileByteSource extends ByteSource {
  readonly path: string;
  close(): Promise<void>;
}

/** Largest single read; longer requests are split so one call never allocates more than asked. */
const MAX_READ = 64 * 1024 * 1024;

/** Wraps an open FileHandle of a known size; the caller keeps ownership of the handle. */
export function handleSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const start = Math.min(Math.max(0, offset), size);
      const want = Math.min(Math.max(0, length), size - start);
      const out = new Uint8Array(want);
      let done = 0;
      while (done < want) {
        const { bytesRead } = await handle.read(out, done, Math.min(want - done, MAX_READ), start + done);
        if (bytesRead === 0) break; // the file shrank under us: return what there is
        done += bytesRead;
      }
      return done === want ? out : out.subarray(0, done);
    },
  };
}

/**
 * Files up to this size are read whole by their first read and served from memory: a small
 * checkpoint's header, then each norm tensor, was a positioned read apiece (21,700 reads for 1,000
 * model folders in the workspace bench, most of the CLI's main-thread time there). Checkpoints of
 * real models are far larger and keep their ranged reads.
 */
export const WHOLE_FILE_BELOW = 256 * 1024;

export interface OpenOptions {
  /** Read files up to this size whole on the first read (default WHOLE_FILE_BELOW; 0: never). */
  wholeFileBelow?: number;
}

/**
 * Opens a regular file as a ByteSource. Refuses anything else (a FIFO named model.safetensors would
 * block, a directory has no bytes). Close it when done.
 */
export async function openFileSource(path: string, opts: OpenOptions = {}): Promise<FileByteSource> {
  // Non-blocking open: a FIFO would otherwise wait for a writer before stat could refuse it.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    const inner = handleSource(handle, st.size);
    const close = () => handle.close();
    if (st.size > (opts.wholeFileBelow ?? WHOLE_FILE_BELOW)) return { path, size: st.size, read: inner.read, close };
    // One snapshot of the file: later reads see the bytes of the first, even if the file changes.
    let whole: Promise<Uint8Array> | undefined;
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      whole ??= inner.read(0, st.size);
      const all = await whole;
      const start = Math.min(Math.max(0, offset), all.length);
      return all.slice(start, Math.min(all.length, start + Math.max(0, length)));
    };
    return { path, size: st.size, read, close };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Opens `path`, runs `fn` on it, and closes it whatever happens. */
export async function withFileSource<T>(path: string, fn: (src: ByteSource) => Promise<T>): Promise<T> {
  const src = await openFileSource(path);
  try {
    return await fn(src);
  } finally {
    await src.close();
  }
}
