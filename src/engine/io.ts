// Byte access for the checkpoint readers. The engine never opens files: the caller hands it a
// ByteSource (bytes in memory here; a file handle in src/cli/bytes.ts), and the readers ask only for
// the ranges they need, so a header costs the same whether the file is 1 MB or 20 GB.

/** Random access to a file's bytes. */
export interface ByteSource {
  /** Size in bytes. */
  readonly size: number;
  /**
   * Up to `length` bytes from `offset`; fewer only where the source ends (a short result is never
   * an error by itself). The result may be a view that the caller must not modify.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ByteSource over bytes in memory (views, no copies). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      const start = Math.min(Math.max(0, offset), bytes.length);
      const end = Math.min(bytes.length, start + Math.max(0, length));
      return Promise.resolve(bytes.subarray(start, end));
    },
  };
}

/** A ByteSource that counts what it is asked for: tests and benchmarks bound the readers with it. */
export interface CountingSource extends ByteSource {
  /** Bytes returned so far. */
  readonly bytesRead: number;
  /** Calls to read so far. */
  readonly reads: number;
}

export function countingSource(inner: ByteSource): CountingSource {
  let bytesRead = 0;
  let reads = 0;
  return {
    size: inner.size,
    get bytesRead() {
      return bytesRead;
    },
    get reads() {
      return reads;
    },
    async read(offset: number, length: number): Promise<Uint8Array> {
      reads++;
      const out = await inner.read(offset, length);
      bytesRead += out.length;
      return out;
    },
  };
}

/**
 * Reads exactly `length` bytes, looping over short reads; undefined when the source ends first.
 * A source that returns nothing twice in a row is treated as ended, so a broken source cannot spin.
 */
export async function readExactly(src: ByteSource, offset: number, length: number): Promise<Uint8Array | undefined> {
  if (offset < 0 || length < 0 || offset + length > src.size) return undefined;
  const first = await src.read(offset, length);
  if (first.length === length) return first;
  if (first.length > length) return first.subarray(0, length);
  const out = new Uint8Array(length);
  out.set(first);
  let done = first.length;
  let empty = first.length === 0 ? 1 : 0;
  while (done < length) {
    const more = await src.read(offset + done, length - done);
    if (more.length === 0) {
      if (++empty >= 2) return undefined;
      continue;
    }
    empty = 0;
    const take = Math.min(more.length, length - done);
    out.set(take === more.length ? more : more.subarray(0, take), done);
    done += take;
  }
  return out;
}

/** "1.5 MiB", "64 KiB", "12 B": sizes in messages. */
export function formatBytes(n: number | bigint): string {
  const v = Number(n);
  if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(v >= 10 * 1024 ** 3 ? 0 : 1)} GiB`;
  if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(v >= 10 * 1024 ** 2 ? 0 : 1)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(v >= 10 * 1024 ? 0 : 1)} KiB`;
  return `${v} B`;
}

/** Norm tensors read at once by the folder reader (ranged reads: a round trip each over HTTP). */
export const NORM_READS_IN_FLIGHT = 8;

/** `fn` over `items` with at most `limit` calls pending; results in the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
