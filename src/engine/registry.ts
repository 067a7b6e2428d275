// Every rule, in one explicit list sorted by code. Codes are permanent; a renamed rule keeps its
// code and its old name goes to REDIRECTS so users' configs and suppressions keep working.
import type { Rule } from "./rule";
import architectureModelTypeMismatch from "./rules/config/architecture-model-type-mismatch";
import configSchemaInvalid from "./rules/config/config-schema-invalid";
import duplicateKey from "./rules/config/duplicate-key";
import epsKeyMisspelled from "./rules/config/eps-key-misspelled";
import epsKeyUnused from "./rules/config/eps-key-unused";
import epsValueInvalid from "./rules/config/eps-value-invalid";
import fileTooLarge from "./rules/config/file-too-large";
import invalidJson from "./rules/config/invalid-json";
import invalidNormlintConfig from "./rules/config/invalid-normlint-config";
import normConfigConflict from "./rules/config/norm-config-conflict";
import unknownModelType from "./rules/config/unknown-model-type";
import converterOffsetContradictsFamily from "./rules/modeling/converter-offset-contradicts-family";
import declaredCastingContradictsFamily from "./rules/modeling/declared-casting-contradicts-family";
import declaredNormKindContradictsFamily from "./rules/modeling/declared-norm-kind-contradicts-family";
import declaredOffsetContradictsFamily from "./rules/modeling/declared-offset-contradicts-family";
import normCastOrderMismatch from "./rules/modeling/norm-cast-order-mismatch";
import normEpsMismatch from "./rules/modeling/norm-eps-mismatch";
import normEpsNotPassed from "./rules/modeling/norm-eps-not-passed";
import offsetFoldMissing from "./rules/modeling/offset-fold-missing";
import normScaleFoldIgnoresOffset from "./rules/modeling/norm-scale-fold-ignores-offset";
import offsetTransformUnguarded from "./rules/modeling/offset-transform-unguarded";
import normKindMismatch from "./rules/modeling/norm-kind-mismatch";
import normMissingFp32Upcast from "./rules/modeling/norm-missing-fp32-upcast";
import normMissingUnitOffset from "./rules/modeling/norm-missing-unit-offset";
import normOffsetInitMismatch from "./rules/modeling/norm-offset-init-mismatch";
import normParamNameMismatch from "./rules/modeling/norm-param-name-mismatch";
import normPatchTargetMissing from "./rules/modeling/norm-patch-target-missing";
import normUnexpectedUnitOffset from "./rules/modeling/norm-unexpected-unit-offset";
import sourceUnreadable from "./rules/modeling/source-unreadable";
import unusedSuppression from "./rules/modeling/unused-suppression";
import checkpointFormatUnread from "./rules/weights/checkpoint-format-unread";
import checkpointIndexInvalid from "./rules/weights/checkpoint-index-invalid";
import checkpointNormBiasUnexpected from "./rules/weights/checkpoint-norm-bias-unexpected";
import checkpointNormKeysMismatch from "./rules/weights/checkpoint-norm-keys-mismatch";
import checkpointNormLayoutMixed from "./rules/weights/checkpoint-norm-layout-mixed";
import checkpointNormMissing from "./rules/weights/checkpoint-norm-missing";
import checkpointNormOffsetMismatch from "./rules/weights/checkpoint-norm-offset-mismatch";
import checkpointNormShapeMismatch from "./rules/weights/checkpoint-norm-shape-mismatch";
import configCodeEpsMismatch from "./rules/weights/config-code-eps-mismatch";
import epsUnderflowsDtype from "./rules/weights/eps-underflows-dtype";
import ggufEpsMismatch from "./rules/weights/gguf-eps-mismatch";
import ggufInvalid from "./rules/weights/gguf-invalid";
import paramsConfigEpsMismatch from "./rules/weights/params-config-eps-mismatch";
import qkNormConfigMismatch from "./rules/weights/qk-norm-config-mismatch";
import safetensorsInvalid from "./rules/weights/safetensors-invalid";

// Rules of every input kind share one list; each is called with its own context.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const RULES: readonly Rule<string, any>[] = [
  invalidJson,
  unknownModelType,
  fileTooLarge,
  duplicateKey,
  invalidNormlintConfig,
  epsKeyUnused,
  epsKeyMisspelled,
  epsValueInvalid,
  normConfigConflict,
  architectureModelTypeMismatch,
  configSchemaInvalid,
  sourceUnreadable,
  normMissingUnitOffset,
  normUnexpectedUnitOffset,
  normOffsetInitMismatch,
  normKindMismatch,
  normParamNameMismatch,
  normEpsMismatch,
  normMissingFp32Upcast,
  normCastOrderMismatch,
  normPatchTargetMissing,
  declaredOffsetContradictsFamily,
  converterOffsetContradictsFamily,
  declaredNormKindContradictsFamily,
  declaredCastingContradictsFamily,
  normEpsNotPassed,
  offsetTransformUnguarded,
  offsetFoldMissing,
  normScaleFoldIgnoresOffset,
  epsUnderflowsDtype,
  qkNormConfigMismatch,
  safetensorsInvalid,
  ggufInvalid,
  checkpointNormOffsetMismatch,
  checkpointNormKeysMismatch,
  checkpointNormMissing,
  checkpointNormShapeMismatch,
  checkpointNormBiasUnexpected,
  checkpointIndexInvalid,
  configCodeEpsMismatch,
  checkpointFormatUnread,
  checkpointNormLayoutMixed,
  ggufEpsMismatch,
  paramsConfigEpsMismatch,
  unusedSuppression,
] as Rule<string, any>[];

/** Old rule names -> current names. */
export const REDIRECTS: Readonly<Record<string, string>> = {};

const byName = new Map(RULES.map((r) => [r.name, r]));
const byCode = new Map(RULES.map((r) => [r.code, r]));

/** A rule by name, code or redirected old name. */
export function findRule(id: string): Rule | undefined {
  return byName.get(REDIRECTS[id] ?? id) ?? byCode.get(id.toUpperCase());
}

export const ALL_TAGS: readonly string[] = [...new Set(RULES.flatMap((r) => r.tags))].sort();
