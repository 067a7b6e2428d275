import { ggufEpsKey, ggufEpsKind, ggufEpsSource } from "../../knowledge/gguf-eps";
import { epsDiffersAt, sameEpsAsFloat32 } from "../../numerics/eps";
import { defineRule, type FolderRuleContext, rangeOf } from "../../rule";
import { formatNumber } from "../../util/text";
import { configDtype, configMainEps, describeConfigEps } from "./shared";

type M = "mismatch" | "missing" | "wrongKey";

/**
 * ## What it does
 * Reads the norm eps a GGUF file's metadata holds under the key llama.cpp's runtime reads for the
 * file's architecture (`{arch}.attention.layer_norm_rms_epsilon` for RMSNorm models,
 * `{arch}.attention.layer_norm_epsilon` for LayerNorm ones; from llama.cpp's `load_hparams`), and
 * compares it with the eps the folder's `config.json` gives the family's main norms (the value it
 * sets, or the family's default). GGUF stores eps as float32, so `1e-6` and its float32 rounding
 * are the same eps. A warning; an error when the two eps give different results at the
 * resolution of the dtype the config declares (`torch_dtype`): the relative change of a norm's
 * output, `|eps1 - eps2| / (2 (ms + eps))` on rows with the smallest realistic mean square (4e-4,
 * embeddings at `initializer_range` 0.02), exceeds that dtype's unit roundoff. Also flags a GGUF
 * that lacks the key its architecture needs: llama.cpp refuses to load it. LoRA adapters and
 * vocab-only files hold no hyperparameters and are not checked, nor are architectures normlint
 * does not list (`clip` projectors, architectures newer than the llama.cpp commit it cites).
 *
 * ## Why is this bad?
 * llama.cpp uses the GGUF's eps for every norm, whatever config.json says. A GGUF converted from
 * another config, or edited by hand, normalizes differently from the checkpoint it came from
 * (Llama 2 7B's perplexity moved from 5.90 to 5.83 between eps 1e-6 and 1e-5, llama.cpp #2374).
 * A missing key (eps lost on the way into GGUF, llama.cpp #9310 and #28989) fails at load with
 * "key not found in model".
 *
 * ## Example
 * A `llama` GGUF with `llama.attention.layer_norm_rms_epsilon` = 1e-6 beside a config.json with
 * `"rms_norm_eps": 1e-05`.
 *
 * ## Use instead
 * Convert again from the right config.json (`convert_hf_to_gguf.py` writes its eps), or set the key
 * with `gguf_new_metadata.py`.
 */
export default defineRule<M, FolderRuleContext<M>>({
  name: "gguf-eps-mismatch",
  code: "NL312",
  severity: "warning",
  input: "folder",
  tags: ["checkpoint", "eps"],
  fix: "none",
  summary: "GGUF eps metadata that disagrees with config.json, or lacks the key llama.cpp reads",
  messages: {
    mismatch: "`{{key}}` = {{value}}, but {{source}}{{effect}}.",
    missing: "No `{{key}}` in this {{arch}} GGUF: llama.cpp reads its norm eps from that key and refuses the file without it (\"key not found in model\").",
    wrongKey: "This {{arch}} GGUF has `{{present}}` but not `{{key}}`, the key llama.cpp reads for {{arch}}: it refuses the file (\"key not found in model\").",
  },
  check(ctx) {
    const { folder } = ctx;
    const expected = configMainEps(folder);
    const dtype = configDtype(folder);
    for (const c of folder.checkpoints) {
      const meta = c.gguf?.metadata;
      const arch = meta?.get("general.architecture")?.value;
      if (!meta || typeof arch !== "string") continue;
      // LoRA adapters (`general.type` "adapter") and vocab-only files (no tensors: llama.cpp's
      // ggml-vocab-*.gguf) carry an architecture but no hyperparameters; llama.cpp reads no eps there.
      const type = meta.get("general.type")?.value;
      if ((typeof type === "string" && type !== "model") || c.gguf!.tensors.length === 0) continue;
      const kind = ggufEpsKind(arch);
      if (kind !== "rms" && kind !== "layer") continue;
      const key = ggufEpsKey(arch, kind);
      const kv = meta.get(key);
      if (!kv) {
        const other = meta.get(ggufEpsKey(arch, kind === "rms" ? "layer" : "rms"));
        const at = meta.get("general.architecture")!;
        ctx.report({
          messageId: other ? "wrongKey" : "missing",
          file: c.path,
          at: { start: at.offset, end: at.offset + "general.architecture".length },
          data: { key, arch, present: other?.key ?? "" },
          related: [{ file: c.path, message: `llama.cpp reads \`${key}\` for ${arch} (${ggufEpsSource(arch)})` }],
        });
        continue;
      }
      const value = typeof kv.value === "number" ? kv.value : undefined;
      if (value === undefined || !expected || !folder.configPath || sameEpsAsFloat32(value, expected.value)) continue;
      const changes = dtype !== undefined && epsDiffersAt(value, expected.value, dtype.format);
      const effect = changes
        ? `; at ${dtype.format} (config \`${dtype.key}\`) the two eps give different norm outputs`
        : dtype
          ? ""
          : "; config.json declares no dtype to judge the numeric effect";
      ctx.report({
        messageId: "mismatch",
        file: c.path,
        at: { start: kv.offset, end: kv.offset + key.length },
        severity: changes ? "error" : undefined,
        data: { key, value: formatNumber(Number(value.toPrecision(7))), source: describeConfigEps(folder, expected, formatNumber), effect },
        related: [
          expected.node
            ? { file: folder.configPath, at: rangeOf(expected.node), message: `\`${expected.key}\` is set here` }
            : { file: folder.configPath, at: folder.anchor.range, message: `the config names ${folder.family?.modelType} and does not set \`${expected.key}\`` },
        ],
      });
    }
  },
});
