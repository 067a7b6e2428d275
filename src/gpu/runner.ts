/// <reference types="@webgpu/types" />
// Runs the norm kernels on any WebGPU implementation: the browser's `navigator.gpu` (the Norm Lab
// webview) or Dawn's `webgpu` package in Node (src/gpu/node.ts: the CLI and the tests). Nothing
// here touches node:* or the DOM beyond the WebGPU interfaces, so the webview bundles it as is.
//
// Acquisition goes in stages and says which one failed, because the fix differs: no WebGPU at all
// (a browser flag, `code --enable-unsafe-webgpu`), no adapter (no driver, or a blocklisted one),
// a device request that fails, a device lost, or a kernel that does not compile or computes
// wrong numbers on this adapter.
import { checkNormInput, type NormShape, type NormVariant, normShape, type Precision, variantLabel } from "../engine/numerics/norms";
import { decodeF16 } from "../engine/numerics/dtypes";
import { toF16Bits } from "../engine/numerics/reference";
import { verifyNorm } from "../engine/numerics/verify";
import { CAST_CODE, type KernelStorage, shaderSource, storageBytes, storageDtype, WEIGHT_CODE } from "./shaders";

export type { KernelStorage } from "./shaders";

// The spec's GPUBufferUsage and GPUMapMode values, so the runner needs no globals installed.
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ = 0x1;
const COMPUTE = 0x4;

export type GpuStage = "no-webgpu" | "no-adapter" | "device-request-failed" | "device-lost" | "kernel-failed";

/** Thrown when WebGPU cannot run the kernels; `stage` says where it stopped. */
export class GpuUnavailableError extends Error {
  constructor(
    readonly stage: GpuStage,
    message: string,
  ) {
    super(message);
    this.name = "GpuUnavailableError";
  }
}

export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** One line for reports, e.g. "google swiftshader (subzero)". */
  label: string;
  shaderF16: boolean;
  /** A fallback (CPU) adapter, such as SwiftShader. */
  fallback: boolean;
  maxStorageBufferBindingSize: number;
  maxInvocationsPerWorkgroup: number;
}

export type GpuAcquisition =
  | { ok: true; device: GPUDevice; adapter: GPUAdapter; info: GpuInfo }
  | { ok: false; stage: GpuStage; reason: string };

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Ask for shader-f16 when the adapter has it (default true). */
  f16?: boolean;
  /** Run a small norm on the device and check it against the reference (default true). */
  smokeTest?: boolean;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message || e.name : String(e);
}

function adapterInfo(adapter: GPUAdapter, device: GPUDevice): GpuInfo {
  const i = (adapter as { info?: GPUAdapterInfo }).info;
  const vendor = i?.vendor ?? "";
  const architecture = i?.architecture ?? "";
  const dev = i?.device ?? "";
  const description = i?.description ?? "";
  const label = [description || [vendor, architecture].filter(Boolean).join(" ") || "unknown adapter", dev && !description.includes(dev) ? `(${dev})` : ""].filter(Boolean).join(" ");
  return {
    vendor,
    architecture,
    device: dev,
    description,
    label,
    shaderF16: device.features.has("shader-f16"),
    fallback: isFallback(device) || i?.isFallbackAdapter === true,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
  };
}

function isFallback(device: GPUDevice): boolean {
  return (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo?.isFallbackAdapter === true;
}

const lostDevices = new WeakMap<GPUDevice, string>();

/** Records the device's loss so later runs fail with the reason instead of hanging. */
function watchLoss(device: GPUDevice): void {
  device.lost.then((info) => {
    lostDevices.set(device, `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ""})`);
  });
}

/**
 * WebGPU from `gpu` (`navigator.gpu`, or Dawn's GPU object in Node) to a device that has run a
 * norm kernel correctly, or the stage that failed and why.
 */
export async function acquireGpu(gpu: GPU | undefined | null, options: AcquireOptions = {}): Promise<GpuAcquisition> {
  if (!gpu) return { ok: false, stage: "no-webgpu", reason: "WebGPU is not available here (navigator.gpu is undefined)" };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  } catch (e) {
    return { ok: false, stage: "no-adapter", reason: `requestAdapter() failed: ${errorText(e)}` };
  }
  if (!adapter) return { ok: false, stage: "no-adapter", reason: "requestAdapter() returned null: WebGPU found no usable GPU adapter (no driver, or one the browser blocks)" };
  const features: GPUFeatureName[] = options.f16 !== false && adapter.features.has("shader-f16") ? ["shader-f16"] : [];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: features,
      // The largest buffers the adapter allows, so long rows and many rows fit in one binding.
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
  } catch (e) {
    return { ok: false, stage: "device-request-failed", reason: `requestDevice() failed: ${errorText(e)}` };
  }
  watchLoss(device);
  const info = adapterInfo(adapter, device);
  if (options.smokeTest !== false) {
    try {
      await smokeTest(device);
    } catch (e) {
      const stage = e instanceof GpuUnavailableError ? e.stage : "kernel-failed";
      device.destroy();
      return { ok: false, stage, reason: errorText(e) };
    }
  }
  return { ok: true, device, adapter, info };
}

/** Runs one small LayerNorm with bias in f32 and in bf16 and checks both against the reference. */
async function smokeTest(device: GPUDevice): Promise<void> {
  const x = Float32Array.from({ length: 2 * 5 }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 3));
  const weight = Float32Array.of(1, 0.5, -2, 1.25, 0.75);
  const bias = Float32Array.of(0, 0.1, -0.2, 0.3, 1);
  for (const precision of [{ dtype: "f32", cast: "gemma" }, { dtype: "bf16", cast: "llama" }] as const) {
    const input = { x, weight, bias, hidden: 5, eps: 1e-5 };
    const { out } = await runNorm(device, { variant: "layernorm", precision, ...input });
    const v = verifyNorm(out, "layernorm", precision, input);
    if (!v.verified) throw new GpuUnavailableError("kernel-failed", `the norm kernel computes wrong results on this adapter (${precision.dtype}: ${v.failure})`);
  }
}

export interface NormRunRequest {
  variant: NormVariant | NormShape;
  precision: Precision;
  /** Rows of `hidden` activations, row after row. */
  x: Float32Array;
  hidden: number;
  eps: number;
  weight?: Float32Array;
  bias?: Float32Array;
  /** Force a storage (say `f16` to test the emulated path on an adapter with shader-f16). */
  storage?: KernelStorage;
  /** Force the threads per workgroup (a power of two within the device's limit); default workgroupSizeFor(hidden). */
  workgroupSize?: number;
}

export interface NormRunResult {
  /** The outputs: values of the precision's dtype, as float32. */
  out: Float32Array;
  storage: KernelStorage;
  rows: number;
  workgroupSize: number;
  /** Dispatches (more than one when the rows exceed one storage binding). */
  dispatches: number;
  /** Wall time of upload, kernel and read-back. */
  ms: number;
}

/**
 * Threads per workgroup: about four elements each, a power of two from 32 to `limit` (256 on a
 * GPU). A fallback (CPU) adapter such as SwiftShader runs a workgroup on one core, four lanes at
 * a time, switching between all of them at every barrier; there the runner caps this at 32, which
 * runs 2-7x faster than 256 and still sums at most 1,024 values per thread at 32,768 (4 threads
 * would sum 8,192 and lose accuracy: 15 ULP measured).
 */
export function workgroupSizeFor(hidden: number, limit = 256): number {
  let wg = 32;
  while (wg < 256 && wg * 2 <= limit && wg * 4 < hidden) wg *= 2;
  return Math.min(wg, limit);
}

interface Prepared {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  out: GPUBuffer;
  readback: GPUBuffer;
  grid: [number, number];
  outBytes: number;
  buffers: GPUBuffer[];
}

/**
 * Runs norm kernels on one device, caching shader modules and pipelines. Get one with
 * `normRunner(device)`; the device belongs to the caller. Calls run one at a time, in order:
 * WebGPU's error scopes are per device, so overlapping calls would read each other's errors.
 */
export class NormRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly layout: GPUBindGroupLayout;
  private readonly empty: GPUBuffer;
  private readonly maxWorkgroup: number;

  constructor(readonly device: GPUDevice) {
    this.maxWorkgroup = Math.min(isFallback(device) ? 32 : 256, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
    this.layout = device.createBindGroupLayout({
      label: "normlint norm",
      entries: [
        { binding: 0, visibility: COMPUTE, buffer: { type: "uniform" } },
        { binding: 1, visibility: COMPUTE, buffer: { type: "read-only-storage" } },
        { binding: 2, visibility: COMPUTE, buffer: { type: "read-only-storage" } },
        { binding: 3, visibility: COMPUTE, buffer: { type: "read-only-storage" } },
        { binding: 4, visibility: COMPUTE, buffer: { type: "storage" } },
      ],
    });
    // Bound in place of an absent weight or bias; the kernel never reads it.
    this.empty = device.createBuffer({ label: "normlint empty", size: 16, usage: USAGE.STORAGE });
  }

  /** The storage a dtype runs in on this device: native f16 when the device has shader-f16. */
  storageFor(dtype: Precision["dtype"]): KernelStorage {
    return dtype === "f16" && this.device.features.has("shader-f16") ? "f16-native" : dtype;
  }

  private assertAlive(): void {
    const lost = lostDevices.get(this.device);
    if (lost) throw new GpuUnavailableError("device-lost", lost);
  }

  private async module(kernel: "norm" | "quantize", storage: KernelStorage): Promise<GPUShaderModule> {
    const key = `${kernel}/${storage}`;
    let m = this.modules.get(key);
    if (!m) {
      m = this.device.createShaderModule({ label: `normlint ${key}`, code: shaderSource(kernel, storage) });
      const info = await m.getCompilationInfo();
      const errors = info.messages.filter((msg) => msg.type === "error");
      if (errors.length) {
        throw new GpuUnavailableError("kernel-failed", `WGSL ${key} does not compile: ${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join("; ")}`);
      }
      this.modules.set(key, m);
    }
    return m;
  }

  private pipeline(storage: KernelStorage, shape: NormShape, precision: Precision, wg: number): Promise<GPUComputePipeline> {
    // In f32 the cast orders differ only in where fp32 rounds, which fp32 arithmetic does anyway:
    // one pipeline serves all three.
    const cast = storage === "f32" ? "gemma" : precision.cast;
    const key = `${storage}|${shape.center}|${shape.weight}|${shape.bias}|${cast}|${wg}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = (async () => {
        const module = await this.module("norm", storage);
        return this.device.createComputePipelineAsync({
          label: `normlint norm ${key}`,
          layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout] }),
          compute: {
            module,
            entryPoint: "main",
            constants: { CENTER: shape.center ? 1 : 0, WEIGHT: WEIGHT_CODE[shape.weight], BIAS: shape.bias ? 1 : 0, CAST: CAST_CODE[cast], WG: wg },
          },
        });
      })();
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  private upload(data: Float32Array, storage: KernelStorage, label: string): GPUBuffer {
    const payload: Float32Array | Uint16Array = storage === "f16-native" ? toF16Bits(data) : data;
    const size = align4(payload.byteLength);
    const buffer = this.device.createBuffer({ label, size: Math.max(size, 4), usage: USAGE.STORAGE | USAGE.COPY_DST, mappedAtCreation: true });
    const range = buffer.getMappedRange();
    if (payload instanceof Uint16Array) new Uint16Array(range, 0, payload.length).set(payload);
    else new Float32Array(range, 0, payload.length).set(payload);
    buffer.unmap();
    return buffer;
  }

  private async prepare(req: NormRunRequest, shape: NormShape, storage: KernelStorage, rowStart: number, rows: number, wg: number): Promise<Prepared> {
    const { device } = this;
    const h = req.hidden;
    const pipeline = await this.pipeline(storage, shape, req.precision, wg);
    const maxX = device.limits.maxComputeWorkgroupsPerDimension;
    const gridX = Math.min(rows, maxX);
    const grid: [number, number] = [gridX, Math.ceil(rows / gridX)];
    const params = device.createBuffer({ label: "normlint params", size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST, mappedAtCreation: true });
    const pv = new DataView(params.getMappedRange());
    pv.setUint32(0, rows, true);
    pv.setUint32(4, h, true);
    pv.setFloat32(8, req.eps, true);
    pv.setUint32(12, gridX, true);
    params.unmap();
    const x = this.upload(req.x.subarray(rowStart * h, (rowStart + rows) * h), storage, "normlint x");
    const buffers = [params, x];
    const weight = shape.weight !== "none" && req.weight ? this.upload(req.weight, storage, "normlint weight") : this.empty;
    const bias = shape.bias && req.bias ? this.upload(req.bias, storage, "normlint bias") : this.empty;
    if (weight !== this.empty) buffers.push(weight);
    if (bias !== this.empty) buffers.push(bias);
    const outBytes = align4(rows * h * storageBytes(storage));
    const out = device.createBuffer({ label: "normlint y", size: outBytes, usage: USAGE.STORAGE | USAGE.COPY_SRC });
    const readback = device.createBuffer({ label: "normlint readback", size: outBytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    buffers.push(out, readback);
    const bindGroup = device.createBindGroup({
      layout: this.layout,
      entries: [params, x, weight, bias, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return { pipeline, bindGroup, out, readback, grid, outBytes, buffers };
  }

  private encode(p: Prepared, dispatches: number, readback: boolean): GPUCommandBuffer {
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, p.bindGroup);
    for (let i = 0; i < dispatches; i++) pass.dispatchWorkgroups(p.grid[0], p.grid[1]);
    pass.end();
    if (readback) enc.copyBufferToBuffer(p.out, 0, p.readback, 0, p.outBytes);
    return enc.finish();
  }

  /** Rows per dispatch: as many as one storage binding holds. */
  private rowsPerChunk(hidden: number, storage: KernelStorage): number {
    const rowBytes = hidden * storageBytes(storage);
    const max = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (rowBytes > max) throw new RangeError(`one row of ${hidden} values exceeds this device's largest storage binding (${max} bytes)`);
    return Math.floor(max / rowBytes);
  }

  private resolve(req: NormRunRequest): { shape: NormShape; rows: number; storage: KernelStorage; wg: number } {
    const shape = normShape(req.variant);
    const rows = checkNormInput(shape, req);
    return { shape, rows, ...this.kernelFor(req.precision, req.hidden, req.storage, req.workgroupSize) };
  }

  private kernelFor(precision: Precision, hidden: number, forced?: KernelStorage, wg?: number): { storage: KernelStorage; wg: number } {
    const storage = forced ?? this.storageFor(precision.dtype);
    if (storageDtype(storage) !== precision.dtype) throw new RangeError(`storage ${storage} does not hold ${precision.dtype}`);
    if (storage === "f16-native" && !this.device.features.has("shader-f16")) throw new RangeError("f16-native storage needs a device with shader-f16");
    const limit = Math.min(this.device.limits.maxComputeInvocationsPerWorkgroup, this.device.limits.maxComputeWorkgroupSizeX);
    if (wg !== undefined && (wg < 1 || wg > limit || (wg & (wg - 1)) !== 0)) throw new RangeError(`workgroup size ${wg} is not a power of two up to ${limit}`);
    return { storage, wg: wg ?? workgroupSizeFor(hidden, this.maxWorkgroup) };
  }

  /**
   * Compiles the pipeline a run would use without running it: a warm-up before timing, and a
   * check that the WGSL compiles on this device (the tests compile the native f16 kernels on
   * Dawn's null backend, which has shader-f16 but executes nothing).
   */
  compile(variant: NormVariant | NormShape, precision: Precision, hidden: number, storage?: KernelStorage): Promise<KernelStorage> {
    return this.serial(() => this.compileNow(variant, precision, hidden, storage));
  }

  private async compileNow(variant: NormVariant | NormShape, precision: Precision, hidden: number, storage?: KernelStorage): Promise<KernelStorage> {
    this.assertAlive();
    const shape = normShape(variant);
    const k = this.kernelFor(precision, hidden, storage);
    await this.guard(() => this.pipeline(k.storage, shape, precision, k.wg), variantLabel(shape));
    return k.storage;
  }

  /** Runs the norm over every row and reads the outputs back. */
  run(req: NormRunRequest): Promise<NormRunResult> {
    return this.serial(() => this.runNow(req));
  }

  private async runNow(req: NormRunRequest): Promise<NormRunResult> {
    const t0 = performance.now();
    this.assertAlive();
    const { shape, rows, storage, wg } = this.resolve(req);
    const h = req.hidden;
    const out = new Float32Array(rows * h);
    const chunk = this.rowsPerChunk(h, storage);
    let dispatches = 0;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const n = Math.min(chunk, rows - r0);
      const p = await this.guard(async () => {
        const prepared = await this.prepare(req, shape, storage, r0, n, wg);
        this.device.queue.submit([this.encode(prepared, 1, true)]);
        return prepared;
      }, variantLabel(shape));
      try {
        await this.mapRead(p.readback);
        const bytes = p.readback.getMappedRange();
        out.set(storage === "f16-native" ? decodeF16(new Uint8Array(bytes, 0, n * h * 2)) : new Float32Array(bytes, 0, n * h), r0 * h);
        p.readback.unmap();
      } finally {
        for (const b of p.buffers) b.destroy();
      }
      dispatches++;
    }
    return { out, storage, rows, workgroupSize: wg, dispatches, ms: performance.now() - t0 };
  }

  /**
   * Kernel time alone: the rows (which must fit one binding) are uploaded once, then `iterations`
   * dispatches run back to back in one submission. Returns milliseconds per dispatch.
   */
  time(req: NormRunRequest, iterations: number): Promise<{ msPerDispatch: number; storage: KernelStorage; workgroupSize: number }> {
    return this.serial(() => this.timeNow(req, iterations));
  }

  private async timeNow(req: NormRunRequest, iterations: number): Promise<{ msPerDispatch: number; storage: KernelStorage; workgroupSize: number }> {
    this.assertAlive();
    const { shape, rows, storage, wg } = this.resolve(req);
    if (rows > this.rowsPerChunk(req.hidden, storage)) throw new RangeError("time(): the rows must fit one storage binding");
    const p = await this.guard(() => this.prepare(req, shape, storage, 0, rows, wg), variantLabel(shape));
    try {
      // One warm-up dispatch, so pipeline creation and first-use costs stay out of the figure.
      this.device.queue.submit([this.encode(p, 1, false)]);
      await this.device.queue.onSubmittedWorkDone();
      const t0 = performance.now();
      this.device.queue.submit([this.encode(p, iterations, false)]);
      await this.device.queue.onSubmittedWorkDone();
      this.assertAlive();
      return { msPerDispatch: (performance.now() - t0) / iterations, storage, workgroupSize: wg };
    } finally {
      for (const b of p.buffers) b.destroy();
    }
  }

  /** Rounds f32 values to a dtype with the kernels' own rounding (quantize.wgsl). */
  quantize(values: Float32Array, storage: KernelStorage): Promise<Float32Array> {
    return this.serial(() => this.quantizeNow(values, storage));
  }

  private async quantizeNow(values: Float32Array, storage: KernelStorage): Promise<Float32Array> {
    this.assertAlive();
    const { device } = this;
    const count = values.length;
    const groups = Math.ceil(count / 64);
    const gx = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
    const module = await this.module("quantize", storage);
    const p = await this.guard(async () => {
      const pipeline = await device.createComputePipelineAsync({ layout: "auto", compute: { module, entryPoint: "quantize" } });
      const params = device.createBuffer({ size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
      device.queue.writeBuffer(params, 0, Uint32Array.of(count, 0, 0, 0));
      const input = this.upload(values, "f32", "normlint quantize in");
      const outBytes = align4(count * storageBytes(storage));
      const out = device.createBuffer({ size: Math.max(4, outBytes), usage: USAGE.STORAGE | USAGE.COPY_SRC });
      const readback = device.createBuffer({ size: Math.max(4, outBytes), usage: USAGE.MAP_READ | USAGE.COPY_DST });
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [params, input, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(gx, Math.ceil(groups / gx));
      pass.end();
      enc.copyBufferToBuffer(out, 0, readback, 0, Math.max(4, outBytes));
      device.queue.submit([enc.finish()]);
      return { readback, buffers: [params, input, out, readback] };
    }, "quantize");
    try {
      await this.mapRead(p.readback);
      const bytes = p.readback.getMappedRange();
      const result = storage === "f16-native" ? decodeF16(new Uint8Array(bytes, 0, count * 2)) : new Float32Array(bytes, 0, count).slice();
      p.readback.unmap();
      return result;
    } finally {
      for (const b of p.buffers) b.destroy();
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async mapRead(buffer: GPUBuffer): Promise<void> {
    try {
      await buffer.mapAsync(MAP_READ);
    } catch (e) {
      this.assertAlive();
      throw new GpuUnavailableError("kernel-failed", `reading the results back failed: ${errorText(e)}`);
    }
  }

  /** Runs `fn` inside validation and out-of-memory error scopes and turns their errors into exceptions. */
  private async guard<T>(fn: () => Promise<T>, what: string): Promise<T> {
    const { device } = this;
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      await device.popErrorScope();
      await device.popErrorScope();
      if (e instanceof GpuUnavailableError || e instanceof RangeError) throw e;
      this.assertAlive();
      throw new GpuUnavailableError("kernel-failed", `${what}: ${errorText(e)}`);
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    this.assertAlive();
    if (oom) throw new GpuUnavailableError("kernel-failed", `${what}: out of GPU memory: ${oom.message}`);
    if (validation) throw new GpuUnavailableError("kernel-failed", `${what}: ${validation.message}`);
    return value;
  }
}

const runners = new WeakMap<GPUDevice, NormRunner>();

/** The device's runner (one per device, so pipelines are compiled once). */
export function normRunner(device: GPUDevice): NormRunner {
  let r = runners.get(device);
  if (!r) {
    r = new NormRunner(device);
    runners.set(device, r);
  }
  return r;
}

/** Runs one norm computation on `device`; see NormRunner.run. */
export function runNorm(device: GPUDevice, req: NormRunRequest): Promise<NormRunResult> {
  return normRunner(device).run(req);
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
