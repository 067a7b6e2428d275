// WebGPU in Node through Dawn (the `webgpu` npm package), for the CLI and the tests. Without a GPU,
// Dawn can run on SwiftShader's Vulkan ICD: install Debian's chromium and set
// VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (../shared/notes/webgpu-on-cpu.md).
// The Vulkan loader reads that variable itself; here it is checked first, so a wrong path is
// reported as such rather than as "no adapter".
import { existsSync } from "node:fs";
import { type AcquireOptions, acquireGpu, type GpuAcquisition } from "./runner";

export interface NodeGpuOptions extends AcquireOptions {
  /** A Vulkan ICD manifest to use instead of $VK_ICD_FILENAMES (set before Dawn starts). */
  icd?: string;
  /** Extra Dawn options, as for `create()` (e.g. "backend=vulkan"). */
  dawn?: string[];
}

export type NodeGpuAcquisition = GpuAcquisition & {
  /** The ICD manifest in effect, if any. */
  icd?: string;
  /** Destroys the device (Dawn's GPU object stays referenced until the process exits). */
  release(): void;
};

const SWIFTSHADER_HINT =
  "for a CPU adapter on Debian: apt-get install chromium libvulkan1, then set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json";

// Every Dawn GPU object this process created, held until the process exits: letting one be
// garbage-collected (after its device was destroyed) crashed the process natively at a random
// later moment, in a test run about one time in three. An instance costs little to keep.
const live = new Set<unknown>();

/** Loads Dawn and acquires a device in stages (see acquireGpu), with Node-specific reasons. */
export async function acquireNodeGpu(options: NodeGpuOptions = {}): Promise<NodeGpuAcquisition> {
  const icd = options.icd ?? process.env.VK_ICD_FILENAMES;
  const fail = (stage: "no-webgpu" | "no-adapter", reason: string): NodeGpuAcquisition => ({ ok: false, stage, reason, icd, release() {} });
  if (icd) {
    const missing = icd.split(":").filter((p) => p && !existsSync(p));
    if (missing.length) return fail("no-adapter", `VK_ICD_FILENAMES names ${missing.join(", ")}, which does not exist (${SWIFTSHADER_HINT})`);
    process.env.VK_ICD_FILENAMES = icd;
  }
  let dawn: { create(flags: string[]): GPU; globals: object };
  try {
    // A computed specifier keeps bundlers from inlining the package: it carries a native addon
    // that must load from node_modules at run time.
    const specifier = "webgpu";
    dawn = await import(/* @vite-ignore */ specifier);
  } catch (e) {
    return fail("no-webgpu", `the webgpu package (Dawn for Node) could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
  // GPUBufferUsage and friends, for code that expects them as globals; never overwrite a host's own.
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
  let gpu: GPU | undefined = dawn.create(options.dawn ?? []);
  live.add(gpu);
  const result = await acquireGpu(gpu, options);
  const release = () => {
    if (result.ok) result.device.destroy();
    gpu = undefined;
  };
  if (!result.ok) {
    release();
    const hint = result.stage === "no-adapter" ? ` (${icd ? `VK_ICD_FILENAMES=${icd}` : "VK_ICD_FILENAMES is not set"}; ${SWIFTSHADER_HINT})` : "";
    return { ...result, reason: result.reason + hint, icd, release() {} };
  }
  return { ...result, icd, release };
}
