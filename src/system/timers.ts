// Timers for any delay. Node turns a delay above 2^31-1 ms (about 24.8 days) into 1 ms, with only a
// warning: a long delay is waited out here in steps below that limit, on the monotonic clock.

/** The longest delay setTimeout keeps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `callback` once after `ms`; returns the cancel function. */
export function after(ms: number, callback: () => void): () => void {
  const dueAt = performance.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = dueAt - performance.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(timer);
}

/** Calls `callback` every `ms` (each run scheduled from the previous one's due time); returns the cancel function. */
export function every(ms: number, callback: () => void): () => void {
  if (ms <= MAX_TIMER_MS) {
    const timer = setInterval(callback, ms);
    return () => clearInterval(timer);
  }
  let cancel = (): void => undefined;
  let cancelled = false;
  const next = (): void => {
    cancel = after(ms, () => {
      if (cancelled) return;
      next();
      callback();
    });
  };
  next();
  return () => {
    cancelled = true;
    cancel();
  };
}

/**
 * `work`, or the error `onTimeout` makes if it has not settled within `ms`. The work itself is not
 * cancelled: a late answer is dropped. A rejection that is not an Error becomes one.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
