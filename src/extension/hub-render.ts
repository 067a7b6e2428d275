// Checkpoint headers as text, for the read-only documents of a Hub check: a safetensors or GGUF
// file is binary and mostly not downloaded (only its header and the norm tensors are read by
// range), so its document is a rendering of the header, one line per metadata entry and tensor.
// Each line remembers the file byte offset it stands for, so a finding's byte range in the
// checkpoint (a GGUF key, a tensor name, a header problem's offset) lands on the line it names.
import type { CheckpointFile } from "../engine/folder-model";
import type { GgufValue } from "../engine/parsers/gguf";

/** A file byte offset and the span of text that shows it. */
export interface Anchor {
  at: number;
  start: number;
  end: number;
}

export interface RenderedHeader {
  text: string;
  /** Sorted by `at`. */
  anchors: Anchor[];
  /** Where a pointer at the whole file lands: the first norm tensor read from it, if any. */
  home?: { start: number; end: number };
}

class Lines {
  text = "";
  readonly anchors: Anchor[] = [];
  line(s: string, anchor?: { at: number; from?: number; length?: number }): void {
    if (anchor) {
      const start = this.text.length + (anchor.from ?? 0);
      this.anchors.push({ at: anchor.at, start, end: start + (anchor.length ?? s.length - (anchor.from ?? 0)) });
    }
    this.text += `${s}\n`;
  }
  done(home?: number): RenderedHeader {
    const anchors = this.anchors.sort((a, b) => a.at - b.at || a.start - b.start);
    const h = home === undefined ? undefined : anchors.find((a) => a.at === home);
    return { text: this.text, anchors, ...(h ? { home: { start: h.start, end: h.end } } : {}) };
  }
}

const bytes = (n: number) => n.toLocaleString("en-US");

function columns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  "));
}

/** The values GGUF metadata holds, shortened: long arrays (a tokenizer's vocabulary) by their size. */
function ggufValue(v: GgufValue): string {
  if (typeof v === "string") return JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v);
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (!v.items || v.length > 16) return `[${bytes(v.length)} ${v.itemType} values]`;
  return `[${v.items.map(ggufValue).join(", ")}]`;
}

/**
 * A checkpoint's header as text: what was read (and from how large a file), the metadata, every
 * tensor with its dtype, shape and data range, and the problems that stopped the parser. `home`
 * names the tensor a pointer at the whole file stands for (the first norm tensor read from it).
 */
export function renderCheckpoint(location: string, size: number, c: CheckpointFile, home?: string): RenderedHeader {
  const out = new Lines();
  const st = c.safetensors;
  const gg = c.gguf;
  const what = st
    ? `a safetensors header (8 + ${bytes(st.headerLength)} bytes of a ${bytes(size)}-byte file)`
    : gg
      ? `a GGUF v${gg.version} header (${bytes(gg.headerEnd)} bytes of a ${bytes(size)}-byte file)`
      : `a ${c.kind} file of ${bytes(size)} bytes whose header could not be read`;
  out.line(`${location}`, { at: 0 });
  out.line(`${what}, read by range: normlint did not download the tensor data. A read-only view.`);
  out.line("");
  for (const p of c.problems) out.line(`problem at byte ${bytes(p.offset)}: ${p.message}`, { at: p.offset });
  if (c.problems.length) out.line("");
  if (st) {
    const meta = Object.entries(st.metadata ?? {});
    out.line(meta.length ? "__metadata__:" : "__metadata__: none", { at: 8, length: "__metadata__".length });
    for (const [k, v] of meta) out.line(`  ${k} = ${JSON.stringify(v)}`);
    out.line("");
    out.line(`tensors: ${st.tensors.length}, in data order (name, dtype, shape, data bytes from byte ${bytes(st.dataStart)})`);
    const rows = columns(st.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(", ")}]`, `${bytes(t.begin)}..${bytes(t.end)}`]));
    st.tensors.forEach((t, i) => out.line(rows[i], { at: t.keyOffset, length: t.name.length }));
  }
  if (gg) {
    out.line(`metadata: ${gg.metadata.size} keys`);
    for (const kv of gg.metadata.values()) out.line(`  ${kv.key} = ${ggufValue(kv.value)}`, { at: kv.offset, from: 2, length: kv.key.length });
    out.line("");
    out.line(`tensors: ${gg.tensors.length} (name, ggml type, dims in ggml order, data bytes from byte ${bytes(gg.dataStart)})`);
    const rows = columns(gg.tensors.map((t) => [t.name, t.typeName, `[${t.dims.join(", ")}]`, `${bytes(t.offset)}..${bytes(t.offset + t.byteLength)}`]));
    gg.tensors.forEach((t, i) => out.line(rows[i], { at: t.infoOffset, length: t.name.length }));
  }
  const homeAt = st?.tensors.find((t) => t.name === home)?.keyOffset ?? gg?.tensors.find((t) => t.name === home)?.infoOffset;
  return out.done(homeAt);
}

/**
 * Where a byte range of the checkpoint shows in its rendering: the line of the entry at `start`
 * (a key's or tensor name's offset), else of the last entry before it; `offset` (a header
 * problem's, carried in the finding's data) stands in for a range at 0, and an empty range at 0
 * without one (the whole file: "norm weights read here") is the first norm tensor's line.
 */
export function mapToRendered(r: RenderedHeader, start: number, end: number, offset?: number): { start: number; end: number } {
  if (start === 0 && end === 0 && offset === undefined && r.home) return r.home;
  const at = start === 0 && typeof offset === "number" ? offset : start;
  let hit: Anchor | undefined;
  for (const a of r.anchors) {
    if (a.at > at) break;
    hit = a; // the last of several at one offset: a problem line over the title
  }
  hit ??= r.anchors[0];
  return hit ? { start: hit.start, end: hit.end } : { start: 0, end: 0 };
}
