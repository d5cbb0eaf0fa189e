/**
 * Defaults of the control loops' timing and limits, read by the apps' environment and by the
 * simulator alike, so that a simulated run uses the settings a default deployment runs with.
 */
export const LOOP_DEFAULTS = Object.freeze({
  /** Scheduler: placement period, ms (rounds also run at once on deploy, delete, join and loss). */
  placementPeriodMs: 10_000,
  /** Scheduler: a device whose last heartbeat is older than this is lost, ms (three missed beats). */
  deviceLostMs: 3_500,
  /**
   * Scheduler: how long a lost device's placement key is kept for its return, ms. A host cut off for a
   * while comes back to the assignments it had, and serves again on its first heartbeat, without a
   * placement write (a rejoining JetStream node makes the streams elect leaders again, for seconds).
   */
  deviceRejoinMs: 600_000,
  /** Worker: heartbeat period, ms. */
  heartbeatMs: 1_000,
  /** Worker: requests queued per function before new ones are shed with 429. */
  maxQueue: 1024,
});
