import type { Family } from "../../knowledge/index";
import { describeNorm } from "../../knowledge/index";

/** "Llama (RMSNorm, x * weight, no bias)" for messages. */
export function familyLabel(f: Family): string {
  return `${f.modelType} (${describeNorm(f)})`;
}

/** Two config values that mean the same eps (numbers within rounding of their JSON text). */
export function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) : a === b;
}
