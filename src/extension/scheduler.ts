// Debounced, serialized work per key (one key per document): a burst of keystrokes becomes one lint
// after the delay, and a lint never overlaps another of the same document; a request that arrives
// while one runs is remembered and runs once when it finishes.

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

type Task = () => Promise<void> | void;

interface Slot {
  timer?: unknown;
  task?: Task;
  running?: Promise<void>;
  /** A task that arrived while another ran. */
  again?: Task;
}

export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private disposed = false;

  constructor(
    private readonly onError: (key: string, err: unknown) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Runs `task` after `delayMs` of quiet for this key; a later call replaces an earlier one. */
  schedule(key: string, delayMs: number, task: Task): void {
    if (this.disposed) return;
    const slot = this.slot(key);
    if (slot.timer !== undefined) this.timers.clear(slot.timer);
    slot.task = task;
    slot.timer = this.timers.set(() => {
      slot.timer = undefined;
      void this.start(key);
    }, delayMs);
  }

  /** Runs now (cancelling a pending delay); resolves when this run has finished. */
  run(key: string, task: Task): Promise<void> {
    if (this.disposed) return Promise.resolve();
    const slot = this.slot(key);
    if (slot.timer !== undefined) this.timers.clear(slot.timer);
    slot.timer = undefined;
    slot.task = task;
    return this.start(key);
  }

  /** Forgets pending work for a key (a closed document); a running task finishes but nothing follows. */
  cancel(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    if (slot.timer !== undefined) this.timers.clear(slot.timer);
    slot.timer = undefined;
    slot.task = undefined;
    slot.again = undefined;
    if (!slot.running) this.slots.delete(key);
  }

  pending(key: string): boolean {
    const s = this.slots.get(key);
    return !!s && (s.timer !== undefined || s.running !== undefined);
  }

  /** Resolves once nothing is scheduled or running (tests; real timers only). */
  async idle(): Promise<void> {
    for (;;) {
      const slots = [...this.slots.values()];
      const running = slots.map((s) => s.running).filter((p): p is Promise<void> => p !== undefined);
      if (running.length) await Promise.allSettled(running);
      else if (slots.some((s) => s.timer !== undefined)) await new Promise((r) => setTimeout(r, 2));
      else return;
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const key of [...this.slots.keys()]) this.cancel(key);
  }

  private slot(key: string): Slot {
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = {}));
    return s;
  }

  private start(key: string): Promise<void> {
    const slot = this.slot(key);
    const task = slot.task;
    slot.task = undefined;
    if (!task) return slot.running ?? Promise.resolve();
    if (slot.running) {
      // The running loop picks it up when the current task ends.
      slot.again = task;
      return slot.running;
    }
    const run = (async () => {
      let next: Task | undefined = task;
      while (next && !this.disposed) {
        try {
          await next();
        } catch (err) {
          this.onError(key, err);
        }
        next = slot.again;
        slot.again = undefined;
      }
    })();
    slot.running = run.finally(() => {
      slot.running = undefined;
      if (slot.timer === undefined && !slot.task && this.slots.get(key) === slot) this.slots.delete(key);
    });
    return slot.running;
  }
}
