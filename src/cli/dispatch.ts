// The single executable's entry point (scripts/package/build.mjs bundles it): one binary that is
// padmin when called by that name (a link named padmin, or a copy), pcheck otherwise. In a single
// executable process.argv[1] is the name it was called by, as typed (argv[0] is the resolved binary).
import { basename } from 'node:path';

/** Which program a command line asks for: its argv[1]'s file name, `padmin` or else `pcheck`. */
export function programName(argv: readonly string[]): 'pcheck' | 'padmin' {
  return basename(argv[1] ?? '') === 'padmin' ? 'padmin' : 'pcheck';
}

// Only the program called is loaded: padmin's start does not pay for the daemon's modules.
export async function dispatch(argv: string[]): Promise<never> {
  if (programName(argv) === 'padmin') return (await import('./padmin.js')).main(argv);
  return (await import('./pcheck.js')).main(argv);
}
