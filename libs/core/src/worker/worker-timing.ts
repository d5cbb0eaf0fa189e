/**
 * Wait before loading again what failed to load (the model fetch timed out, the store was busy), ms;
 * doubled after each further failure of the same model.
 */
export const LOAD_RETRY_MS = 2_000;
/** Loads of one model on one device before the unit stays `failed` (2 + 4 + 8 + 16 s of backoff between them). */
export const MAX_LOAD_ATTEMPTS = 5;
/** How long a removed unit may take to finish its queue before it is unloaded anyway, ms. */
export const DRAIN_TIMEOUT_MS = 10_000;
/** A placement change (loads, endpoints) this long is worth a warning: the changes after it wait, ms. */
export const SLOW_RECONCILE_MS = 30_000;
