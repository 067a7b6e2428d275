import { nodeValue, property } from "../../parsers/json";
import { defineRule, type FolderRuleContext, rangeOf } from "../../rule";
import { formatNumber } from "../../util/text";
import { sameNumber } from "../modeling/shared";
import { configMainEps, describeConfigEps } from "./shared";

type M = "mismatch" | "unreadable";

/**
 * ## What it does
 * In a folder holding both Meta's `params.json` (the original checkpoint's config, `norm_eps`) and
 * a Hugging Face `config.json`, compares `norm_eps` with the eps config.json gives the family's
 * main norms (`rms_norm_eps` for Llama; the family's default when config.json does not set it).
 * The finding is on config.json's key, which is what transformers, vLLM and the GGUF converter
 * read; params.json's value is a related location. A params.json that is not valid JSON gets a
 * note at the first problem, since its eps could not be compared.
 *
 * ## Why is this bad?
 * The two files describe one checkpoint, and only one of them was used in training. When they
 * disagree, the config.json that every Hugging Face loader reads may be the wrong one: in
 * meta-llama/llama #771 a published config.json carried an eps that differed from params.json,
 * which held the value the model was trained with. Each norm then normalizes slightly
 * differently from training, at every layer.
 *
 * ## Example
 * `params.json`: `"norm_eps": 1e-05`; `config.json`: `"rms_norm_eps": 1e-06`.
 *
 * ## Use instead
 * Set config.json's eps to the value the model was trained with (params.json's, for Meta's releases).
 */
export default defineRule<M, FolderRuleContext<M>>({
  name: "params-config-eps-mismatch",
  code: "NL313",
  severity: "warning",
  input: "folder",
  tags: ["config", "eps"],
  fix: "none",
  summary: "params.json's norm_eps and config.json's eps disagree in one folder",
  messages: {
    mismatch: "{{config}}, but {{params}} has `norm_eps` = {{paramsValue}}: the two configs of this checkpoint disagree on the norm eps.",
    unreadable: "{{params}} is not valid JSON ({{detail}}): its `norm_eps` was not compared with config.json's eps.",
  },
  check(ctx) {
    const { folder } = ctx;
    const params = folder.params;
    if (!params || !folder.configPath) return;
    if (params.problem) {
      ctx.report({ messageId: "unreadable", file: params.path, at: { start: params.problem.start, end: params.problem.end }, severity: "info", data: { params: params.path, detail: params.problem.detail } });
      return;
    }
    const root = params.doc?.root;
    if (!root || root.type !== "object") return;
    const prop = property(root, "norm_eps");
    const value = prop ? nodeValue(params.doc!, prop.valueNode) : undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return;
    const expected = configMainEps(folder);
    if (!expected || sameNumber(value, expected.value)) return;
    const config = describeConfigEps(folder, expected, formatNumber);
    ctx.report({
      messageId: "mismatch",
      file: folder.configPath,
      at: expected.node ? rangeOf(expected.node) : folder.anchor.range,
      data: { config, params: params.path, paramsValue: formatNumber(value) },
      related: [{ file: params.path, at: rangeOf(prop!.valueNode), message: "`norm_eps` is set here" }],
    });
  },
});
