/**
 * The one seam to the generic label decoder (src/labels): everything the builder needs from it.
 * Kept in one file so a change of the decoder's surface touches one place here.
 */
export { decodeDynamicLabels, decodeExtraConfig } from '../../labels/index.ts';
export type { LabelError } from '../../labels/index.ts';
