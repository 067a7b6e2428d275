// Python files and notebooks linted on worker threads, one tree-sitter parser each, for runs over
// many files: parsing and analysing modeling code is most of a workspace run, and it is per file.
// The bundle is its own worker script (dist/cli.js started with workerData), so nothing else ships.
// Results travel back as plain data (findings and the text they refer to); a job whose worker
// fails is linted on the main thread instead, so a broken worker never loses a file.
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { FileSettings } from "../engine/settings";
import type { Finding } from "../engine/types";
import { createPythonParser, lintNotebook, lintPython, type PythonLintResult, type PythonParser } from "../engine/python";
import type { ModuleSummary } from "../engine/project/index";
import { notebookMapper } from "../node/notebook-map";
import { loadPythonWasm } from "../node/wasm";

export interface PythonJob {
  kind: "python" | "notebook";
  /** The displayed path (findings carry it). */
  path: string;
  bytes?: Uint8Array;
  size: number;
  settings: FileSettings;
  prefilter: boolean;
  /** The model type of the config.json governing the file's folder. */
  configModelType?: string;
}

export interface PythonJobResult {
  skipped: boolean;
  text: string;
  /** Notebook findings already mapped to the cell's position in the notebook JSON; not yet judged against the project. */
  findings: Finding[];
  /** What the file contributes to its project (src/engine/project). */
  summary?: ModuleSummary;
}

const WORKER_TAG = "normlint-python-worker";

/** Lints one file, on the main thread or a worker alike; notebook findings mapped into the .ipynb JSON. */
export function lintPythonJob(job: PythonJob, parser: PythonParser): { result: PythonLintResult; findings: Finding[] } {
  // Findings that depend on other files are judged once the whole run is summarised (main.ts).
  const opts = { configModelType: job.configModelType, project: "defer" as const };
  const result = job.kind === "python" ? lintPython(job, job.settings, parser, { ...opts, prefilter: job.prefilter }) : lintNotebook(job, job.settings, parser, opts);
  return { result, findings: job.kind === "notebook" ? result.findings.map(notebookMapper(result.text)) : result.findings };
}

/** A job's result as a worker sends it: plain data, without the module analysis. */
export function runPythonJob(job: PythonJob, parser: PythonParser): PythonJobResult {
  const { result, findings } = lintPythonJob(job, parser);
  return { skipped: result.status === "skipped", text: result.text, findings, summary: result.summary };
}

/**
 * How many workers a run of `jobs` Python files gets: none below 32 files (starting a worker and
 * its wasm costs more than it saves), else one per core up to 8. NORMLINT_JOBS sets the count
 * (0 or 1: everything on the main thread).
 */
export function workerCount(jobs: number, env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.NORMLINT_JOBS === undefined ? undefined : Number(env.NORMLINT_JOBS);
  if (forced !== undefined && Number.isInteger(forced) && forced >= 0) return forced <= 1 ? 0 : Math.min(forced, jobs);
  if (jobs < 32) return 0;
  return Math.min(availableParallelism(), 8, Math.ceil(jobs / 16));
}

/** A pool of parser workers; `run` resolves every job, on a worker or, failing that, locally. */
export class PythonPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Array<{ job: PythonJob; resolve: (r: PythonJobResult) => void }> = [];
  private readonly busy = new Map<Worker, { job: PythonJob; resolve: (r: PythonJobResult) => void }>();

  /** `script` is the bundle to start (dist/cli.js); `local` lints a job on the main thread. */
  constructor(
    script: string,
    count: number,
    private readonly local: (job: PythonJob) => Promise<PythonJobResult>,
  ) {
    for (let i = 0; i < count; i++) {
      const w = new Worker(script, { workerData: { tag: WORKER_TAG } });
      w.on("message", (r: PythonJobResult) => this.done(w, r));
      // A worker that dies hands its job to the main thread and takes no more.
      w.on("error", () => this.retire(w));
      w.on("exit", () => this.retire(w));
      this.workers.push(w);
    }
  }

  run(job: PythonJob): Promise<PythonJobResult> {
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.pump();
    });
  }

  private pump(): void {
    for (const w of this.workers) {
      if (this.busy.has(w)) continue;
      const next = this.queue.shift();
      if (!next) return;
      this.busy.set(w, next);
      w.postMessage(next.job);
    }
    // No worker left alive: the main thread takes the rest.
    if (this.workers.length === 0) for (const next of this.queue.splice(0)) void this.local(next.job).then(next.resolve);
  }

  private done(w: Worker, r: PythonJobResult): void {
    const task = this.busy.get(w);
    this.busy.delete(w);
    task?.resolve(r);
    this.pump();
  }

  private retire(w: Worker): void {
    const i = this.workers.indexOf(w);
    if (i < 0) return;
    this.workers.splice(i, 1);
    const task = this.busy.get(w);
    this.busy.delete(w);
    if (task) void this.local(task.job).then(task.resolve);
    this.pump();
  }

  /**
   * Lets every worker finish and exit on its own (a `null` job closes its port), so no worker is
   * stopped in the middle of freeing wasm memory; one that has not exited after 5 s is terminated.
   */
  async close(): Promise<number[]> {
    const all = this.workers.splice(0);
    // Each worker's exit code: 0 when it exited on its own, 1 when it had to be terminated.
    return Promise.all(
      all.map(
        (w) =>
          new Promise<number>((resolve) => {
            const timer = setTimeout(() => void w.terminate(), 5000);
            w.once("exit", (code) => {
              clearTimeout(timer);
              resolve(code);
            });
            w.postMessage(null);
          }),
      ),
    );
  }
}

/** In a worker started by PythonPool: lint the jobs posted to it until a `null` job says the run is over. */
async function serve(): Promise<void> {
  let parser: PythonParser;
  try {
    parser = await createPythonParser(loadPythonWasm([__dirname]));
  } catch {
    // Without a parser this worker is useless: exiting hands its jobs back to the main thread.
    process.exit(1);
  }
  parentPort!.on("message", (job: PythonJob | null) => {
    if (job === null) {
      // The run is over: nothing is left to keep this thread alive once its port is closed.
      parser.dispose();
      parentPort!.close();
      return;
    }
    parentPort!.postMessage(runPythonJob(job, parser));
  });
}

export const isPythonWorker = !isMainThread && (workerData as { tag?: string } | null)?.tag === WORKER_TAG;
if (isPythonWorker) void serve();
