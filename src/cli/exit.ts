// Exiting without losing output. process.exit() drops whatever a pipe has not taken yet (a pipe holds
// 64 KiB): `padmin -c show pent | grep` saw a quarter of 1000 entries. Every exit of pcheck and
// padmin goes through here.

/**
 * Exits with `status` once stdout and stderr have handed all that was written to them to the OS, or
 * after `withinMs` (for the daemon: a stuck reader of its stderr must not keep it from ending).
 */
export async function exitAfterFlush(status: number, withinMs?: number): Promise<never> {
  // should the event loop run dry first, Node still ends with this status
  process.exitCode = status;
  const flushing = Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  if (withinMs === undefined) await flushing;
  else await Promise.race([flushing, new Promise((resolve) => setTimeout(resolve, withinMs).unref())]);
  process.exit(status);
}

// Writes complete in order, so an empty write's callback runs once every earlier one is done. A
// reader that went away (EPIPE) ends the wait too: nobody is left to read the rest.
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0 || stream.destroyed) return resolve();
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}
