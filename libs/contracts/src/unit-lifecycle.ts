/**
 * Where a unit (a function, or one pipeline stage of it) stands on a device, like Triton's model
 * ready state: `loading` (its model is being fetched, warmed and profiled), `ready` (it takes
 * requests), `draining` (it no longer takes requests and finishes what it has queued), `unloaded`
 * (its model is freed), or `failed` (its load failed; it is tried again after a delay).
 * Heartbeats carry it (`FunctionLoad.state`).
 */
export const UnitLifecycle = {
  Loading: 'loading',
  Ready: 'ready',
  Draining: 'draining',
  Unloaded: 'unloaded',
  Failed: 'failed',
} as const;

export type UnitLifecycle = (typeof UnitLifecycle)[keyof typeof UnitLifecycle];
