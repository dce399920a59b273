// `_bi_*` stall-monitoring blocks: the PS_* lines of one block -> a StallRule. Pure.
import { FORMS, isWhole, readNumber, type NumberForm } from './numbers.js';
import { DEFAULTS, quoted, type Diagnostic, type StallKind, type StallRule } from './types.js';

/** Block names, the vendor's prose spellings included (accepted with a warning). */
export const BLOCK_NAMES: Readonly<Record<string, { kind: StallKind; canonical: string }>> = {
  _bi_webserv: { kind: 'web', canonical: '_bi_webserv' },
  _bi_webservs: { kind: 'ssl', canonical: '_bi_webservs' },
  _bi_socket: { kind: 'skt', canonical: '_bi_socket' },
  _bi_websevr: { kind: 'web', canonical: '_bi_webserv' },
  _bi_websevs: { kind: 'ssl', canonical: '_bi_webservs' },
};

export const PS_LINES = ['PS_INIT', 'PS_EXEC', 'PS_ACTION', 'PS_QUIT'] as const;
export type PsLine = (typeof PS_LINES)[number];

/** The argc each line kind may take. */
const ARGC: Record<StallKind, Record<PsLine, [number, number]>> = {
  web: { PS_INIT: [0, 0], PS_EXEC: [2, 3], PS_ACTION: [0, 0], PS_QUIT: [0, 0] },
  ssl: { PS_INIT: [0, 0], PS_EXEC: [2, 5], PS_ACTION: [0, 0], PS_QUIT: [0, 0] },
  skt: { PS_INIT: [0, 0], PS_EXEC: [2, 2], PS_ACTION: [0, 0], PS_QUIT: [0, 0] },
};

export interface PsValue {
  readonly line: number;
  readonly value: string;
}

interface Fields {
  readonly type: string;
  readonly call: string;
  readonly interval: string;
  readonly error: string;
  readonly argv: readonly string[];
}

type Report = (line: number, severity: Diagnostic['severity'], message: string) => void;

/**
 * Reads `type:file:call:timeout:interval:error:argc[:argv...]` positionally; when that does not fit
 * the line's kind, takes argc as the last field equal to the number of fields after it and error as
 * the field before it (the vendor's samples need this), and warns.
 */
export function readPsValue(kind: StallKind, which: PsLine, value: PsValue, report: Report): Fields | null {
  const parts = value.value.split(':');
  const [low, high] = ARGC[kind][which];
  const fits = (argc: number, argvCount: number) => argc === argvCount && argc >= low && argc <= high;
  const positionalArgc = parts[6] !== undefined && isWhole(parts[6]) ? Number(parts[6]) : Number.NaN;
  if (parts.length >= 7 && fits(positionalArgc, parts.length - 7)) {
    return { type: parts[0] ?? '', call: parts[2] ?? '', interval: parts[4] ?? '', error: parts[5] ?? '', argv: parts.slice(7) };
  }
  for (let index = parts.length - 1; index >= 1; index -= 1) {
    const candidate = parts[index] ?? '';
    const after = parts.length - index - 1;
    if (isWhole(candidate) && Number(candidate) === after && after >= low && after <= high) {
      report(
        value.line,
        'warning',
        `${which} ${quoted(value.value)} does not read as type:file:call:timeout:interval:error:argc[:argv...]; read as argc=${after}, error=${parts[index - 1] || '-'}${index >= 6 ? `, interval=${parts[index - 2] || '-'}` : ''}`,
      );
      return {
        type: parts[0] ?? '',
        call: parts[2] ?? '',
        interval: index >= 6 ? (parts[index - 2] ?? '') : '',
        error: parts[index - 1] ?? '',
        argv: parts.slice(index + 1),
      };
    }
  }
  report(
    value.line,
    'error',
    `${which} ${quoted(value.value)} cannot be read: expected type:file:call:timeout:interval:error:argc[:argv...] with argc ${low === high ? low : `${low}-${high}`} for this block`,
  );
  return null;
}

const isDefault = (text: string | undefined): text is undefined | '' | '-' => text === undefined || text === '' || text === '-';

/** Builds the StallRule of one block from its PS_* lines; null after reporting errors. */
export function buildStallRule(
  blockName: string,
  blockLine: number,
  lines: Partial<Record<PsLine, PsValue>>,
  report: Report,
): StallRule | null {
  const known = BLOCK_NAMES[blockName];
  if (known === undefined) return null;
  const { kind } = known;
  let ok = true;
  const fail = (line: number, message: string) => {
    report(line, 'error', message);
    ok = false;
  };
  const fieldsOf: Partial<Record<PsLine, Fields>> = {};
  for (const which of PS_LINES) {
    const value = lines[which];
    if (value === undefined) continue;
    const fields = readPsValue(kind, which, value, report);
    if (fields === null) {
      ok = false;
      continue;
    }
    if (fields.type !== 'DLL') report(value.line, 'warning', `${which} type is "${fields.type}"; the vendor's value is DLL (informational only)`);
    if (fields.call !== 'DIRECT') report(value.line, 'warning', `${which} call is "${fields.call}"; the vendor's value is DIRECT (informational only)`);
    fieldsOf[which] = fields;
  }
  const exec = fieldsOf.PS_EXEC;
  const execLine = lines.PS_EXEC?.line ?? blockLine;
  if (lines.PS_EXEC === undefined) fail(blockLine, `${blockName} has no PS_EXEC line; add one with the interval, the retry-over time and the port`);
  if (exec === undefined) return null;

  // null when the field is wrong, so no second error follows from it
  const number = (text: string | undefined, what: string, form: NumberForm, fallback: number): number | null => {
    if (isDefault(text)) return fallback;
    const reading = readNumber(what, text, form);
    if ('error' in reading) {
      fail(execLine, `${reading.error}; write a number or - for the default ${fallback}`);
      return null;
    }
    return reading.value;
  };
  const flag = (text: string | undefined, what: string, line: number): boolean => {
    if (isDefault(text)) return false;
    const reading = readNumber(what, text, FORMS.flag);
    if ('error' in reading) fail(line, reading.error);
    return 'value' in reading && reading.value === 1;
  };

  const interval = number(exec.interval, 'PS_EXEC interval', FORMS.duration, DEFAULTS.stallInterval);
  if (interval !== null && interval < 10) report(execLine, 'warning', `PS_EXEC interval ${interval} s is below the 10 s the vendor asks for; accepted`);
  const stopAfterDetect = flag(exec.error, 'PS_EXEC error', execLine);
  const retryOverTime = number(exec.argv[0], 'PS_EXEC retry-over time (argv[0])', FORMS.duration, DEFAULTS.stallRetryOverTime);
  if (interval !== null && retryOverTime !== null && retryOverTime < interval) {
    fail(execLine, `PS_EXEC retry-over time ${retryOverTime} s is shorter than the interval ${interval} s; make it at least the interval`);
  }
  const port = readNumber('PS_EXEC port (argv[1])', exec.argv[1] ?? '', FORMS.port);
  if ('error' in port) fail(execLine, port.error);
  const host = isDefault(exec.argv[2]) ? null : (exec.argv[2] ?? null);
  let timeout: number | null = null;
  let path: string = DEFAULTS.stallPath;
  if (kind === 'ssl') {
    timeout = isDefault(exec.argv[3]) ? null : number(exec.argv[3], 'PS_EXEC timeout (argv[3])', FORMS.duration, 10);
    if (!isDefault(exec.argv[4])) {
      path = exec.argv[4] ?? path;
      if (!path.startsWith('/')) fail(execLine, `PS_EXEC path (argv[4]) must start with / (got "${path}")`);
    }
  }
  const actionOnKillFail = fieldsOf.PS_ACTION === undefined ? false : flag(fieldsOf.PS_ACTION.error, 'PS_ACTION error', lines.PS_ACTION?.line ?? blockLine);
  if (!ok || interval === null || retryOverTime === null || 'error' in port) return null;
  return Object.freeze({
    kind,
    blockName,
    line: blockLine,
    interval,
    stopAfterDetect,
    retryOverTime,
    port: port.value,
    host,
    timeout,
    path,
    actionOnKillFail,
  });
}
