// `normlint verify <model-folder>`: the Norm Lab's comparison in the terminal. Reads config.json and
// the safetensors norm tensors (ranged reads), runs the declared convention and the alternative on
// the GPU through Dawn (the `webgpu` package), verifies every output against the float64
// reference, and prints the verdict with the figures. Without an adapter (or with --cpu) it runs
// the reference on CPU and says why, labelled "CPU (not GPU-verified)".
//
// Exit codes: 0 the weights fit the declared convention (or nothing decides), 1 a convention
// mismatch or a GPU result that failed verification, 2 a usage error or an unreadable folder.
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { readModelFolder } from "../engine/folder";
import { cpuExec, type LabExec, type LabInput, labInput, type LabResult, percent, runComparison } from "../engine/lab";
import { planComparison, readActivationRows, readLabTensors } from "../engine/lab-plan";
import { type Dtype, DTYPES } from "../engine/numerics/norms";
import { createPythonParser, lintPython, type ModuleAnalysis, type PythonParser } from "../engine/python";
import { defaultSettings } from "../engine/settings";
import { gpuExec } from "../gpu/lab-exec";
import { acquireNodeGpu } from "../gpu/node";
import { type FileAccess, nodeAccess } from "../node/access";
import { HubError, type HubOptions, type HubRepo, openHubRepo, parseHubTarget } from "../node/hub/index";
import { formatBytes } from "../engine/io";
import { type FileByteSource, openFileSource } from "../node/bytes";
import { FOLDER_CAPS, type ModelFolderRead, overCap, readModelFolderInput } from "../node/folder";
import { loadPythonWasm } from "../node/wasm";

const USAGE = "usage: normlint verify <model-folder|hf://owner/name[@revision]> [--json] [--rows N] [--seed S] [--scale X] [--dtype f32|bf16|f16] [--activations <file.safetensors>:<tensor>] [--cpu]\n";

export interface VerifyJson {
  folder: string;
  backend: { kind: "gpu"; adapter: string; fallbackAdapter: boolean } | { kind: "cpu"; reason: string };
  label: string;
  result: LabResult;
  problems: string[];
}

function positiveInt(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65536) throw new Error(`--${name} must be an integer from 1 to 65536, not ${v}`);
  return n;
}

/** Runs `normlint verify`; `args` are the arguments after `verify`. */
export async function verifyCommand(args: string[], out: (s: string) => void, err: (s: string) => void, hubOptions: HubOptions = {}): Promise<number> {
  let values: { json?: boolean; rows?: string; seed?: string; scale?: string; dtype?: string; activations?: string; cpu?: boolean; help?: boolean };
  let positionals: string[];
  let rows: number;
  let seed: number;
  let scale: number;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: "boolean" }, rows: { type: "string" }, seed: { type: "string" }, scale: { type: "string" }, dtype: { type: "string" }, activations: { type: "string" }, cpu: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    }));
    if (values.help) return out(USAGE), 0;
    if (positionals.length !== 1) throw new Error(positionals.length ? "verify takes one model folder" : "verify needs a model folder");
    rows = positiveInt("rows", values.rows, 8);
    seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed must be an integer from 0 to 4294967295, not ${values.seed}`);
    scale = values.scale === undefined ? 1 : Number(values.scale);
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`--scale must be a positive number, not ${values.scale}`);
    if (values.dtype !== undefined && !(DTYPES as readonly string[]).includes(values.dtype)) throw new Error(`--dtype must be one of ${DTYPES.join(", ")}, not ${values.dtype}`);
    if (values.activations !== undefined && !/^.+\.safetensors:.+$/.test(values.activations)) throw new Error(`--activations takes <file.safetensors>:<tensor>, not ${values.activations}`);
  } catch (e) {
    err(`normlint verify: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const dir = positionals[0];
  // A Hub target is read through the Hub's FileAccess (src/node/hub): the same reader, ranged GETs.
  let hub: HubRepo | undefined;
  let access: FileAccess = nodeAccess;
  try {
    const target = parseHubTarget(dir);
    if (target) {
      hub = await openHubRepo(target, hubOptions);
      access = hub.access;
    }
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    err(`normlint verify: ${dir}: ${e.message}\n`);
    return 2;
  }
  // The reader every face shares (src/node/folder.ts): regular files only, the same caps, no open
  // that waits, so a FIFO named config.json is a message, not a hang.
  let read: ModelFolderRead;
  try {
    read = await readModelFolderInput(hub ? hub.dir : dir, access, hub ? { display: (l) => hub.display(l) } : {});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err(`normlint verify: cannot read ${dir}: ${code === "ENOTDIR" ? "not a folder" : (code ?? (e as Error).message)}\n`);
    return 2;
  }
  try {
    return await verifyFolder(dir, read, access, values, { rows, seed, scale }, out, err, hub);
  } finally {
    if (hub) {
      const s = hub.stats();
      err(`normlint verify: ${dir}: commit ${hub.commit.slice(0, 12)}, ${s.requests} requests, ${formatBytes(s.bytes)} fetched${s.cachedReads ? ` (${s.cachedReads} reads from cache)` : ""}${hub.offline ? " (offline, from cache)" : ""}\n`);
    }
  }
}

type VerifyValues = { activations?: string; cpu?: boolean; dtype?: string; json?: boolean };

async function verifyFolder(
  dir: string,
  read: ModelFolderRead,
  access: FileAccess,
  values: VerifyValues,
  { rows, seed, scale }: { rows: number; seed: number; scale: number },
  out: (s: string) => void,
  err: (s: string) => void,
  hub: HubRepo | undefined,
): Promise<number> {

  const release: Array<() => void> = [];
  try {
    const input = read.input;
    if (read.problems.length) {
      for (const p of read.problems) err(`normlint verify: cannot read ${p.path}: ${p.error}\n`);
      return 2;
    }
    if (!input.config && !input.gguf.length) {
      err(`normlint verify: ${dir} has no config.json (nor a GGUF file with its own metadata), so there is no declared convention to verify\n`);
      return 2;
    }
    if (!input.safetensors.length && !input.gguf.length) {
      err(`normlint verify: ${dir} has no .safetensors or .gguf files (PyTorch files are never unpickled)\n`);
      return 2;
    }
    const folder = await readModelFolder(input);
    const opened = [...input.safetensors, ...input.gguf];
    const { tensors, problems } = await readLabTensors(folder, (file) => opened.find((o) => o.path === file)?.source);
    let picked: LabInput | undefined;
    if (values.activations) {
      const acts = await readActivations(values.activations, rows);
      if (typeof acts === "string") {
        err(`normlint verify: --activations: ${acts}\n`);
        return 2;
      }
      picked = acts;
    }
    const modules = await readModules(read.code, problems, access);
    const plan = planComparison(folder, tensors, { rows, seed, scale, dtype: values.dtype as Dtype | undefined }, modules);
    problems.push(...plan.notes);

    let exec: LabExec = cpuExec;
    let backend: VerifyJson["backend"];
    if (values.cpu) backend = { kind: "cpu", reason: "--cpu was given" };
    else {
      const gpu = await acquireNodeGpu();
      release.push(() => gpu.release());
      if (gpu.ok) {
        exec = gpuExec(gpu.device);
        backend = { kind: "gpu", adapter: gpu.info.label, fallbackAdapter: gpu.info.fallback };
      } else backend = { kind: "cpu", reason: `no WebGPU device (${gpu.stage}): ${gpu.reason}` };
    }
    const result = await runComparison(plan, exec, picked);
    // A failed Hub read became a "could not read" note in the engine: the verdict would rest on
    // missing tensors, so the run stops with the Hub's error instead.
    const failure = hub?.failure();
    if (failure) {
      err(`normlint verify: ${dir}: ${failure.message}\n`);
      return 2;
    }
    const label = result.backend === "gpu" ? (result.verified ? "GPU-verified" : "GPU, NOT verified") : "CPU (not GPU-verified)";
    if (values.json) {
      const json: VerifyJson = { folder: dir, backend, label, result, problems };
      out(`${JSON.stringify(json, null, 2)}\n`);
    } else out(formatText(dir, backend, label, result, problems));
    const mismatch = result.verdict.kind === "offset-missing" || result.verdict.kind === "offset-twice" || result.verdict.kind === "double-shift" || !!result.verdict.implementationDiffers;
    const failed = result.backend === "gpu" && !result.verified;
    return mismatch || failed ? 1 : result.verdict.kind === "no-tensors" ? 2 : 0;
  } catch (e) {
    err(`normlint verify: ${(e as Error).message}\n`);
    return 2;
  } finally {
    for (const r of release) r();
    await read.close();
  }
}

/** `--activations <file.safetensors>:<tensor>`: its first `rows` rows as activations, or an error sentence. */
async function readActivations(arg: string, rows: number): Promise<LabInput | string> {
  const at = arg.lastIndexOf(".safetensors:") + ".safetensors".length;
  const file = arg.slice(0, at);
  const name = arg.slice(at + 1);
  let src: FileByteSource;
  try {
    src = await openFileSource(file);
  } catch (e) {
    return `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  try {
    const r = await readActivationRows(src, name, rows);
    return "error" in r ? `${file}: ${r.error}` : labInput(`\`${name}\` in ${file}`, r.data, r.shape);
  } finally {
    await src.close();
  }
}

/**
 * The analyses of the folder's modeling code (*.py), whose norm classes say which convention the
 * code implements. The parser (tree-sitter wasm) is created only when there is Python to read; a
 * file that cannot be read or parsed is a note, not a failure.
 */
async function readModules(code: ModelFolderRead["code"], problems: string[], access: FileAccess): Promise<ModuleAnalysis[]> {
  const py = code.filter((c) => c.kind === "python");
  if (!py.length) return [];
  let parser: PythonParser;
  try {
    parser = await createPythonParser(loadPythonWasm([__dirname]));
  } catch (e) {
    problems.push(`the modeling code was not read: ${(e as Error).message}`);
    return [];
  }
  const modules: ModuleAnalysis[] = [];
  try {
    for (const f of py) {
      const name = basename(f.path);
      const read = await access.read(f.location, FOLDER_CAPS.file);
      if (!read.bytes) {
        problems.push(`${name} was not read: ${read.error ?? overCap(read.size, FOLDER_CAPS.file)}`);
        continue;
      }
      try {
        const r = lintPython({ path: f.path, bytes: read.bytes }, defaultSettings(), parser, { prefilter: true });
        if (r.module) modules.push(r.module);
      } catch (e) {
        problems.push(`${name}: ${(e as Error).message}`);
      }
    }
  } finally {
    parser.dispose();
  }
  return modules;
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(2)) : String(x);
}

function formatText(dir: string, backend: VerifyJson["backend"], label: string, r: LabResult, problems: string[]): string {
  const p = r.plan;
  const lines: string[] = [];
  lines.push(`normlint verify ${dir}`);
  lines.push(`  family: ${p.family ?? "unknown"} (${p.declaredText}); eps ${p.eps}; cast order ${p.precision.cast}; ${p.precision.dtype}`);
  if (p.layout) lines.push(`  layout: ${p.layout}`);
  lines.push(`  stored weights: ${p.stored} (${p.storedReason})`);
  const impl = r.tensors.find((t) => t.implemented)?.implemented;
  if (impl) lines.push(`  modeling code: ${impl.variant}${p.implementedText ? ` (${p.implementedText})` : ""}`);
  lines.push(r.activations ? `  activations: ${r.activations}` : `  activations: ${p.rows} rows of N(0, ${p.scale}), seed ${p.seed}`);
  lines.push(backend.kind === "gpu" ? `  backend: GPU ${backend.adapter}${backend.fallbackAdapter ? " (a CPU fallback adapter)" : ""}` : `  backend: CPU (not GPU-verified): ${backend.reason}`);
  lines.push("");
  for (const t of r.tensors) {
    const base = t.baseline === "declared" ? "declared" : "the weights' convention";
    const code = t.implemented && t.implemented.variant !== t.declared ? `; implemented ${t.implemented.variant}: rel L2 ${percent(t.implemented.relL2)} of ${base}` : "";
    lines.push(`  ${t.name} [${t.hidden}] ${t.declared} vs ${t.alternative} (${t.alternativeLabel}): rel L2 ${percent(t.relL2)} of ${base}, cosine ${fmt(t.cosine, 4)}, max diff ${fmt(t.maxAbsDiff)}; weights near 0: ${percent(t.histogram.fracNear0)}, near 1: ${percent(t.histogram.fracNear1)}${code}`);
    if (t.verification) {
      lines.push(`    declared:    ${t.verification.declared.text}`);
      lines.push(`    alternative: ${t.verification.alternative.text}`);
    }
  }
  for (const pr of problems) lines.push(`  note: ${pr}`);
  lines.push("");
  if (r.worst) lines.push(`  ${label}: worst ${fmt(r.worst.maxUlp, 2)} ULP, max abs ${r.worst.maxAbs.toExponential(2)}, max rel ${r.worst.maxRel.toExponential(2)} over ${r.tensors.length * 2} runs in ${r.ms.toFixed(0)} ms`);
  else lines.push(`  ${label}: ${r.tensors.length * 2} runs in ${r.ms.toFixed(0)} ms`);
  lines.push(`  verdict: ${r.verdict.text}`);
  return `${lines.join("\n")}\n`;
}
