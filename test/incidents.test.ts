// Field incidents (issue 17; /work/shared/notes/field-incidents.md) mapped to the fixture that
// reproduces them and the rule that catches them, or marked missed with the reason. A fixture is a
// folder (test/incidents/<id>/ or a folder case of test/fixtures/, built in memory by the folder
// harness, its *.py files linted with the folder's config) or a Python file of test/fixtures/; its
// inline markers must equal the findings. A caught incident's rule must be among them at warning or
// above; a missed or avoided one must stay silent, so a rule that starts catching it fails this test
// until the table (and README's "Incidents normlint catches") says so.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lintFolder } from "../src/engine/folder";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, lintPython, type PythonParser } from "../src/engine/python";
import { LineIndex } from "../src/engine/util/text";
import { loadPythonWasm } from "../src/node/wasm";
import { loadFolderFixture } from "./harness/folder-fixture";
import { commentStyle, parseMarkers } from "./harness/markers";
import { REPO } from "./harness/cli";

type Incident =
  | { id: string; status: "caught"; fixture: string; rule: string }
  /** Static evidence exists but normlint does not see it: the fixture must stay silent. */
  | { id: string; status: "missed"; fixture?: string; reason: string }
  /** A false alarm normlint must not repeat: the fixture must stay silent. */
  | { id: string; status: "avoided"; fixture: string; reason: string };

export const INCIDENTS: Incident[] = [
  // Offset in code and kernels.
  { id: "linkedin/Liger-Kernel#74", status: "caught", fixture: "test/fixtures/norm-missing-unit-offset/liger_patch.py", rule: "norm-missing-unit-offset" },
  { id: "axolotl-ai-cloud/axolotl#1886", status: "caught", fixture: "test/fixtures/norm-missing-unit-offset/forward_patch_function.py", rule: "norm-missing-unit-offset" },
  { id: "vllm-project/vllm#3653", status: "caught", fixture: "test/fixtures/norm-missing-unit-offset/custom_op_kernel_path.py", rule: "norm-missing-unit-offset" },
  {
    id: "pytorch/executorch#19901",
    status: "missed",
    reason: "the offset is a constructor flag (`add_unit_offset`) that one load path forgets to set; normlint does not follow which path builds the norm with which flag",
  },
  // Storage layouts: loaders, converters, sanitize().
  { id: "vllm-project/vllm#26189", status: "caught", fixture: "test/fixtures/offset-fold-missing/gguf_loader_no_unfold.py", rule: "offset-fold-missing" },
  { id: "vllm-project/vllm#31464", status: "caught", fixture: "test/incidents/vllm-31464", rule: "offset-fold-missing" },
  { id: "huggingface/transformers#35708", status: "caught", fixture: "test/incidents/transformers-35708", rule: "offset-fold-missing" },
  { id: "ml-explore/mlx-lm#1623", status: "caught", fixture: "test/fixtures/offset-transform-unguarded/mlx_sanitize_unguarded.py", rule: "offset-transform-unguarded" },
  { id: "ml-explore/mlx-lm#1623 (MTP keys as the guard)", status: "caught", fixture: "test/incidents/mlx-lm-1623-mtp-signal", rule: "offset-transform-unguarded" },
  { id: "Blaizzy/mlx-vlm#1528", status: "caught", fixture: "test/incidents/mlx-vlm-1528", rule: "offset-transform-unguarded" },
  {
    id: "raullenchai/Rapid-MLX#1233",
    status: "missed",
    fixture: "test/incidents/rapid-mlx-1233",
    reason: "a one-shot extraction that adds 1 whatever layout its input is in: the +1 is right for the family, and NL215 judges only load paths that run again (sanitize()) and in-place shifts",
  },
  { id: "NVIDIA-NeMo/Megatron-Bridge#1929", status: "caught", fixture: "test/fixtures/offset-transform-unguarded/in_place_bridge.py", rule: "offset-transform-unguarded" },
  { id: "NVIDIA-NeMo/Megatron-Bridge#1929 (through .data)", status: "caught", fixture: "test/incidents/megatron-bridge-1929-data", rule: "offset-transform-unguarded" },
  {
    id: "utensils/mold#1074 (as Python)",
    status: "missed",
    fixture: "test/incidents/converter-adds-twice",
    reason: "each +1 is judged alone and each is right for the family; two shifts on one path are not added up (mold itself is Rust)",
  },
  {
    id: "NVIDIA/Model-Optimizer#2276",
    status: "missed",
    reason: "an exporter guard that can never fire (it tests a flag the config never carries) needs the flag's provenance, which normlint does not track",
  },
  // Storage layouts: checkpoints.
  { id: "unslothai/unsloth-zoo#1095", status: "caught", fixture: "test/fixtures/checkpoint-norm-layout-mixed/trunk-double-mtp-single", rule: "checkpoint-norm-layout-mixed" },
  { id: "ggml-org/llama.cpp#23758", status: "caught", fixture: "test/incidents/llama-cpp-23758", rule: "checkpoint-norm-offset-mismatch" },
  { id: "Blaizzy/mlx-vlm#2114", status: "caught", fixture: "test/incidents/mlx-vlm-2114", rule: "checkpoint-norm-offset-mismatch" },
  {
    id: "ggml-org/llama.cpp#22565",
    status: "avoided",
    fixture: "test/fixtures/checkpoint-norm-offset-mismatch/clean-gguf-folded",
    reason: "a folded GGUF is judged in its own layout, never by raw ratios against safetensors",
  },
  {
    id: "NVIDIA-NeMo/NeMo#11951",
    status: "missed",
    fixture: "test/incidents/nemo-11951",
    reason: "a norm left at its init (zeros) is a healthy offset-family norm; only a role map of the converter would show it was never written",
  },
  // eps across artifacts, q/k norms.
  { id: "meta-llama/llama#771", status: "caught", fixture: "test/fixtures/params-config-eps-mismatch/meta-771", rule: "params-config-eps-mismatch" },
  { id: "ggml-org/llama.cpp#9310", status: "caught", fixture: "test/fixtures/gguf-eps-mismatch/llama-cpp-9310", rule: "gguf-eps-mismatch" },
  { id: "ggml-org/llama.cpp#28989", status: "caught", fixture: "test/fixtures/gguf-eps-mismatch/missing-key", rule: "gguf-eps-mismatch" },
  { id: "huggingface/transformers#38025", status: "caught", fixture: "test/fixtures/norm-eps-not-passed/not_passed.py", rule: "norm-eps-not-passed" },
  { id: "pytorch/pytorch#32137", status: "caught", fixture: "test/fixtures/eps-underflows-dtype/config-fp16-zero", rule: "eps-underflows-dtype" },
  { id: "PaddlePaddle/PaddleFormers#2998", status: "caught", fixture: "test/fixtures/qk-norm-config-mismatch/paddleformers-2998-glm4moe", rule: "qk-norm-config-mismatch" },
];

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([REPO]));
});

/** `severity:rule@file:line` of the markers and of the findings of one fixture. */
async function lintIncident(fixture: string): Promise<{ wanted: string[]; actual: string[] }> {
  const path = join(REPO, fixture);
  if (statSync(path).isDirectory()) {
    const fx = loadFolderFixture(path, parser);
    const wanted: string[] = [];
    for (const [file, text] of fx.raw) for (const m of parseMarkers(text, commentStyle(file)).expected) wanted.push(`${m.severity}:${m.rule}@${file}:${m.line}`);
    const { findings } = await lintFolder(fx.input, () => defaultSettings());
    const actual = [...findings, ...fx.codeFindings].map((f) => {
      const spec = fx.specFor.get(f.file) ?? f.file;
      return `${f.severity}:${f.rule}@${spec}:${new LineIndex(fx.texts.get(spec) ?? "").position(f.start).line}`;
    });
    return { wanted: wanted.sort(), actual: actual.sort() };
  }
  const text = readFileSync(path, "utf8");
  const file = fixture.split("/").pop()!;
  const wanted = parseMarkers(text, "hash").expected.map((m) => `${m.severity}:${m.rule}@${file}:${m.line}`);
  const idx = new LineIndex(text);
  const actual = lintPython({ path: file, text }, defaultSettings(), parser).findings.map((f) => `${f.severity}:${f.rule}@${file}:${idx.position(f.start).line}`);
  return { wanted: wanted.sort(), actual: actual.sort() };
}

describe("field incidents", () => {
  it.each(INCIDENTS.filter((i) => i.fixture))("$id ($status)", async (incident) => {
    const { wanted, actual } = await lintIncident(incident.fixture!);
    expect(actual).toEqual(wanted);
    const loud = actual.filter((a) => !a.startsWith("info:"));
    if (incident.status === "caught") expect(loud.some((a) => a.includes(`:${incident.rule}@`)), `${incident.id}: no ${incident.rule} finding`).toBe(true);
    else expect(loud, `${incident.id} is ${incident.status}, yet normlint now reports it: update the table and README`).toEqual([]);
  });

  it("every folder of test/incidents/ reproduces an incident of the table", () => {
    const used = new Set(INCIDENTS.map((i) => i.fixture).filter(Boolean));
    const folders = readdirSync(join(REPO, "test", "incidents")).map((f) => `test/incidents/${f}`);
    expect(folders.filter((f) => !used.has(f))).toEqual([]);
    for (const i of INCIDENTS) if (i.fixture) expect(existsSync(join(REPO, i.fixture)), i.fixture).toBe(true);
  });

  it("README's 'Incidents normlint catches' lists the same incidents with the same verdicts", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const start = readme.indexOf("\n### Incidents normlint catches\n");
    expect(start, "README has no '### Incidents normlint catches' section").toBeGreaterThan(0);
    const rest = readme.slice(readme.indexOf("\n", start + 1) + 1);
    const end = rest.search(/^#{2,3} /m);
    const section = end < 0 ? rest : rest.slice(0, end);
    const rows = [...section.matchAll(/^\| ([^|]+?) \| (caught|missed|avoided)\b/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows.sort()).toEqual(INCIDENTS.map((i) => `${i.id} ${i.status}`).sort());
  });
});
