/**
 * `work`, or a rejection with `message` once `ms` have passed (the work itself is not cancelled: the
 * caller cleans up in `onTimeout`). For steps a worker must not wait on for ever — a model fetch from
 * the object store, a session thread that never answers — so that a load fails, says why, and is retried.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(message));
    }, ms);
    timer.unref?.();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
