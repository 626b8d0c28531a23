export type { PatchableRouteTable, RouteExplanation, RouteInput, RouteTable } from './types.ts';
export { buildRouteTable } from './table.ts';
export { buildLinearTable } from './linear.ts';
