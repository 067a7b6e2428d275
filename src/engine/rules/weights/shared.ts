// Helpers the eps and q/k norm folder rules share: the dtype config.json says the model runs in,
// and the eps config.json gives the family's main norms.
import type { Node } from "jsonc-parser";
import { mainNormClasses, type ModelFolder } from "../../folder-model";
import { type FloatFormat, floatFormat } from "../../numerics/eps";
import { nodeValue, property } from "../../parsers/json";
import { sameNumber } from "../modeling/shared";

/**
 * The dtype config.json declares (`torch_dtype`, or `dtype` as transformers 5 writes it): the text
 * sub-config's first, then the root's. Undefined for `"auto"`, a missing key or an unknown name.
 */
export function configDtype(folder: ModelFolder): { format: FloatFormat; key: string; node: Node } | undefined {
  const config = folder.config;
  if (!config) return undefined;
  const scopes = [folder.textScope, config.scopes[0]].filter((s, i, all) => s && all.indexOf(s) === i);
  for (const scope of scopes) {
    for (const key of ["torch_dtype", "dtype"]) {
      const prop = property(scope!.node, key);
      const format = prop ? floatFormat(nodeValue(config.doc, prop.valueNode)) : undefined;
      if (prop && format) return { format, key, node: prop.valueNode };
    }
  }
  return undefined;
}

export interface ConfigEps {
  key: string;
  value: number;
  /** The config sets the key (else `value` is the family's default). */
  set: boolean;
  /** The value's node, when set. */
  node?: Node;
}

/**
 * The eps config.json gives the family's main norms: the value it sets for their config key, else
 * the family's default. Undefined when the main norms read no single key (several keys with
 * different values, an eps fixed in code), or the value set is not a positive number (NL103's).
 */
export function configMainEps(folder: ModelFolder): ConfigEps | undefined {
  const fam = folder.family;
  if (!fam || !folder.config || fam.epsFixed !== undefined) return undefined;
  let keys = [...new Set(mainNormClasses(fam).flatMap((c) => c.eps).filter((k) => k in fam.eps))];
  if (!keys.length) keys = Object.keys(fam.eps);
  const found: ConfigEps[] = [];
  for (const key of keys) {
    const v = folder.textConfig[key];
    if (Object.hasOwn(folder.textConfig, key)) {
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return undefined;
      found.push({ key, value: v, set: true, node: property(folder.textScope?.node, key)?.valueNode });
    } else if (typeof fam.eps[key] === "number") found.push({ key, value: fam.eps[key] as number, set: false });
  }
  if (!found.length || !found.every((f) => sameNumber(f.value, found[0].value))) return undefined;
  return found.find((f) => f.set) ?? found[0];
}

/** "config.json sets `rms_norm_eps` = 1e-5" / "config.json does not set `rms_norm_eps` (llama's default 1e-5)". */
export function describeConfigEps(folder: ModelFolder, eps: ConfigEps, format: (n: number) => string): string {
  const file = folder.configPath ?? "config.json";
  return eps.set ? `${file} sets \`${eps.key}\` = ${format(eps.value)}` : `${file} does not set \`${eps.key}\` (${folder.family?.modelType} default ${format(eps.value)})`;
}
