/**
 * A heartbeat older than this makes a device unroutable, ms: three missed 1 s heartbeats, with half a
 * beat of slack for delivery. Gateways (routing, the devices list) and the simulator read this one value.
 */
export const STALE_AFTER_MS = 3_500;
