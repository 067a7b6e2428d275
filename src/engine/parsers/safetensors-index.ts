// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file}}, checked
// against the headers of the shards it names. Pure: the caller reads the shard headers (or fails to)
// and passes them in; problems carry UTF-16 ranges into the index text, like every JSON finding.
import type { Node } from "jsonc-parser";
import { parseJson, properties, property } from "./json";
import type { SafetensorsHeader } from "./safetensors";

export type ShardIndexProblemCode =
  | "invalid-json"
  | "not-an-object"
  | "missing-weight-map"
  | "invalid-weight-map"
  | "invalid-metadata"
  | "invalid-entry"
  | "duplicate-entry"
  | "missing-shard"
  | "missing-tensor"
  | "tensor-in-two-shards"
  | "unreferenced-shard"
  | "unlisted-tensor";

export interface ShardIndexProblem {
  code: ShardIndexProblemCode;
  message: string;
  start: number;
  end: number;
  shard?: string;
  tensor?: string;
}

export interface ShardIndexResult {
  problems: ShardIndexProblem[];
  /** tensor -> shard file, as Python reads it (the last duplicate wins). */
  weightMap: Map<string, string>;
  /** Shard files the weight map names, in first-mention order. */
  shards: string[];
}

/** Problems of one code beyond this many are folded into a single "and N more". */
const MAX_PER_CODE = 20;

/**
 * Checks an index against its shards. `shardHeaders` maps shard file names, as the weight map spells
 * them, to their parsed header, or to undefined when the file is missing or unreadable. Shards in
 * the map that the index never names are reported as unreferenced.
 */
export function checkShardIndex(indexText: string, shardHeaders: ReadonlyMap<string, SafetensorsHeader | undefined>): ShardIndexResult {
  const problems: ShardIndexProblem[] = [];
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const result = () => ({ problems: cap(problems), weightMap, shards });
  const doc = parseJson(indexText);
  for (const p of doc.problems) {
    // Python's json refuses all of these (transformers opens the index with json.load).
    problems.push({ code: "invalid-json", message: `the index is not valid JSON: ${p.detail}`, start: p.start, end: p.end });
  }
  const root = doc.root;
  if (!root) return result();
  if (root.type !== "object") {
    problems.push({ code: "not-an-object", message: "the index is not a JSON object", ...range(root) });
    return result();
  }
  const meta = property(root, "metadata");
  if (meta && meta.valueNode.type !== "object" && meta.valueNode.type !== "null") {
    problems.push({ code: "invalid-metadata", message: "`metadata` must be an object", ...range(meta.valueNode) });
  }
  const wm = property(root, "weight_map");
  if (!wm) {
    problems.push({ code: "missing-weight-map", message: "the index has no `weight_map`, so no tensor can be found", start: root.offset, end: root.offset + 1 });
    return result();
  }
  if (wm.valueNode.type !== "object") {
    problems.push({ code: "invalid-weight-map", message: "`weight_map` must be an object mapping tensor names to shard files", ...range(wm.valueNode) });
    return result();
  }

  // Entries as Python sees them: the last duplicate wins, earlier ones are reported.
  const entries = new Map<string, { keyNode: Node; valueNode: Node; shard: string }>();
  const firstMention = new Map<string, Node>();
  for (const p of properties(wm.valueNode)) {
    if (p.valueNode.type !== "string") {
      problems.push({ code: "invalid-entry", message: `\`${p.key}\` maps to a ${p.valueNode.type}, not a shard file name`, tensor: p.key, ...range(p.valueNode) });
      continue;
    }
    const shard = p.valueNode.value as string;
    const prev = entries.get(p.key);
    if (prev) {
      problems.push({ code: "duplicate-entry", message: `\`${p.key}\` is listed twice; Python keeps the last (\`${shard}\`)`, tensor: p.key, ...range(prev.keyNode) });
    }
    entries.set(p.key, { keyNode: p.keyNode, valueNode: p.valueNode, shard });
    if (!firstMention.has(shard)) {
      firstMention.set(shard, p.valueNode);
      shards.push(shard);
    }
  }
  for (const [tensor, e] of entries) weightMap.set(tensor, e.shard);

  // Shards named but missing, counted once each at their first mention.
  const perShard = new Map<string, number>();
  for (const e of entries.values()) perShard.set(e.shard, (perShard.get(e.shard) ?? 0) + 1);
  for (const shard of shards) {
    if (shardHeaders.get(shard) === undefined) {
      const n = perShard.get(shard) ?? 0;
      problems.push({ code: "missing-shard", message: `the shard \`${shard}\` (${n} tensor${n === 1 ? "" : "s"}) is missing or unreadable`, shard, ...range(firstMention.get(shard)!) });
    }
  }

  // Which shards actually hold each tensor.
  const holders = new Map<string, string[]>();
  for (const [shard, header] of shardHeaders) {
    if (!header) continue;
    for (const t of header.tensors) {
      const list = holders.get(t.name);
      if (list) list.push(shard);
      else holders.set(t.name, [shard]);
    }
  }

  for (const [tensor, e] of entries) {
    const header = shardHeaders.get(e.shard);
    if (header && !(holders.get(tensor) ?? []).includes(e.shard)) {
      const elsewhere = holders.get(tensor);
      const hint = elsewhere ? `; it is in \`${elsewhere[0]}\`` : "";
      problems.push({ code: "missing-tensor", message: `\`${tensor}\` is mapped to \`${e.shard}\`, which does not hold it${hint}`, tensor, shard: e.shard, ...range(e.keyNode) });
    }
  }
  for (const [tensor, list] of holders) {
    if (list.length < 2) continue;
    const e = entries.get(tensor);
    const at = e ? range(e.keyNode) : { start: wm.valueNode.offset, end: wm.valueNode.offset + 1 };
    problems.push({ code: "tensor-in-two-shards", message: `\`${tensor}\` is stored in ${list.length} shards (${list.map((s) => `\`${s}\``).join(", ")}); which one loads depends on the loader`, tensor, ...at });
  }

  const wmStart = { start: wm.keyNode.offset, end: wm.keyNode.offset + wm.keyNode.length };
  for (const [shard, header] of shardHeaders) {
    if (!firstMention.has(shard)) {
      problems.push({ code: "unreferenced-shard", message: `\`${shard}\` is not named in the weight map; its tensors are never loaded`, shard, ...wmStart });
      continue;
    }
    if (!header) continue;
    const unlisted = header.tensors.filter((t) => !entries.has(t.name)).map((t) => t.name);
    if (unlisted.length) {
      const shown = unlisted.slice(0, 3).map((n) => `\`${n}\``).join(", ");
      problems.push({
        code: "unlisted-tensor",
        message: `\`${shard}\` holds ${unlisted.length} tensor${unlisted.length === 1 ? "" : "s"} the weight map does not list (${shown}${unlisted.length > 3 ? ", ..." : ""}); they are never loaded`,
        shard,
        ...range(firstMention.get(shard)!),
      });
    }
  }
  return result();
}

function range(node: Node): { start: number; end: number } {
  return { start: node.offset, end: node.offset + node.length };
}

function cap(problems: ShardIndexProblem[]): ShardIndexProblem[] {
  const count = new Map<ShardIndexProblemCode, number>();
  const out: ShardIndexProblem[] = [];
  for (const p of problems) {
    const n = (count.get(p.code) ?? 0) + 1;
    count.set(p.code, n);
    if (n <= MAX_PER_CODE) out.push(p);
  }
  for (const [code, n] of count) {
    if (n > MAX_PER_CODE) {
      const last = out.filter((p) => p.code === code).pop()!;
      out.push({ code, message: `and ${n - MAX_PER_CODE} more like this`, start: last.start, end: last.end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
