// Caps on the Norm Lab's messages, shared by the schema generator (src/generate/protocol-schema.ts)
// and the extension, which trims what it sends to them.

/** Caps that keep a malformed or hostile message from costing time or memory. */
export const PROTOCOL_LIMITS = { tensors: 4096, notes: 256, text: 65536, hidden: 1 << 20, rows: 65536, candidates: 256 } as const;
