// The config side: every configuration class of the package, with the keys it declares and their
// defaults (dataclass fields since transformers 5, `__init__` keyword defaults before), its
// attribute_map, its sub-configs and whether it builds a sub-config from the top-level keys.
import { field, namedChildren, type PyNode, walk } from "../../parsers/python";
import { literal, type Parsed, topClasses } from "./source";
import type { Cite, ExtractedValue } from "./types";

export interface ConfigClass {
  name: string;
  src: Cite;
  bases: string[];
  modelType?: string;
  fields: Map<string, ExtractedValue>;
  attributeMap: Map<string, string>;
  subConfigs: Map<string, { class: string; src: Cite }>;
  flatSub?: { key: string; src: Cite };
  /** The model type an `AutoConfig` sub-config defaults to (`CONFIG_MAPPING["llama"]()`). */
  subDefaults: Map<string, { modelType: string; src: Cite }>;
}

/** Eps keys: the config fields a norm's epsilon is read from. */
export const EPS_KEY = /^(eps|epsilon|.*_eps|.*_epsilon)$/i;
/** Other keys that choose or shape a norm (norm_type, use_qk_norm, apply_residual_connection_post_layernorm...). */
export const NORM_KEY = /norm|(^|_)ln(_|$)/i;

function dictPairs(p: Parsed, n: PyNode | undefined): Array<{ key: string; value: PyNode; at: PyNode }> {
  if (n?.type !== "dictionary") return [];
  return namedChildren(n)
    .filter((c) => c.type === "pair")
    .map((c) => ({ key: literal(p, field(c, "key")), value: field(c, "value")!, at: c }))
    .filter((x): x is { key: string; value: PyNode; at: PyNode } => typeof x.key === "string" && !!x.value);
}

export function configClasses(p: Parsed): ConfigClass[] {
  const out: ConfigClass[] = [];
  for (const { node, name } of topClasses(p)) {
    const cls: ConfigClass = {
      name,
      src: p.cite(node),
      bases: namedChildren(field(node, "superclasses")).filter((b) => b.type !== "keyword_argument").map((b) => p.text_(b).split(".").pop()!),
      fields: new Map(),
      attributeMap: new Map(),
      subConfigs: new Map(),
      subDefaults: new Map(),
    };
    const body = namedChildren(field(node, "body"));
    for (const st of body) {
      const a = st.type === "expression_statement" ? namedChildren(st)[0] : undefined;
      if (a?.type === "assignment") {
        const left = field(a, "left");
        const right = field(a, "right");
        const key = left?.type === "identifier" ? p.text_(left) : "";
        if (key === "model_type" && right) {
          const v = literal(p, right);
          if (typeof v === "string") cls.modelType = v;
        } else if (key === "attribute_map") {
          for (const e of dictPairs(p, right)) {
            const v = literal(p, e.value);
            if (typeof v === "string") cls.attributeMap.set(e.key, v);
          }
        } else if (key === "sub_configs") {
          for (const e of dictPairs(p, right)) cls.subConfigs.set(e.key, { class: p.text_(e.value).split(".").pop()!, src: p.cite(e.at) });
        } else if (field(a, "type") && key && !key.startsWith("_")) {
          // A dataclass field: `rms_norm_eps: float = 1e-6`.
          cls.fields.set(key, { default: right ? literal(p, right) : null, src: p.cite(a) });
        }
      }
    }
    const methods = body.map((st) => (st.type === "decorated_definition" ? field(st, "definition") : st)).filter((d): d is PyNode => d?.type === "function_definition");
    for (const m of methods) {
      const mname = p.text_(field(m, "name"));
      if (mname === "__init__") {
        for (const prm of namedChildren(field(m, "parameters"))) {
          if (prm.type !== "default_parameter" && prm.type !== "typed_default_parameter") continue;
          const key = p.text_(field(prm, "name"));
          if (key && key !== "self" && !cls.fields.has(key)) cls.fields.set(key, { default: literal(p, field(prm, "value")), src: p.cite(prm) });
        }
      }
      if (mname === "__init__" || mname === "__post_init__") {
        subDefaultsIn(p, m, cls);
        const flat = flatSubIn(p, m, cls);
        if (flat && !cls.flatSub) cls.flatSub = flat;
      }
    }
    out.push(cls);
  }
  return out;
}

/**
 * `self.text_config = CONFIG_MAPPING["llama"]()`, `text_config.get("model_type", "llama")`, a backbone's
 * `default_config_type`: the model type a sub-config takes when the file does not name one.
 */
function subDefaultsIn(p: Parsed, m: PyNode, cls: ConfigClass): void {
  const text = p.text_(m);
  // What a config.json's sub-config object becomes comes first (`.get("model_type", "x")`, a class
  // built from the dict); what the config builds when the key is absent (`CONFIG_MAPPING["llama"]()`) last.
  const res = [
    /(?:self\.)?(\w+)\.get\(\s*["']model_type["']\s*,\s*["']([\w-]+)["']\s*\)/g,
    /(?:self\.)?(\w+)\[\s*["']model_type["']\s*\]\s*=\s*["']([\w-]+)["']/g,
    /self\.(\w+)\s*=\s*(\w+Config)\(\s*\*\*\s*self\.\1\s*\)/g,
    /self\.(\w+)\s*=\s*CONFIG_MAPPING\[\s*["']([\w-]+)["']\s*\]/g,
    // `self.backbone_config, kwargs = consolidate_backbone_kwargs_to_config(..., default_config_type="dinov2")`
    // (backbone_utils.py): the default config type is built only when no `default_backbone` is named (a
    // named one becomes a timm or Hub backbone, which the file alone cannot tell).
    /self\.(\w+)\s*(?:,\s*\w+\s*)?=\s*consolidate_backbone_kwargs_to_config\(((?:(?!consolidate_backbone)[^)]){0,600}?)default_config_type\s*=\s*["']([\w-]+)["']/g,
  ];
  for (const re of res) {
    for (const hit of text.matchAll(re)) {
      const x = hit.length > 3 ? (/default_backbone\s*=\s*["']/.test(hit[2]) ? undefined : [hit[0], hit[1], hit[3]]) : hit;
      if (!x || !/_config$/.test(x[1]) || cls.subDefaults.has(x[1])) continue;
      cls.subDefaults.set(x[1], { modelType: x[2], src: p.cite(m.start + hit.index!) });
    }
  }
}

/**
 * `self.sub_configs["text_config"](**text_kwargs)` where `text_kwargs` is taken from `kwargs`
 * (`{key: kwargs.pop(key) for key in text_params ...}`), or `(**kwargs)` itself: the sub-config is built
 * from the top-level keys of a flat config file.
 */
function flatSubIn(p: Parsed, m: PyNode, cls: ConfigClass): { key: string; src: Cite } | undefined {
  const fromKwargs = new Set(["kwargs"]);
  // `text_config_class = self.sub_configs["text_config"]` (HunYuanVL): a name for the sub-config class.
  const aliases = new Map<string, string>();
  for (const n of walk(m)) {
    if (n.type !== "assignment" || field(n, "left")?.type !== "identifier") continue;
    const right = p.text_(field(n, "right"));
    if (/\bkwargs\b/.test(right)) fromKwargs.add(p.text_(field(n, "left")));
    const sub = /^(?:self\.|cls\.)?sub_configs\[\s*["'](\w+)["']\s*\]$/.exec(right);
    if (sub) aliases.set(p.text_(field(n, "left")), sub[1]);
  }
  for (const n of walk(m)) {
    if (n.type !== "call") continue;
    const fn = p.text_(field(n, "function"));
    const splat = namedChildren(field(n, "arguments")).find((a) => a.type === "dictionary_splat");
    const arg = splat ? p.text_(namedChildren(splat)[0]) : "";
    if (!fromKwargs.has(arg)) continue;
    const bySub = /sub_configs\[\s*["'](\w+)["']\s*\]$/.exec(fn);
    const key = bySub?.[1] ?? aliases.get(fn) ?? [...cls.subConfigs].find(([, v]) => v.class === fn)?.[0];
    if (key) return { key, src: p.cite(n) };
  }
  return undefined;
}

/** Every declared field of a class with those of its config ancestors (the class's own win). */
export function allFields(cls: ConfigClass, byName: Map<string, ConfigClass>, seen = new Set<string>()): Map<string, ExtractedValue> {
  seen.add(cls.name);
  const out = new Map<string, ExtractedValue>();
  for (const b of cls.bases) {
    const base = byName.get(b);
    if (base && !seen.has(b)) for (const [k, v] of allFields(base, byName, seen)) out.set(k, v);
  }
  for (const [k, v] of cls.fields) out.set(k, v);
  return out;
}

export function inheritedMap<T>(cls: ConfigClass, byName: Map<string, ConfigClass>, pick: (c: ConfigClass) => Map<string, T>, seen = new Set<string>()): Map<string, T> {
  seen.add(cls.name);
  const out = new Map<string, T>();
  for (const b of cls.bases) {
    const base = byName.get(b);
    if (base && !seen.has(b)) for (const [k, v] of inheritedMap(base, byName, pick, seen)) out.set(k, v);
  }
  for (const [k, v] of pick(cls)) out.set(k, v);
  return out;
}

export function splitKeys(fields: Map<string, ExtractedValue>): { eps: Record<string, ExtractedValue>; normKeys: Record<string, ExtractedValue> } {
  const eps: Record<string, ExtractedValue> = {};
  const normKeys: Record<string, ExtractedValue> = {};
  for (const k of [...fields.keys()].sort()) {
    const v = fields.get(k)!;
    if (EPS_KEY.test(k)) eps[k] = v;
    else if (NORM_KEY.test(k)) normKeys[k] = v;
  }
  return { eps, normKeys };
}
