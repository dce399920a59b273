// Where a pcheck's messages will go, checked before it starts: a detached pcheck whose LogFile cannot
// be written and which has no syslog would run with every message going nowhere.
import { existsSync } from 'node:fs';
import { logFilePath } from '../control/paths.js';
import type { Config } from '../pfile/types.js';
import { logFileProblem } from './log-file-check.js';
import { syslogSocketPath } from './message-log.js';

export interface DestinationCheck {
  /** Said at start (and by -t): a destination that will not work. */
  readonly warnings: readonly string[];
  /** Why a detached start must be refused: no destination at all. null when some destination works. */
  readonly fatal: string | null;
}

/** Checks the structured log and syslog a pcheck of `config` would write to. */
export function checkDestinations(config: Config): DestinationCheck {
  const logFile = logFilePath(config.logFile, config.file);
  const problem = logFile === null ? null : logFileProblem(logFile);
  const syslogSocket = syslogSocketPath();
  const syslog = existsSync(syslogSocket);
  if (problem === null) return { warnings: [], fatal: null };
  const cannot = `LogFile ${logFile} cannot be written (${problem})`;
  if (syslog) return { warnings: [`${cannot}: messages go to syslog only; fix the path or its directory's permissions`], fatal: null };
  return {
    warnings: [`${cannot} and there is no syslog socket at ${syslogSocket}: a detached pcheck would refuse to start; fix LogFile or start syslog (pcheck -F still writes to stderr)`],
    fatal: `${cannot} and there is no syslog socket at ${syslogSocket}: every message would go nowhere; fix LogFile, start syslog, or run pcheck -F`,
  };
}
