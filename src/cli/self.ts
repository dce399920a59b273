// How pcheck starts a copy of itself (the detached daemon). From a checkout or an npm install that is
// `node <flags> <script>`; a single executable (scripts/package/build.mjs) is itself Node and takes no
// Node flags on its command line (they would be pcheck's arguments), so its flags go in NODE_OPTIONS,
// which the copy puts back as it was before it runs anything (restart scripts must not inherit them).

/** Set to true by esbuild's `define` in the single executable's bundle; undeclared in dist/. */
declare const PCHECK_SINGLE_EXECUTABLE: boolean | undefined;

export const singleExecutable: boolean = typeof PCHECK_SINGLE_EXECUTABLE === 'boolean' && PCHECK_SINGLE_EXECUTABLE;

/** As in bin/pcheck.js: a small young generation keeps the daemon's RSS low. */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1'];
/** Also on node's command line (NODE_OPTIONS refuses it): smaller heap growth steps. */
const DAEMON_COMMAND_LINE_FLAGS = [...DAEMON_NODE_FLAGS, '--optimize-for-size'];
/** Carries the caller's NODE_OPTIONS (JSON: the string, or null when unset) across the re-exec. */
const SAVED_NODE_OPTIONS = 'PCHECK_SAVED_NODE_OPTIONS';

export interface SelfCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** The command line and environment that run this pcheck again with `args`. */
export function selfCommand(args: readonly string[], env: NodeJS.ProcessEnv = process.env): SelfCommand {
  if (!singleExecutable) {
    return { file: process.execPath, args: [...DAEMON_COMMAND_LINE_FLAGS, ...process.execArgv, process.argv[1] ?? '', ...args], env };
  }
  const before = env.NODE_OPTIONS;
  return {
    file: process.execPath,
    args: [...args],
    env: {
      ...env,
      NODE_OPTIONS: [before, ...DAEMON_NODE_FLAGS].filter((part) => part !== undefined && part !== '').join(' '),
      [SAVED_NODE_OPTIONS]: JSON.stringify(before ?? null),
    },
  };
}

/** In the copy: gives NODE_OPTIONS back the value the caller had (removing it when it had none). */
export function restoreNodeOptions(env: NodeJS.ProcessEnv = process.env): void {
  const saved = env[SAVED_NODE_OPTIONS];
  if (saved === undefined) return;
  delete env[SAVED_NODE_OPTIONS];
  let before: unknown = null;
  try {
    before = JSON.parse(saved);
  } catch {
    // not ours to read: treat as unset
  }
  if (typeof before === 'string') env.NODE_OPTIONS = before;
  else delete env.NODE_OPTIONS;
}
