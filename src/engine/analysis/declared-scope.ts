// Which family a declaration serves. Adapters, kernel bindings and converters rarely sit in a file
// named for one model, so the evidence is read from the code around them, nearest first: the branch
// they are in (`elif architecture == "Gemma2ForCausalLM":`), a registration decorator, a mapping
// table of the module, the name of the enclosing function or class, then the file itself.
import { field, namedChildren, type PyNode, walk } from "../parsers/python";
import { allFamilies, family, familiesForArchitecture, type Family } from "../knowledge/index";
import { familyByLooseName, VIA_LABEL } from "./family";
import type { Serves } from "./declared-types";
import type { FamilyRef, Range } from "./types";

const range = (n: PyNode): Range => ({ start: n.start, end: n.end });
const norm = (s: string) => s.toLowerCase().replace(/[-_.\s]/g, "");

let byNormalized: Array<[string, string]> | undefined;

/** Model types by their normalised spelling (`qwen3_next` -> `qwen3next`), longest first. */
function normalizedTypes(): Array<[string, string]> {
  if (byNormalized) return byNormalized;
  const seen = new Map<string, string>();
  for (const f of allFamilies()) {
    const n = norm(f.modelType);
    if (!seen.has(n) || f.modelType.length < seen.get(n)!.length) seen.set(n, f.modelType);
  }
  byNormalized = [...seen].sort((a, b) => b[0].length - a[0].length);
  return byNormalized;
}

/**
 * The family an identifier names: `Gemma3nArchitectureAdapter`, `LigerRMSNormForOlmo2`,
 * `apply_liger_kernel_to_gemma3_text`, `Gemma1ArchitectureAdapter` (Gemma 1 is `gemma`). A model
 * type must start and end at word boundaries; the first wins, and the longest of those
 * (`LlamaEmbedNemotronModel` is a Llama, `Qwen3NextAdapter` is `qwen3_next`, not `qwen3`). Three-letter types count only as a
 * whole snake_case word or at the start of a CamelCase name (`PhiArchitectureAdapter`).
 */
export function familyInIdentifier(name: string): Family | undefined {
  const bare = name.replace(/^_+/, "");
  const starts = new Set<number>([0]);
  const ends = new Set<number>();
  let out = "";
  for (let i = 0; i < bare.length; i++) {
    const c = bare[i];
    if (c === "_" || c === "-" || c === ".") {
      ends.add(out.length);
      starts.add(out.length);
      continue;
    }
    const prev = bare[i - 1] ?? "";
    const next = bare[i + 1] ?? "";
    const lower = /[a-z]/.test(prev);
    const upperRun = /[A-Z]/.test(prev) && /[A-Z]/.test(c) && /[a-z]/.test(next);
    const digitEdge = (/\d/.test(c) && /[A-Za-z]/.test(prev)) || (/[A-Za-z]/.test(c) && /\d/.test(prev));
    if ((lower && /[A-Z]/.test(c)) || upperRun || digitEdge) {
      ends.add(out.length);
      starts.add(out.length);
    }
    out += c.toLowerCase();
  }
  ends.add(out.length);
  const snake = /_/.test(bare) && bare === bare.toLowerCase();
  let best: { len: number; type: string; at: number } | undefined;
  for (const [nt, type] of normalizedTypes()) {
    if (nt.length < 3) continue;
    for (const tail of ["", "1"]) {
      const want = nt + tail;
      for (let at = out.indexOf(want); at >= 0; at = out.indexOf(want, at + 1)) {
        if (!starts.has(at) || !ends.has(at + want.length)) continue;
        if (tail && /\d/.test(out[at + want.length] ?? "")) continue;
        if (nt.length === 3 && !(snake || at === 0)) continue;
        // `MiniMaxM3`, `Phi4`, `Llama2`: a version right after the name names another model.
        if (/^(\d|[a-z]\d)/.test(out.slice(at + want.length)) && !/\d$/.test(want) && !tail) continue;
        if (!best || at < best.at || (at === best.at && want.length > best.len)) best = { len: want.length, type, at };
      }
    }
  }
  return best ? family(best.type) : undefined;
}

/**
 * The family a Hugging Face repository name names (`google/gemma-2-9b`, `gemma-3n-E4B-it`,
 * `OLMo-2-1124-7B`), conservatively: the first one to three words must spell a model type, and a
 * bare version number right after the name must be part of it (`Llama-2-7b` is not `llama`, and
 * `phi-4` is not `phi`: both name models of another architecture or none we can tell).
 */
export function familyFromRepoName(s: string): Family | undefined {
  const name = s.split("/").pop() ?? s;
  const words = name.split(/[-_\s]+/).filter(Boolean);
  if (!words.length) return undefined;
  for (let n = Math.min(3, words.length); n >= 1; n--) {
    const joined = norm(words.slice(0, n).join(""));
    const hit = normalizedTypes().find(([nt]) => nt === joined);
    if (!hit) continue;
    const after = words[n];
    if (after && /^\d+(\.\d+)?$/.test(after) && !/\d$/.test(words[n - 1])) return undefined;
    return family(hit[1]);
  }
  return undefined;
}

/** A string literal naming a family: a model type, an architecture class, or a repository name. */
export function familiesFromLiteral(s: string, loose: boolean): Family[] {
  const exact = familyByLooseName(s) ?? familyByLooseName(s.toLowerCase());
  if (exact) return [exact];
  const arch = familiesForArchitecture(s).map((t) => family(t)).filter((f): f is Family => f !== undefined);
  if (arch.length) return arch;
  if (!loose) return [];
  const repo = familyFromRepoName(s);
  return repo ? [repo] : [];
}

export function stringOf(n: PyNode | undefined, text: string): string | undefined {
  if (n?.type !== "string" || n.children.some((c) => c.type === "interpolation")) return undefined;
  return n.children.filter((c) => c.type === "string_content").map((c) => text.slice(c.start, c.end)).join("");
}

/** The value of a literal node: True/False, a number (also negative), a plain string. */
export function literal(n: PyNode | undefined, text: string): boolean | number | string | undefined {
  if (!n) return undefined;
  const t = text.slice(n.start, n.end);
  if (n.type === "true") return true;
  if (n.type === "false") return false;
  if (n.type === "integer" || n.type === "float") return Number(t.replace(/_/g, ""));
  if (n.type === "unary_operator" && /^-\s*[\d.]/.test(t)) return Number(t.replace(/[\s_]/g, ""));
  if (n.type === "parenthesized_expression") return literal(namedChildren(n)[0], text);
  if (n.type === "string" && !n.children.some((c) => c.type === "interpolation")) return n.children.filter((c) => c.type === "string_content").map((c) => text.slice(c.start, c.end)).join("");
  return undefined;
}

/** Families named by the string literals of a branch condition (`architecture == "X"`, `"x" in name`). */
function conditionFamilies(cond: PyNode, text: string): { fams: Family[]; at?: PyNode } {
  const fams: Family[] = [];
  let at: PyNode | undefined;
  for (const n of walk(cond)) {
    if (n.type === "not_operator") return { fams: [] };
    const s = stringOf(n, text);
    if (s === undefined || s.length < 2) continue;
    for (const f of familiesFromLiteral(s, true)) if (!fams.includes(f)) fams.push(f);
    if (fams.length && !at) at = n;
  }
  // `!=` and `not in` branches serve everything but the family named.
  if (/!=|\bnot in\b/.test(text.slice(cond.start, cond.end))) return { fams: [] };
  return { fams, at };
}

export interface ScopeIndex {
  text: string;
  /** Function or class name -> families of the mapping tables that list it. */
  tables: Map<string, { fams: Family[]; at: Range; key: string }>;
  file?: FamilyRef;
  path: string;
}

/** Mapping tables of the module: `{"gemma": apply_liger_kernel_to_gemma, "Gemma3nForConditionalGeneration": Gemma3nAdapter}`. */
export function mappingTables(root: PyNode, text: string): ScopeIndex["tables"] {
  const out: ScopeIndex["tables"] = new Map();
  for (const n of walk(root)) {
    if (n.type !== "pair") continue;
    const key = stringOf(field(n, "key"), text);
    const v = field(n, "value");
    if (key === undefined || !v || (v.type !== "identifier" && v.type !== "attribute")) continue;
    const name = text.slice(v.start, v.end).split(".").pop()!;
    const fams = familiesFromLiteral(key, false);
    if (!fams.length) continue;
    const prev = out.get(name);
    if (prev) for (const f of fams) if (!prev.fams.includes(f)) prev.fams.push(f);
    else out.set(name, { fams: [...fams], at: range(n), key });
  }
  return out;
}

/** A definition that says which model it serves, but not one the knowledge base knows. */
export const UNKNOWN_FAMILY: Serves = { families: [], via: "decorator", detail: "" };

/** Evidence a function or class gives about itself: decorators, mapping tables, class attributes, its name. */
export function definitionServes(def: PyNode, idx: ScopeIndex): Serves | undefined {
  const { text } = idx;
  const nameNode = field(def, "name");
  const name = nameNode ? text.slice(nameNode.start, nameNode.end) : "";
  const decorated = def.parent?.type === "decorated_definition" ? def.parent : undefined;
  for (const d of decorated ? namedChildren(decorated).filter((c) => c.type === "decorator") : []) {
    const call = namedChildren(d)[0];
    if (call?.type !== "call") continue;
    const fams: Family[] = [];
    for (const a of namedChildren(field(call, "arguments"))) {
      const s = stringOf(a, text);
      if (s) for (const f of familiesFromLiteral(s, false)) if (!fams.includes(f)) fams.push(f);
    }
    if (fams.length) return { families: fams, via: "decorator", detail: `\`${text.slice(d.start, d.end).replace(/\s+/g, " ")}\``, at: range(d) };
    // Registered for architectures the knowledge base does not know: the name is no better guide.
    if (/\.register$/.test(text.slice(field(call, "function")!.start, field(call, "function")!.end)) && namedChildren(field(call, "arguments")).some((a) => stringOf(a, text))) return UNKNOWN_FAMILY;
  }
  const table = idx.tables.get(name);
  if (table) return { families: table.fams, via: "table", detail: `\`"${table.key}": ${name}\``, at: table.at };
  if (def.type === "class_definition") {
    for (const st of namedChildren(field(def, "body"))) {
      if (st.type !== "expression_statement") continue;
      const a = namedChildren(st)[0];
      if (a?.type !== "assignment") continue;
      const left = text.slice(field(a, "left")!.start, field(a, "left")!.end);
      const right = field(a, "right");
      if (!right) continue;
      const rt = text.slice(right.start, right.end);
      let f: Family | undefined;
      if (left === "model_type") f = familyByLooseName(stringOf(right, text) ?? "");
      else if (left === "model_arch" && /MODEL_ARCH\.\w+$/.test(rt)) f = familyByLooseName(rt.split(".").pop()!.toLowerCase());
      if (f) return { families: [f], via: "attribute", detail: `\`${left} = ${rt}\``, at: range(a) };
    }
  }
  const f = name ? familyInIdentifier(name) : undefined;
  if (f) return { families: [f], via: def.type === "class_definition" ? "class" : "function", detail: `\`${name}\``, at: nameNode ? range(nameNode) : undefined };
  return undefined;
}

/** A config entry's own name: `dict(name="Gemma-2b", hf_config=dict(org="google", name="gemma-2b"))`. */
function entryServes(container: PyNode, text: string): Serves | undefined {
  const items: Array<[string, PyNode]> = [];
  if (container.type === "argument_list") {
    for (const a of namedChildren(container)) if (a.type === "keyword_argument") items.push([text.slice(field(a, "name")!.start, field(a, "name")!.end), field(a, "value")!]);
  } else if (container.type === "dictionary") {
    for (const p of namedChildren(container)) {
      const k = p.type === "pair" ? stringOf(field(p, "key"), text) : undefined;
      if (k !== undefined) items.push([k, field(p, "value")!]);
    }
  }
  const get = (k: string) => items.find(([n]) => n === k)?.[1];
  const tries: Array<[PyNode | undefined, boolean]> = [[get("model_type"), false], [get("architecture"), false]];
  const hf = get("hf_config");
  if (hf?.type === "call") {
    const nameArg = namedChildren(field(hf, "arguments")).find((a) => a.type === "keyword_argument" && text.slice(field(a, "name")!.start, field(a, "name")!.end) === "name");
    tries.push([field(nameArg, "value"), true]);
  }
  tries.push([get("name"), true]);
  for (const [n, loose] of tries) {
    const s = stringOf(n, text);
    if (!s || !n) continue;
    const fams = familiesFromLiteral(s, loose);
    if (fams.length) return { families: fams, via: "entry", detail: `\`"${s}"\``, at: range(n) };
  }
  return undefined;
}

/** The family a node serves: nearest evidence first, then the file. */
export function servesAt(node: PyNode, idx: ScopeIndex): Serves | undefined {
  const { text } = idx;
  let first = true;
  for (let cur: PyNode = node, p = node.parent; p; cur = p, p = p.parent) {
    if (first && (p.type === "argument_list" || p.type === "dictionary")) {
      const e = entryServes(p, text);
      if (e) return e;
    }
    if (p.type === "block" || p.type.endsWith("definition")) first = false;
    if ((p.type === "if_statement" || p.type === "elif_clause") && cur.field === "consequence") {
      const cond = field(p, "condition");
      const c = cond ? conditionFamilies(cond, text) : { fams: [] };
      if (c.fams.length) return { families: c.fams, via: "branch", detail: `\`${text.slice(cond!.start, cond!.end).replace(/\s+/g, " ")}\``, at: c.at ? range(c.at) : undefined };
    }
    if (p.type === "function_definition" || p.type === "class_definition") {
      const s = definitionServes(p, idx);
      if (s) return s;
    }
  }
  return fileServes(idx);
}

/** The module's own family, or one its file or folder name spells (`gemma3n.py`, `gemma/model.py`). */
export function fileServes(idx: ScopeIndex): Serves | undefined {
  // One imported family is evidence for the module's own norms, not for what a patch module declares.
  if (idx.file && idx.file.via !== "import") return { families: [idx.file.family], via: "file", detail: VIA_LABEL[idx.file.via] };
  const parts = idx.path.split(/[\\/]/).filter(Boolean);
  const base = (parts.pop() ?? "").replace(/\.(py|ipynb)$/, "");
  const dir = parts.pop() ?? "";
  for (const [word, what] of [[base, "file"], [dir, "folder"]] as const) {
    if (!word) continue;
    const f = familyByLooseName(word) ?? familyByLooseName(word.replace(/1$/, ""));
    if (f) return { families: [f], via: "path", detail: `the ${what} name \`${word}\`` };
  }
  return undefined;
}
