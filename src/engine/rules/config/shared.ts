import type { Family } from "../../knowledge/index";
import { describeNorm } from "../../knowledge/index";

/** "Llama (RMSNorm, x * weight, no bias)" for messages. */
export function familyLabel(f: Family): string {
  return `${f.modelType} (${describeNorm(f)})`;
}
