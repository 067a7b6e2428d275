// Extracts every model type's norm facts from one transformers package folder with normlint's own
// Python analysis. Pure: the caller passes the files and the parser. Deterministic: model types in
// order, module trees in source order, no clocks.
import type { PythonParser } from "../../parsers/python";
import { allFields, type ConfigClass, configClasses, EPS_KEY, inheritedMap, NORM_KEY, splitKeys } from "./config";
import { type Edge, type FileFacts, fileFacts, type NormFacts, PASSED, pyFloat, torchLeaf } from "./modeling";
import { mappingPairs, Parsed, type SourceFiles } from "./source";
import type { Cite, ExtractedChoice, ExtractedClass, ExtractedFamily, Extraction } from "./types";

export type { SourceFiles } from "./source";
export type * from "./types";

export interface Pin {
  version: string;
  wheel?: string;
  sha256?: string;
}

/** Head classes whose module paths match checkpoint keys, most telling first. */
const ROOT_ORDER = [/ForCausalLM$/, /ForConditionalGeneration$/, /LMHeadModel$/, /ForMaskedLM$/, /ForPreTraining$/, /ForSpeechSeq2Seq$/, /ForCTC$/, /ForImageClassification$/, /ForSequenceClassification$/];
const NORM_NAME = /(Norm|Normalization|LayerNorm1P|Norm2d|NormGated)$/;
const MAX_DEPTH = 14;

interface Leaf {
  key: string;
  facts: NormFacts;
  from?: string;
}

export function extractKnowledge(files: SourceFiles, parser: PythonParser, pin: Pin): Extraction {
  const parse = (path: string): Parsed | undefined => {
    const text = files.read(path);
    return text === undefined ? undefined : new Parsed(path, text, parser);
  };
  const withParsed = <T>(path: string, f: (p: Parsed) => T): T | undefined => {
    const p = parse(path);
    if (!p) return undefined;
    try {
      return f(p);
    } finally {
      p.dispose();
    }
  };

  // The auto mappings: model_type -> config class, module folder, architectures.
  const autoConfig = files.read("models/auto/auto_mappings.py") !== undefined ? "models/auto/auto_mappings.py" : "models/auto/configuration_auto.py";
  const { configNames, special } = withParsed(autoConfig, (p) => ({
    configNames: mappingPairs(p, "CONFIG_MAPPING_NAMES"),
    special: new Map(mappingPairs(p, "SPECIAL_MODEL_TYPE_TO_MODULE_NAME").map((x) => [x.key, String(x.value)])),
  })) ?? { configNames: [], special: new Map<string, string>() };
  const arch = new Map<string, Map<string, Cite>>();
  const baseModel = new Map<string, string>();
  withParsed("models/auto/modeling_auto.py", (p) => {
    const names = [...p.text.matchAll(/^(\w+_MAPPING_NAMES)\s*=/gm)].map((m) => m[1]);
    for (const name of names) {
      for (const x of mappingPairs(p, name)) {
        const m = arch.get(x.key) ?? new Map<string, Cite>();
        for (const cls of Array.isArray(x.value) ? x.value : [x.value]) if (!m.has(cls)) m.set(cls, x.src);
        arch.set(x.key, m);
        if (name === "MODEL_MAPPING_NAMES" && !baseModel.has(x.key)) baseModel.set(x.key, Array.isArray(x.value) ? x.value[0] : x.value);
      }
    }
  });
  const typeOfConfig = new Map<string, string>();
  for (const x of configNames) if (!typeOfConfig.has(String(x.value))) typeOfConfig.set(String(x.value), x.key);
  const moduleOf = (t: string) => special.get(t) ?? t.replace(/-/g, "_");

  // Config classes and modeling classes of every model folder.
  const configs = new Map<string, ConfigClass[]>();
  const classFiles = new Map<string, string[]>();
  /** Model classes by the config class they declare (`config: XConfig`, `config_class = XConfig`). */
  const byConfig = new Map<string, string[]>();
  /** Model classes by the config class their constructor is annotated with. */
  const byInit = new Map<string, string[]>();
  const modelDirs = files.list("models").filter((d) => files.list(`models/${d}`).length > 0);
  for (const d of modelDirs) {
    const listed = files.list(`models/${d}`);
    // Sibling modules a modeling file imports its model classes from (IDEFICS's `from .vision import
    // IdeficsVisionTransformer`, `from .perceiver import ...`) hold model classes too; so do those remote
    // code imports absolutely, run with its folder on the path (Ming-Omni's `from qwen2_5_vit import ...`).
    const siblings = new Set(
      listed
        .filter((f) => /^modeling_\w+\.py$/.test(f))
        .flatMap((f) => [...(files.read(`models/${d}/${f}`) ?? "").matchAll(/^from \.?(\w+) import/gm)].map((m) => `${m[1]}.py`))
        .filter((f) => !/^(configuration|modeling)_/.test(f) && listed.includes(f)),
    );
    for (const f of listed) {
      const path = `models/${d}/${f}`;
      if (/^configuration_\w+\.py$/.test(f)) {
        for (const c of withParsed(path, configClasses) ?? []) configs.set(c.name, [...(configs.get(c.name) ?? []), c]);
      } else if (/^modeling_\w+\.py$/.test(f) || siblings.has(f)) {
        const text = files.read(path) ?? "";
        // Top-level classes, and those indented once: a module-level `if`/`else` block's (xLSTM's fallback classes).
        for (const m of text.matchAll(/^(?:class|( {4})class) (\w+)[^\n]*\n((?:(?:\1[ \t]+)[^\n]*\n|\n)*)/gm)) {
          classFiles.set(m[2], [...(classFiles.get(m[2]) ?? []), path]);
          const cfg = /^\s+(?:config: |config_class = )(\w+)\s*$/m.exec(m[3].slice(0, 2000))?.[1];
          if (cfg && !/PreTrainedModel$/.test(m[2])) byConfig.set(cfg, [...(byConfig.get(cfg) ?? []), m[2]]);
          // The constructor's annotation (`def __init__(self, config: Aimv2TextConfig)`): a sub-model with
          // no registered architecture that declares no config class of its own.
          const init = /^\s+def __init__\(\s*self,\s*config:\s*(\w+Config)\b/m.exec(m[3].slice(0, 8000))?.[1];
          if (init && !/PreTrainedModel$/.test(m[2])) byInit.set(init, [...(byInit.get(init) ?? []), m[2]]);
        }
      }
    }
  }
  const configByName = new Map<string, ConfigClass>();
  for (const [name, list] of configs) configByName.set(name, list[0]);
  const configFor = (cls: string, module: string) => configs.get(cls)?.find((c) => c.src.startsWith(`models/${module}/`)) ?? configs.get(cls)?.[0];

  /** A config class's sub-configs: the type each names, its default, and the type its model is built as. */
  function subConfigsOf(cfg: ConfigClass) {
    const subs = inheritedMap(cfg, configByName, (c) => c.subConfigs);
    const defaults = inheritedMap(cfg, configByName, (c) => c.subDefaults);
    return [...subs].sort().map(([key, v]) => {
      const t = typeOfConfig.get(v.class) ?? null;
      // A default given as the config class built from the dict (`MiniMaxM3VLTextConfig(**self.text_config)`).
      const d0 = t === null ? defaults.get(key) : undefined;
      const d = d0 && /Config$/.test(d0.modelType) ? (typeOfConfig.has(d0.modelType) ? { ...d0, modelType: typeOfConfig.get(d0.modelType)! } : undefined) : d0;
      // A config class outside the auto config mapping that names its own model type, registered
      // with a model class (VibeVoiceAcousticTokenizerEncoderConfig: `vibevoice_acoustic_tokenizer_encoder`).
      const own = configByName.get(v.class)?.modelType;
      return { key, class: v.class, src: v.src, modelType: t, default: d, resolved: t ?? d?.modelType ?? (own && baseModel.has(own) ? own : null) };
    });
  }
  /** The sub-config keys of a model type's config, for the models built inside one of its sub-models. */
  const subKeysMemo = new Map<string, Map<string, { class: string; modelType: string | null }>>();
  const subKeysOfType = (t: string) => {
    if (!subKeysMemo.has(t)) {
      const name = configNames.find((x) => x.key === t)?.value;
      const cfg = name === undefined ? undefined : configFor(String(name), moduleOf(t));
      subKeysMemo.set(t, new Map((cfg ? subConfigsOf(cfg) : []).map((x) => [x.key, { class: x.class, modelType: x.resolved }])));
    }
    return subKeysMemo.get(t)!;
  };

  const facts = new Map<string, FileFacts>();
  const factsOf = (path: string): FileFacts | undefined => {
    if (!facts.has(path)) {
      const f = withParsed(path, fileFacts);
      if (!f) return undefined;
      facts.set(path, f);
    }
    return facts.get(path);
  };
  const kernels = hubKernels(files);

  /** The file defining a class, preferring one named in the import path, then the given folder. */
  const fileOfClass = (cls: string, hint?: string, module?: string): string | undefined => {
    const list = classFiles.get(cls);
    if (!list?.length) return undefined;
    const mod = hint ? /(?:^|\.)(modeling_\w+)\.\w+$/.exec(hint)?.[1] : undefined;
    const dir = hint ? /(?:^|\.)(\w+)\.modeling_\w+\.\w+$/.exec(hint)?.[1] : undefined;
    return (
      list.find((f) => mod && dir && f === `models/${dir}/${mod}.py`) ??
      list.find((f) => mod && f.endsWith(`/${mod}.py`) && (!module || f.startsWith(`models/${module}/`))) ??
      list.find((f) => mod && f.endsWith(`/${mod}.py`)) ??
      list.find((f) => module && f.startsWith(`models/${module}/`)) ??
      list[0]
    );
  };

  const families: ExtractedFamily[] = [];
  for (const { key: modelType, value } of [...configNames].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const module = moduleOf(modelType);
    const configName = String(value);
    const fam: ExtractedFamily = { modelType, module, eps: {}, normKeys: {}, arch: {}, classes: [] };
    const gaps: string[] = [];
    const cfg = configFor(configName, module);
    const subKeys = new Map<string, { class: string; modelType: string | null }>();
    if (cfg) {
      fam.config = { class: cfg.name, src: cfg.src };
      const { eps, normKeys } = splitKeys(allFields(cfg, configByName));
      fam.eps = eps;
      fam.normKeys = normKeys;
      const amap = inheritedMap(cfg, configByName, (c) => c.attributeMap);
      const normMap = [...amap].filter(([k, v]) => EPS_KEY.test(k) || EPS_KEY.test(v) || NORM_KEY.test(k) || NORM_KEY.test(v)).sort();
      if (normMap.length) fam.attributeMap = Object.fromEntries(normMap);
      const subs = subConfigsOf(cfg);
      if (subs.length) {
        fam.sub = {};
        for (const { key, class: cls, src, modelType: t, default: d, resolved } of subs) {
          fam.sub[key] = { class: cls, modelType: t === modelType ? null : t, src, ...(d ? { default: d } : {}) };
          subKeys.set(key, { class: cls, modelType: resolved });
        }
      }
      const flat = cfg.flatSub ?? [...cfg.bases].map((b) => configByName.get(b)?.flatSub).find((x) => x);
      if (flat) fam.flatSub = flat;
    } else gaps.push(`config class ${configName} not found in models/${module}/configuration_*.py`);
    const archs = arch.get(modelType) ?? new Map<string, Cite>();
    fam.arch = Object.fromEntries([...archs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

    // The root the module paths start from.
    const candidates = [...archs.keys()].filter((a) => classFiles.has(a));
    const base = baseModel.get(modelType);
    let root: string | undefined;
    for (const re of ROOT_ORDER) {
      root = candidates.filter((a) => re.test(a)).sort()[0];
      if (root) break;
    }
    root ??= base && classFiles.has(base) ? base : candidates.sort()[0];
    // A sub-config type with no architecture of its own (clip_vision_model): the model class that
    // declares its config class, a plain `...Model` first.
    if (!root) {
      const own = byConfig.get(configName) ?? [];
      root = own.filter((c) => /Model$/.test(c) && !/For/.test(c)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1))[0] ?? [...own].sort()[0];
    }
    // Else the whole-model class whose constructor takes that config (`Aimv2TextModel`, `DiaEncoder`),
    // never a layer or attention class that takes it too.
    if (!root) {
      const shortest = (re: RegExp) => (byInit.get(configName) ?? []).filter((c) => re.test(c) && !/For/.test(c)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1))[0];
      root = shortest(/Model$/) ?? shortest(/(Encoder|Decoder|Transformer)$/);
    }
    // Else transformers' naming: `BlipTextConfig` configures `BlipTextModel` (`ClvpEncoderConfig`,
    // `ClvpEncoder`), when that class is defined in the type's own folder and takes `config` first.
    if (!root && /Config$/.test(configName)) {
      const base = configName.slice(0, -"Config".length);
      root = [`${base}Model`, base].find((c) => (classFiles.get(c) ?? []).some((f) => f.startsWith(`models/${module}/`) && new RegExp(`^class ${c}\\b[^\\n]*\\n(?:[ \\t]+[^\\n]*\\n|\\n)*?[ \\t]+def __init__\\(\\s*self,\\s*config\\b`, "m").test(files.read(f) ?? "")));
    }
    // Else the class a model of the folder builds from the sub-config this config is
    // (`self.vision_tower = Florence2VisionBackbone(config=config.vision_config)` where Florence2Config's
    // `vision_config` is a Florence2VisionConfig), first in source order.
    if (!root) {
      const keys = new Set([...configs.values()].flat().filter((c) => c.src.startsWith(`models/${module}/`)).flatMap((c) => [...c.subConfigs].filter(([, v]) => v.class === configName).map(([k]) => k)));
      for (const f of keys.size ? files.list(`models/${module}`).filter((x) => /^modeling_\w+\.py$/.test(x)) : []) {
        for (const m of (files.read(`models/${module}/${f}`) ?? "").matchAll(/\b([A-Z]\w*)\(\s*(?:config\s*=\s*)?(?:self\.)?config\.(\w+)\s*[,)]/g)) {
          if (keys.has(m[2]) && (classFiles.get(m[1]) ?? []).some((p) => p.startsWith(`models/${module}/`))) {
            root = m[1];
            break;
          }
        }
        if (root) break;
      }
      // Else the class built with that sub-config's fields passed one by one (IDEFICS:
      // `perceiver_config = config.perceiver_config` then `IdeficsPerceiverResampler(config, ...,
      // perceiver_config.resampler_depth, ...)`), first in source order.
      for (const f of keys.size && !root ? files.list(`models/${module}`).filter((x) => /^modeling_\w+\.py$/.test(x)) : []) {
        root = builtFromFields(files.read(`models/${module}/${f}`) ?? "", keys, (c) => (classFiles.get(c) ?? []).some((p) => p.startsWith(`models/${module}/`)));
        if (root) break;
      }
    }
    if (!root) {
      if (!classFiles.size || !files.list(`models/${module}`).some((f) => f.startsWith("modeling_"))) gaps.push(`no modeling file in models/${module}/`);
      else gaps.push("no registered architecture class is defined in a modeling file");
    } else {
      fam.root = root;
      const defaults = cfg ? allFields(cfg, configByName) : new Map();
      const found = walkTree(root, fileOfClass(root, undefined, module)!, subKeys, (k) => defaults.get(k)?.default);
      const byKey = new Map<string, ExtractedClass>();
      const byPath = new Map<string, Array<{ leaf: Leaf; edge: Edge }>>();
      for (const { path, leaf, edge } of found) {
        let c = byKey.get(leaf.key);
        if (!c) {
          const { epsDefault: _e, conditional: _c, flagDefaults: _f, ...rest } = leaf.facts;
          c = { ...rest, eps: [], at: [] };
          if (c.kernel) c.kernel = { ...c.kernel, layers: kernels.get(c.kernel.name)?.layers ?? [], ...(kernels.get(c.kernel.name) ? { registry: kernels.get(c.kernel.name)!.src } : {}) };
          if (leaf.from) c.from = leaf.from;
          byKey.set(leaf.key, c);
        }
        if (!c.at.includes(path)) c.at.push(path);
        const eps = edge.eps ?? leaf.facts.epsDefault;
        if (eps !== undefined && !c.eps.includes(eps)) c.eps.push(eps);
        if (eps !== undefined) (c.epsAt ??= {})[path] ??= eps;
        const list = byPath.get(path) ?? [];
        const same = list.findIndex((x) => x.leaf.key === leaf.key);
        if (same < 0) list.push({ leaf, edge });
        // Reached again under another condition (or none): built either way (Chameleon's two layer classes).
        else if (list[same].edge.when !== edge.when) list[same] = { leaf, edge: { ...list[same].edge, when: undefined } };
        byPath.set(path, list);
      }
      // Paths by eps only where a class is built with more than one (MLA's latent norms keep the class default).
      fam.classes = [...byKey.values()].map((c) => {
        const { epsAt, ...rest } = c;
        return c.eps.length > 1 && epsAt ? { ...rest, epsAt } : rest;
      });
      const choices: ExtractedChoice[] = [];
      for (const [at, list] of byPath) {
        if (list.length < 2 && !list.some((x) => x.edge.when)) continue;
        choices.push({
          at,
          options: list.map(({ leaf, edge }) => {
            const taken = edge.when ? holds(edge.when, (k) => defaults.get(k)?.default) : undefined;
            return { name: leaf.facts.name, ...(edge.when ? { when: edge.when } : {}), ...(taken !== undefined ? { byDefault: taken } : {}), src: edge.src };
          }),
        });
      }
      if (choices.length) fam.choices = choices;
      if (!fam.classes.length) gaps.push(`no norm reached from ${root}`);
    }
    if (gaps.length) fam.gaps = gaps;
    families.push(fam);
  }
  return {
    meta: {
      package: "transformers",
      version: pin.version,
      ...(pin.wheel ? { wheel: pin.wheel } : {}),
      ...(pin.sha256 ? { sha256: pin.sha256 } : {}),
      citations: `path:line is src/transformers/<path> of transformers ${pin.version}${pin.wheel ? ` as shipped in the wheel ${pin.wheel} (sha256 ${pin.sha256})` : ""}; a wheel has no git commit, its version and hash are the pin`,
      modelTypes: families.length,
    },
    families,
  };

  /** Every norm reachable from a class through `self.<slot> = ...`, with its module path. */
  function walkTree(rootCls: string, rootFile: string, subKeys: Map<string, { class: string; modelType: string | null }>, configDefault: (key: string) => unknown) {
    const out: Array<{ path: string; leaf: Leaf; edge: Edge }> = [];
    // A norm inside a module built under a condition (`ChameleonSwinDecoderLayer if config.swin_norm`)
    // is built under that condition too, unless its own construction names one.
    // `bind`: the class's `__init__` arguments as its construction passes them (or their defaults);
    // `keys`: the sub-config keys of the model whose config the class reads.
    const visit = (cls: string, file: string, prefix: string, stack: string[], dflt: (key: string) => unknown, when: Edge["when"], bind: Map<string, string>, keys = subKeys) => {
      if (stack.length > MAX_DEPTH || stack.includes(`${file}::${cls}`)) return;
      const ff = factsOf(file);
      if (!ff) return;
      const next = [...stack, `${file}::${cls}`];
      for (const e0 of edgesOf(ff, cls)) {
        const e1 = e0.owner === cls ? bound(e0, bind, ff) : e0;
        const e = e1.when || !when ? e1 : { ...e1, when };
        const path = `${prefix}${e.slot}${e.indexed ? ".{N}" : ""}`;
        const passed = e.callee.startsWith(PASSED) ? passedModule(ff, e, bind) : { ff, e };
        if (!passed) continue;
        const target = resolve(passed.ff, passed.e, keys, dflt);
        if (!target) continue;
        if ("leaf" in target) out.push({ path, leaf: target.leaf, edge: e });
        // A sub-model reads its own config: its AutoModel slots name its own sub-configs (ColModernVBERT's
        // ModernVBERT builds its text model from ModernVBERT's text_config).
        else visit(target.cls, target.file, `${path}.`, next, target.modelType ? defaultsOfType(target.modelType) : dflt, e.when, bindingOf(passed.e, factsOf(target.file)?.initParams.get(target.cls), bind, passed.ff.initLocals.get(passed.e.owner)), target.modelType ? subKeysOfType(target.modelType) : keys);
      }
    };
    visit(rootCls, rootFile, "", [], configDefault, undefined, new Map());
    return out;
  }

  /**
   * What a construction passes for each `__init__` parameter of the class it builds: the argument
   * as written (a parameter of the enclosing class is replaced by what that one was passed), else the
   * default. Empty when the arguments cannot be matched (`*args`, `**kwargs`).
   */
  function bindingOf(e: Edge, params: Array<{ name: string; default?: string }> | undefined, outer: Map<string, string>, locals?: Map<string, string>): Map<string, string> {
    const out = new Map<string, string>();
    if (!params || !e.args) return out;
    params.forEach((x, i) => {
      const v = e.args!.keyword[x.name] ?? e.args!.positional[i];
      if (v === undefined) {
        if (x.default !== undefined) out.set(x.name, x.default);
      }
      // A local of the building class's `__init__` bound to a construction (xGen-MM's `vision_tokenizer`,
      // a ViT's `norm_layer = partial(...)`), which shadows a parameter of the same name.
      else if (/^\w+$/.test(v) && locals?.has(v)) out.set(x.name, locals.get(v)!);
      else if (/^\w+$/.test(v) && outer.has(v)) out.set(x.name, outer.get(v)!);
      else if (!/^\w+$/.test(v) || /^(True|False|None)$/.test(v)) out.set(x.name, v);
    });
    return out;
  }

  /**
   * A slot holding a module passed to `__init__` (`self.vision_tokenizer = vision_tokenizer`): the
   * construction the class was passed, `X(...)`, or a slot of one, `X(...).model` (the edge that builds
   * X's `model`). A parameter keeps its name down a chain of `super().__init__(name=name)` calls.
   */
  function passedModule(ff: FileFacts, e: Edge, bind: Map<string, string>): { ff: FileFacts; e: Edge } | undefined {
    const m = /^([A-Z]\w*)\(([^]*)\)(?:\.(\w+))?$/.exec(bind.get(e.callee.slice(PASSED.length)) ?? "");
    if (!m) return undefined;
    if (!m[3]) return { ff, e: { ...e, callee: m[1], args: argsOf(m[2]) } };
    const g = ff.classes.has(m[1]) ? ff : factsOf(fileOfClass(m[1], ff.imports.get(m[1])) ?? "");
    const inner = g ? edgesOf(g, m[1]).find((x) => x.slot === m[3]) : undefined;
    return g && inner ? { ff: g, e: { ...inner, slot: e.slot, indexed: e.indexed, ...(e.when ? { when: e.when } : {}) } } : undefined;
  }

  /** An edge whose bias/affine/eps is a parameter of its owner, with what the owner was passed. */
  function bound(e: Edge, bind: Map<string, string>, ff: FileFacts): Edge {
    if (!e.fromParam) return e;
    const out: Edge = { ...e };
    const key = (v: string) => /^(?:self\.)?config\.(\w+)$/.exec(v)?.[1];
    const { bias, affine, eps } = e.fromParam;
    const b = bias !== undefined ? bind.get(bias) : undefined;
    if (b === "False" || b === "True") out.bias = b === "True";
    else if (b && key(b)) out.biasKey = key(b);
    const a = affine !== undefined ? bind.get(affine) : undefined;
    if (a === "False" || a === "True") out.affine = a === "True";
    else if (a && key(a)) out.affineKey = key(a);
    const x = eps !== undefined ? bind.get(eps) : undefined;
    if (x && key(x)) out.eps = key(x);
    else if (x && /^[\d.]+(e-?\d+)?$/i.test(x) && Number.isFinite(Number(x))) out.eps = pyFloat(Number(x));
    // `norm_layer=partial(nn.LayerNorm, eps=1e-6)` (or a class) passed for the parameter the slot is built through.
    const l = e.fromParam.layer !== undefined ? /^(?:(?:functools\.)?partial\(\s*([\w.]+)\s*(?:,([^]*))?\)|([\w.]+))$/.exec(bind.get(e.fromParam.layer) ?? "") : undefined;
    if (l && (l[1] ?? l[3]) !== "None") {
      const [head, ...rest] = (l[1] ?? l[3]).split(".");
      out.callee = [ff.imports.get(head) ?? head, ...rest].join(".");
      const given = l[2] ? argsOf(l[2])?.keyword.eps : undefined;
      const kind = torchLeaf(out.callee);
      out.eps = given && Number.isFinite(Number(given)) ? pyFloat(Number(given)) : kind === "layer" || kind === "group" ? "1e-05" : undefined;
    }
    return out;
  }

  /** A class's slots, with those its local base classes build (super().__init__). */
  function edgesOf(ff: FileFacts, cls: string, depth = 0): Edge[] {
    // A slot built in the class wins over the same slot holding a passed module.
    const built = ff.edges.get(cls) ?? [];
    const own = [...built, ...(ff.passed.get(cls) ?? []).filter((e) => !built.some((b) => b.slot === e.slot))];
    if (depth > 4) return own;
    const out = [...own];
    for (const b of ff.bases.get(cls) ?? []) {
      const name = b.split(".").pop()!;
      const bf = ff.classes.has(name) ? ff : factsOf(fileOfClass(name, ff.imports.get(name)) ?? "");
      if (!bf || /PreTrainedModel$/.test(name)) continue;
      for (const e of edgesOf(bf, name, depth + 1)) if (!out.some((o) => o.slot === e.slot)) out.push(e);
    }
    return out;
  }

  /** A sub-model built through AutoModel reads its own config's defaults (ModernVBERT's text model: ModernBERT's norm_bias). */
  function defaultsOfType(t: string): (key: string) => unknown {
    const name = configNames.find((x) => x.key === t)?.value;
    const cfg = name === undefined ? undefined : configFor(String(name), moduleOf(t));
    const fields = cfg ? allFields(cfg, configByName) : new Map();
    return (k) => fields.get(k)?.default;
  }

  function resolve(ff: FileFacts, e0: Edge, subKeys: Map<string, { class: string; modelType: string | null }>, configDefault: (key: string) => unknown): { leaf: Leaf } | { cls: string; file: string; modelType?: string } | undefined {
    // `bias=config.norm_bias`: the construction as the config's default builds it.
    const e = { ...e0 };
    if (e.biasKey && configDefault(e.biasKey) === false) e.bias = false;
    if (e.affineKey && configDefault(e.affineKey) === false) e.affine = false;
    const callee = e.callee;
    const torch = torchLeaf(callee);
    if (torch) return { leaf: torchLeafOf(callee, torch, e) };
    const name = callee.split(".").pop()!;
    if (/^Auto(Model|Backbone)\w*$/.test(name) || name === "load_backbone") {
      const t = e.configKey ? subKeys.get(e.configKey)?.modelType ?? undefined : undefined;
      // A type registered only as a backbone (`pp_lcnet_v4`: PPLCNetV4Backbone) is built as that class.
      const cls = t ? baseModel.get(t) ?? [...(arch.get(t)?.keys() ?? [])].find((c) => /Backbone$/.test(c)) : undefined;
      const file = cls ? fileOfClass(cls, undefined, moduleOf(t!)) : undefined;
      return cls && file ? { cls, file, modelType: t } : undefined;
    }
    const local = ff.classes.has(name) && !callee.includes(".") ? ff : undefined;
    const imported = local ? undefined : ff.imports.get(callee) ?? ff.imports.get(name) ?? (callee.includes(".") ? callee : undefined);
    const torchImported = imported ? torchLeaf(imported) : undefined;
    if (imported && torchImported) return { leaf: torchLeafOf(imported, torchImported, e) };
    const file = local ? ff.path : fileOfClass(name, imported);
    const g = file ? factsOf(file) : undefined;
    if (g) {
      const n = g.norms.get(name);
      if (n && (n.params.length > 0 || !(g.edges.get(name)?.length))) {
        // `Gemma4RMSNorm(..., with_scale=False)`: a flag that switches off a conditional scale parameter.
        const off = Object.entries(e.flags ?? {}).find(([, v]) => !v)?.[0];
        const scale = n.scale ?? "weight";
        if (off && n.conditional?.includes(scale)) {
          const variant: NormFacts = { ...n, name: `${name}(${off}=False)`, params: n.params.filter((x) => !n.conditional!.includes(x)), init: "none", bias: n.bias && !n.conditional.includes("bias") };
          return { leaf: { key: `${g.path}::${variant.name}`, facts: variant, ...(g !== ff ? { from: g.path } : {}) } };
        }
        // `use_bias=config.use_bias` (default False), or the constructor's own `use_bias: bool = False`:
        // a conditional parameter whose flag is off as built is not created (xLSTM's RMSNorm has no bias).
        const flags: Record<string, boolean> = { ...n.flagDefaults, ...e.flags };
        for (const [k, key] of Object.entries(e.flagKeys ?? {})) {
          const v = configDefault(key);
          if (typeof v === "boolean") flags[k] = v;
          else delete flags[k];
        }
        const dropped = (n.conditional ?? []).filter((prm) => Object.entries(flags).some(([k, v]) => !v && (prm === "bias" ? /bias/.test(k) : /weight|scale|affine/.test(k) && prm === scale)));
        if (dropped.length) {
          const facts: NormFacts = { ...n, params: n.params.filter((x) => !dropped.includes(x)), bias: n.bias && !dropped.includes("bias"), ...(dropped.includes(scale) ? { init: "none" as const } : {}) };
          return { leaf: { key: `${g.path}::${name}::without ${dropped.join(",")}`, facts, ...(g !== ff ? { from: g.path } : {}) } };
        }
        return { leaf: { key: `${g.path}::${name}`, facts: n, ...(g !== ff ? { from: g.path } : {}) } };
      }
      // A class of the file that only subclasses another library's norm and builds nothing of its own
      // (Ultravox's `RMSNorm(transformers.models.llama.modeling_llama.LlamaRMSNorm)`): that norm, unseen.
      const base = !(g.edges.get(name)?.length) ? (g.bases.get(name) ?? []).find((b) => NORM_NAME.test(b.split(".").pop()!) && !g.classes.has(b)) : undefined;
      if (!base) return { cls: name, file: g.path };
      // Its own `eps: float = 1e-6` is the eps a construction without one gets.
      const leaf = externalNorm(name, base, e);
      const eps = g.initParams.get(name)?.find((x) => x.name === "eps")?.default;
      if (eps && Number.isFinite(Number(eps))) leaf.facts.epsDefault = pyFloat(Number(eps));
      return { leaf };
    }
    // A norm from another library (fla's FusedRMSNormGated): named, its code unseen.
    if (NORM_NAME.test(name)) return { leaf: externalNorm(name, imported, e) };
    return undefined;
  }

  /** A norm whose code is not in the package: named (its kind read from the name), nothing else known. */
  function externalNorm(name: string, from: string | undefined, e: Edge): Leaf {
    const base = (from ?? name).split(".").pop()!;
    const kind = /RMSNorm/i.test(base) ? (/Gated/.test(base) ? "rms-gated" : "rms") : /LayerNorm/i.test(base) ? "layer" : "other";
    const facts: NormFacts = { name, kind, offset: false, bias: false, init: "other", cast: "other", params: [], src: e.src };
    return { key: `external::${from ?? name}`, facts, from: from ?? "unresolved" };
  }
}

/** A call's argument text split at its top-level commas (`dim, eps=1e-6`); undefined with `*args`/`**kwargs`. */
export function argsOf(text: string): { positional: string[]; keyword: Record<string, string> } | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  const out = { positional: [] as string[], keyword: {} as Record<string, string> };
  for (const raw of parts.map((x) => x.trim()).filter((x) => x)) {
    if (raw.startsWith("*")) return undefined;
    const kw = /^(\w+)\s*=(?!=)\s*([^]*)$/.exec(raw);
    if (kw) out.keyword[kw[1]] = kw[2].trim();
    else out.positional.push(raw);
  }
  return out;
}

/**
 * Whether a construction's condition holds for the config's defaults: `config.k is not None`,
 * `config.k == "v"`, `config.k`, `not (...)`. Undefined when the condition is anything else.
 */
export function holds(cond: string, value: (key: string) => unknown): boolean | undefined {
  const c = cond.trim();
  const neg = /^not\s*\((.*)\)$/.exec(c) ?? /^not\s+(.*)$/.exec(c);
  if (neg) {
    const v = holds(neg[1], value);
    return v === undefined ? undefined : !v;
  }
  const m = /^(?:self\.)?config\.(\w+)(?:\s+(is not|is|==|!=)\s+(None|True|False|["'][^"']*["']|-?[\d.]+))?$/.exec(c);
  if (!m) return undefined;
  const v = value(m[1]);
  if (v === undefined) return undefined;
  if (!m[2]) return !!v;
  const rhs = m[3] === "None" ? null : m[3] === "True" ? true : m[3] === "False" ? false : /^["']/.test(m[3]) ? m[3].slice(1, -1) : Number(m[3]);
  const eq = v === rhs;
  return m[2] === "is" || m[2] === "==" ? eq : !eq;
}

/**
 * The first class (accepted by `ours`) whose construction reads fields of one of the sub-configs `keys`
 * in its arguments: `config.<key>.<field>`, or `<local>.<field>` after `<local> = config.<key>` earlier
 * in the same function.
 */
function builtFromFields(text: string, keys: Set<string>, ours: (cls: string) => boolean): string | undefined {
  const key = [...keys].map((k) => k.replace(/\W/g, "")).join("|");
  const direct = new RegExp(`(?:\\bself\\.|\\b)config\\.(?:${key})\\.\\w`);
  const aliases = [...text.matchAll(new RegExp(`^[ \\t]+(\\w+)\\s*=\\s*(?:self\\.)?config\\.(?:${key})[ \\t]*$`, "gm"))];
  for (const m of text.matchAll(/\b([A-Z]\w*)\(/g)) {
    if (!ours(m[1])) continue;
    const open = m.index! + m[0].length;
    let depth = 1;
    let end = open;
    while (end < text.length && depth > 0) {
      if (text[end] === "(") depth++;
      else if (text[end] === ")") depth--;
      end++;
    }
    const args = text.slice(open, end - 1);
    const local = aliases.filter((a) => a.index! < m.index! && !/^[ \t]*def /m.test(text.slice(a.index!, m.index!))).map((a) => a[1]);
    if (direct.test(args) || local.some((a) => new RegExp(`\\b${a}\\.\\w`).test(args))) return m[1];
  }
  return undefined;
}

function torchLeafOf(callee: string, kind: ReturnType<typeof torchLeaf> & string, e: Edge): Leaf {
  const bias = e.affine && e.bias && kind !== "rms";
  // Constructions without parameters, or without a bias, are told apart by name, as the shipped records do.
  const base = `nn.${callee.split(".").pop()}`;
  const short = !e.affine ? `${base}(${/Batch|Group|Instance/.test(base) ? "affine" : "elementwise_affine"}=False)` : e.affine && !e.bias && kind !== "rms" ? `${base}(bias=False)` : base;
  const facts: NormFacts = {
    name: short,
    kind,
    offset: false,
    bias,
    init: e.affine ? "ones" : "none",
    cast: "torch",
    params: e.affine ? (bias ? ["weight", "bias"] : ["weight"]) : [],
    src: e.src,
  };
  return { key: short, facts };
}

/** integrations/hub_kernels.py: kernel name -> the hub layers that replace a decorated forward. */
function hubKernels(files: SourceFiles): Map<string, { layers: string[]; src: Cite }> {
  const out = new Map<string, { layers: string[]; src: Cite }>();
  const path = "integrations/hub_kernels.py";
  const text = files.read(path);
  if (!text) return out;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s+)"(\w+)": \{\s*$/.exec(lines[i]);
    if (!m || out.has(m[2])) continue;
    const layers: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const indent = /^(\s*)/.exec(lines[j])![1].length;
      if (lines[j].trim() && indent <= m[1].length) break;
      const repo = /repo_id="([^"]+)"/.exec(lines[j]);
      const layer = /layer_name="([^"]+)"/.exec(lines[j + 1] ?? "") ?? /layer_name="([^"]+)"/.exec(lines[j]);
      if (repo && layer && !layers.includes(`${repo[1]}:${layer[1]}`)) layers.push(`${repo[1]}:${layer[1]}`);
    }
    if (layers.length) out.set(m[2], { layers: layers.sort(), src: `${path}:${i + 1}` });
  }
  return out;
}

/** One record per line after a meta line: a change to one family is a one-line diff. */
export function toJsonl(x: Extraction): string {
  return [JSON.stringify({ _meta: x.meta }), ...x.families.map((f) => JSON.stringify(ordered(f)))].join("\n") + "\n";
}

const FAMILY_KEYS = ["modelType", "module", "config", "eps", "normKeys", "attributeMap", "sub", "flatSub", "arch", "root", "classes", "choices", "gaps"];

/** Keys in one fixed order, so a record reads the same way every time. */
function ordered(f: ExtractedFamily): ExtractedFamily {
  const out: Record<string, unknown> = {};
  for (const k of FAMILY_KEYS) if ((f as unknown as Record<string, unknown>)[k] !== undefined) out[k] = (f as unknown as Record<string, unknown>)[k];
  return out as unknown as ExtractedFamily;
}

export function fromJsonl(text: string): Extraction {
  const lines = text.split("\n").filter((l) => l.trim());
  const meta = JSON.parse(lines[0])._meta;
  return { meta, families: lines.slice(1).map((l) => JSON.parse(l)) };
}
