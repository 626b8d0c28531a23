export { decodeDynamicLabels, decodeExtraConfig, decodeDynamicDocument, UNSUPPORTED_TCP_UDP, UNSUPPORTED_TLS } from './dynamic.ts';
export type { LabelError, DocError } from './dynamic.ts';
export { decodeFlat, splitFlatKey, MAX_INDEX, MAX_KEY_LENGTH, MAX_VALUE_LENGTH } from './flat.ts';
export type { FlatEntry } from './flat.ts';
export { decodeDocument } from './document.ts';
export { formatPath, findField, visibleNames } from './descriptor.ts';
export type { FieldDesc, FieldKind, StructDesc, DecodeIssue, DecodeOptions, ScalarKind } from './descriptor.ts';
export { parseGoBool, parseGoInt, parseGoFloat } from './scalars.ts';
