// For `pcheck -t`: stall-probe hosts that do not resolve. The daemon would show their checks
// UNKNOWN and never count their failures; -t says so before the start.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Config, Diagnostic } from '../pfile/types.js';
import { withDeadline } from '../system/timers.js';

/** How long -t waits for each name: a resolver that does not answer is reported, not waited for. */
export const LOOKUP_TIMEOUT_MS = 1000;

/** Resolves a name, or rejects with the resolver's error (dns.promises.lookup by default). */
export type Lookup = (host: string) => Promise<unknown>;

// One warning per stall block whose host names no address; all names are looked up at once.
export async function unresolvedProbeHosts(
  config: Config,
  resolve: Lookup = (host) => lookup(host),
  timeoutMs = LOOKUP_TIMEOUT_MS,
): Promise<Diagnostic[]> {
  const named = config.entries
    .flatMap((entry) => entry.stall)
    .flatMap((stall) => (stall.host === null || isIP(stall.host) !== 0 || stall.host.toLowerCase() === 'localhost' ? [] : [{ stall, host: stall.host }]));
  const verdicts = new Map<string, Promise<string | null>>();
  for (const { host } of named) if (!verdicts.has(host)) verdicts.set(host, lookupError(host, resolve, timeoutMs));
  const diagnostics: Diagnostic[] = [];
  for (const { stall, host } of named) {
    const error = await verdicts.get(host);
    if (error === null || error === undefined) continue;
    diagnostics.push({
      file: config.file,
      line: stall.line,
      severity: 'warning',
      message: `${stall.blockName} host "${host}" does not resolve (${error}): its probes cannot tell (stall_chk UNKNOWN) and never count toward a stall`,
    });
  }
  return diagnostics;
}

// null when the name resolves in time, else the resolver's error code or the wait that ran out.
async function lookupError(host: string, resolve: Lookup, timeoutMs: number): Promise<string | null> {
  const late = new Error(`no answer within ${timeoutMs / 1000} s`);
  return withDeadline(resolve(host), timeoutMs, () => late).then(
    () => null,
    (error: unknown) => (error === late ? late.message : ((error as NodeJS.ErrnoException).code ?? String((error as Error).message ?? error))),
  );
}
