// Remote-code families (a config.json with `auto_map`, loaded with trust_remote_code): their published
// configuration and modeling files extracted exactly as transformers' own, by presenting them as a
// one-model transformers package (the auto mappings written from the pinned entry), then citing the
// repository, commit and folder they were read at. Pure: the caller passes the file texts.
import type { PythonParser } from "../../parsers/python";
import { extractKnowledge } from "./index";
import type { Extraction } from "./types";

/** One entry of scripts/kb/remote.json. */
export interface RemoteEntry {
  modelType: string;
  repo: string;
  commit: string;
  /** The folder of the two files in the repository. */
  dir: string;
  config: string;
  modeling: string;
  /** Other files of the folder the modeling file imports from (`from .resampler import Resampler`). */
  modules?: string[];
  configClass: string;
  /** The classes `auto_map` registers, most telling first (a causal LM head before the bare model). */
  architectures: string[];
  hub?: string;
  /** Set when the files are a third-party project's vendored copy of the Hub files (no official
   *  repository and no mirror of the Hub repository carries them): says what was copied, so the
   *  citation does not pass the copy off as the Hub's own. */
  vendored?: string;
  /**
   * The modeling file read from another repository, at its own commit, where the published one is
   * out of reach (vLLM's port of Phi-3-small): `path` in `repo`, and what the file is. Its citations
   * name that repository; the config file's keep the entry's.
   */
  modelingFrom?: { repo: string; commit: string; path: string; what: string };
}

export function extractRemote(e: RemoteEntry, texts: { config: string; modeling: string; modules?: Record<string, string> }, parser: PythonParser): Extraction {
  const folder = `models/${e.modelType.replace(/-/g, "_")}`;
  const [head, ...rest] = e.architectures;
  const auto = `CONFIG_MAPPING_NAMES = OrderedDict([(${JSON.stringify(e.modelType)}, ${JSON.stringify(e.configClass)})])\n`;
  const bare = e.architectures.find((a) => /Model$/.test(a)) ?? head;
  const modelingAuto = [
    `MODEL_MAPPING_NAMES = OrderedDict([(${JSON.stringify(e.modelType)}, ${JSON.stringify(bare)})])`,
    // The head first: the extraction's root is the most telling registered class.
    ...[head, ...rest].filter((a) => a !== bare).map((a, i) => `MODEL_${i}_MAPPING_NAMES = OrderedDict([(${JSON.stringify(e.modelType)}, ${JSON.stringify(a)})])`),
  ].join("\n");
  // Relative imports (`from .configuration_chatglm import ChatGLMConfig`) resolve by class name. The
  // extraction reads files named as transformers names them (`configuration_*.py`, `modeling_*.py`);
  // a file named otherwise (Falcon's `modelling_RW.py`, Ultravox's `ultravox_model.py`, xGen-MM's config
  // classes inside `modeling_xgenmm.py`) is presented under such a name and cited by its own below.
  const stem = (f: string) => f.replace(/\.py$/, "").replace(/^(configuration|modell?ing)_/, "");
  const asConfig = /^configuration_/.test(e.config) ? e.config : `configuration_${stem(e.config)}.py`;
  const modeling = /^modeling_/.test(e.modeling) ? e.modeling : `modeling_${stem(e.modeling)}.py`;
  const shown: Record<string, string> = { [asConfig]: e.config, [modeling]: e.modeling };
  const files: Record<string, string> = {
    "models/auto/auto_mappings.py": auto,
    "models/auto/modeling_auto.py": `${modelingAuto}\n`,
    [`${folder}/${asConfig}`]: texts.config,
    [`${folder}/${modeling}`]: texts.modeling,
  };
  for (const m of e.modules ?? []) {
    const text = texts.modules?.[m];
    if (text === undefined) throw new Error(`${e.modelType}: the text of ${m} was not passed`);
    files[`${folder}/${m}`] = text;
  }
  const x = extractKnowledge(
    {
      list: (d) => [...new Set(Object.keys(files).filter((p) => p.startsWith(`${d}/`)).map((p) => p.slice(d.length + 1).split("/")[0]))].sort(),
      read: (p) => files[p],
    },
    parser,
    { version: e.commit.slice(0, 12) },
  );
  // Citations name the file in its repository folder; the registered classes cite their definitions.
  const classLine = (cls: string) => {
    const i = texts.modeling.search(new RegExp(`^class ${cls}\\b`, "m"));
    return i < 0 ? e.modeling : `${e.modeling}:${texts.modeling.slice(0, i).split("\n").length}`;
  };
  const families = x.families.map((f) => {
    const text = JSON.stringify({ ...f, arch: Object.fromEntries(Object.keys(f.arch).map((a) => [a, classLine(a)])) });
    let cited = text;
    for (const [as, own] of Object.entries(shown)) cited = cited.split(`"${folder}/${as}`).join(`"${own}`);
    // A modeling file from another repository is cited there, in full (the prefix is for the config's).
    if (e.modelingFrom) cited = cited.split(`"${e.modeling}`).join(`"${e.modelingFrom.repo}@${e.modelingFrom.commit}:${e.modelingFrom.path}`);
    return JSON.parse(cited.split(`"${folder}/`).join('"'));
  });
  return {
    meta: {
      package: "remote-code",
      version: e.commit.slice(0, 12),
      repo: e.repo,
      commit: e.commit,
      root: e.dir,
      citations: `path:line is ${e.dir}/<path> in ${e.repo} at commit ${e.commit}${e.vendored ? `, a vendored copy of ${e.vendored}` : e.hub ? `, the remote code of ${e.hub}` : ""}${e.modelingFrom ? `; citations naming ${e.modelingFrom.repo} are ${e.modelingFrom.what}` : ""}`,
      modelTypes: families.length,
    },
    families,
  };
}
