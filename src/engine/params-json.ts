// Meta's `params.json` (the original Llama checkpoints' config: `dim`, `n_heads`, `norm_eps`...),
// read beside config.json so a folder that carries both can be checked for agreement
// (meta-llama/llama #771: the published config.json had the wrong eps, params.json the right one).
import { decodeText, type JsonDocument, parseJson } from "./parsers/json";

export interface ParamsJson {
  path: string;
  text: string;
  /** Null when the bytes are not text. */
  doc: JsonDocument | null;
}

export function readParamsJson(input: { path: string; bytes: Uint8Array } | undefined): ParamsJson | undefined {
  if (!input) return undefined;
  const decoded = decodeText(input.bytes);
  if (!decoded.ok) return { path: input.path, text: "", doc: null };
  return { path: input.path, text: decoded.text, doc: parseJson(decoded.text) };
}
