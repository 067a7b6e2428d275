// The Norm Lab's GPU executor: runs a comparison's norms through the WGSL kernels on a device
// (Dawn in the CLI, navigator.gpu in the webview). runComparison verifies every output.
import type { LabExec } from "../engine/lab";
import { normRunner } from "./runner";

export function gpuExec(device: GPUDevice): LabExec {
  const runner = normRunner(device);
  return async (run) => {
    const r = await runner.run(run);
    return { out: r.out, backend: "gpu", ms: r.ms };
  };
}
