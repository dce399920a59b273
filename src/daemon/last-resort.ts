// The last resort: an error no step caught (a thrown exception, a rejected promise nobody awaited)
// never ends pcheck silently. It is logged with its stack under a stable id, pcheck stops in order,
// and exits with a status of its own, so systemd or rc sees a failure, not a clean stop.

/** EX_SOFTWARE (sysexits.h): an internal software error. */
export const CRASH_STATUS = 70;
/** However the orderly stop goes, pcheck is gone this long after the error. */
const HARD_EXIT_MS = 5000;

export interface LastResortOptions {
  readonly exit?: (status: number) => void;
  readonly hardExitMs?: number;
}

/** Describes an error for the log: its stack, else its text. */
export function describeFatal(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `non-Error value thrown: ${String(error)}`;
}

/**
 * Routes uncaught exceptions and unhandled rejections to `onFatal` (once), and guarantees an exit
 * with CRASH_STATUS within HARD_EXIT_MS. Returns the function that removes the handlers.
 */
export function installLastResort(onFatal: (description: string) => void, options: LastResortOptions = {}): () => void {
  const exit = options.exit ?? ((status: number) => process.exit(status));
  let fired = false;
  const handler = (error: unknown): void => {
    if (fired) return;
    fired = true;
    setTimeout(() => exit(CRASH_STATUS), options.hardExitMs ?? HARD_EXIT_MS);
    try {
      onFatal(describeFatal(error));
    } catch {
      exit(CRASH_STATUS);
    }
  };
  process.on('uncaughtException', handler);
  process.on('unhandledRejection', handler);
  return () => {
    process.off('uncaughtException', handler);
    process.off('unhandledRejection', handler);
  };
}
