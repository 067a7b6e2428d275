// Meta's `params.json` (the original Llama checkpoints' config: `dim`, `n_heads`, `norm_eps`...),
// read beside config.json so a folder that carries both can be checked for agreement
// (meta-llama/llama #771: the published config.json had the wrong eps, params.json the right one).
import { decodeText, type JsonDocument, type JsonProblem, parseJson } from "./parsers/json";

export interface ParamsJson {
  path: string;
  text: string;
  /** Null when the bytes are not text. */
  doc: JsonDocument | null;
  /** Why the file gave no JSON object to compare: not text, or a syntax error (the first). */
  problem?: JsonProblem;
}

export function readParamsJson(input: { path: string; bytes: Uint8Array } | undefined): ParamsJson | undefined {
  if (!input) return undefined;
  const decoded = decodeText(input.bytes);
  if (!decoded.ok) return { path: input.path, text: "", doc: null, problem: decoded.problem };
  const doc = parseJson(decoded.text);
  // Python's json rejects what jsonc-parser tolerates (comments, trailing commas): any problem counts.
  const problem = doc.problems[0] ?? (doc.root ? undefined : { kind: "syntax" as const, start: 0, end: 0, detail: "no JSON value" });
  return { path: input.path, text: decoded.text, doc, ...(problem ? { problem } : {}) };
}
