// Assembles WGSL modules from the files in src/gpu/wgsl/: a dtype file first (the native f16 one
// opens with `enable f16;`, which WGSL wants before any declaration), then the rounding helpers,
// then the kernel. Host-agnostic: no node:*, usable from the webview bundle.
import { WGSL } from "./kernels";
import type { Dtype } from "../engine/numerics/norms";

/**
 * How a kernel stores a dtype. `f16-native` uses f16 buffers and needs the adapter's
 * `shader-f16`; `f16` and `bf16` keep f32 buffers holding f16/bf16 values (rounded in the kernel).
 */
export type KernelStorage = "f32" | "f16" | "bf16" | "f16-native";

export function storageDtype(s: KernelStorage): Dtype {
  return s === "f16-native" ? "f16" : s;
}

/** Bytes per element in the kernel's buffers. */
export function storageBytes(s: KernelStorage): number {
  return s === "f16-native" ? 2 : 4;
}

export function shaderSource(kernel: "norm" | "quantize", storage: KernelStorage): string {
  return [WGSL[`dtype-${storage}`], WGSL.rounding, WGSL[kernel]].join("\n");
}

/** Pipeline constants of norm.wgsl for a variant and cast order. */
export const CAST_CODE = { gemma: 0, llama: 1, torch: 2 } as const;
export const WEIGHT_CODE = { none: 0, plain: 1, offset: 2 } as const;
