/**
 * Two module paths name the same checkpoint tensor when one ends with the other: `layers.{N}.x.weight`
 * and `model.layers.{N}.x.weight` differ only in the root class the path starts from, and the engine
 * matches checkpoint names from `layers.{N}.` on (folder-model.ts normPathRegex).
 */
export const samePath = (a: string, b: string) => a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
