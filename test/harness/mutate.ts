// Byte-level mutations of binary files (checkpoints, encoded text), shared by the checkpoint reader
// tests and the fuzz suite: set a byte, insert a structural one, delete one, truncate.
import fc from "fast-check";

export interface ByteMutation {
  kind: "set" | "insert" | "delete" | "truncate";
  at: number;
  value: number;
}

/** One to four mutations; positions are taken modulo the length when applied. */
export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.constantFrom(0x22, 0x2c, 0x5b, 0x5d, 0x7b, 0x7d, 0x30, 0x39, 0x2d, 0x80, 0xff) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), value: fc.constant(0) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat(), value: fc.constant(0) }) },
  ),
  { minLength: 1, maxLength: 4 },
);

/** Applies mutations; set, insert and delete land in the first `within` bytes (a header, say). */
export function mutateBytes(bytes: Uint8Array, ops: ByteMutation[], within = bytes.length): Uint8Array {
  let b = Array.from(bytes);
  for (const op of ops) {
    const i = b.length ? op.at % Math.max(1, Math.min(b.length, within)) : 0;
    if (op.kind === "set") b[i] = op.value;
    else if (op.kind === "insert") b.splice(i, 0, op.value);
    else if (op.kind === "delete") b.splice(i, 1);
    else b = b.slice(0, op.at % (b.length + 1));
  }
  return Uint8Array.from(b);
}
