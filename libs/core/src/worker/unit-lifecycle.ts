import { UnitLifecycle } from '@epara/contracts/unit-lifecycle';

// The states are wire vocabulary (heartbeats carry them), so they live in contracts; the worker's
// control loop is what moves a unit through them.
export { UnitLifecycle };

/** Whether a unit in this state takes requests (what heartbeats call `ready`). */
export function takesRequests(state: UnitLifecycle): boolean {
  return state === UnitLifecycle.Ready;
}
