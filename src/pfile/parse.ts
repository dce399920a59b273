// pfile text -> {config, errors, warnings}. Pure: the facts it needs about the machine come from `host`.
import { dirname, resolve } from 'node:path';
import { lex, type LogicalLine } from './lexer.js';
import { FORMS, isWhole, readNumber, readPercent, readSize, type NumberForm } from './numbers.js';
import { readListen } from './listen.js';
import { BLOCK_NAMES, buildStallRule, PS_LINES, type PsLine, type PsValue } from './stall.js';
import {
  DEFAULTS,
  LIMITS,
  logFileSetting,
  quoted,
  type ArgsMatch,
  type Config,
  type Diagnostic,
  type EntryRule,
  type LimitAction,
  type MetricsListen,
  type ParseHost,
  type ParseResult,
  type RetryOverAction,
  type StallRule,
} from './types.js';

const GLOBALS = ['MonitorInterval', 'MsgCheckInterval', 'DumpFileName', 'LivenessInterval', 'LogFile', 'AlertFile', 'MetricsListen', 'UsageInterval'] as const;
type Global = (typeof GLOBALS)[number];
const OPTIONS = [
  'args',
  'user',
  'pidfile',
  'script_timeout',
  'start_wait',
  'tls_verify',
  'tls_ca',
  'max_rss',
  'max_cpu',
  'limit_hold',
  'limit_action',
] as const;
const ACTIONS: readonly RetryOverAction[] = ['continue', 'shutdown', 'exit'];
const LIMIT_ACTIONS: readonly LimitAction[] = ['log', 'restart'];

interface EntryDraft {
  rule: Omit<EntryRule, 'stall'>;
  stall: StallRule[];
}

/** Parses a whole pfile; every error and warning is reported, each with its line (past LIMITS.diagnostics, counted). */
export function parse(text: string, file: string, host: ParseHost): ParseResult {
  const lexed = lex(text, file);
  const listed = new Listed();
  for (const diagnostic of lexed.diagnostics) listed.add(diagnostic);
  const report = (line: number, severity: Diagnostic['severity'], message: string) => listed.add({ file, line, severity, message });

  const globals = new Map<Global, { value: string; line: number }>();
  const entries: EntryDraft[] = [];
  // the entry a block attaches to: the last entry line, 'invalid' when that line had errors
  let owner: EntryDraft | 'invalid' | undefined;
  const lines = lexed.lines;
  for (let index = 0; index < lines.length; index += 1) {
    const current = lines[index] as LogicalLine;
    const [first = ''] = current.fields;
    const blockName = first.replace(/\{$/, '');
    if (blockName in BLOCK_NAMES) {
      index = readBlock(lines, index, blockName, owner, report);
      continue;
    }
    if (first.startsWith('_bi_')) {
      report(current.line, 'error', `unknown stall block "${blockName}"; known: _bi_webserv, _bi_webservs, _bi_socket`);
      index = skipBlock(lines, index);
      continue;
    }
    const keyword = GLOBALS.find((name) => name.toLowerCase() === first.toLowerCase());
    if (keyword !== undefined) {
      readGlobal(current, keyword, globals, report);
      continue;
    }
    if ((PS_LINES as readonly string[]).includes(first) || first === '{' || first === '}') {
      report(current.line, 'error', `"${first}" outside a _bi_* block; put it inside _bi_webserv { ... } under a process entry`);
      continue;
    }
    const entry = readEntry(current, file, entries.length + 1, host, report);
    if (entry !== null) entries.push(entry);
    owner = entry ?? 'invalid';
  }

  const config = buildConfig(file, globals, entries, report);
  const errors = listed.of('error');
  const alertFile = config.alertFile === null ? null : { path: config.alertFile, line: globals.get('AlertFile')?.line ?? 0 };
  return { config: errors.length === 0 ? config : null, errors, warnings: listed.of('warning'), alertFile };
}

/**
 * The first LIMITS.diagnostics errors and warnings; of the rest, only how many there were and where
 * the first was (a pfile of junk must neither hold nor log half a million of them).
 */
class Listed {
  private readonly kept = { error: [] as Diagnostic[], warning: [] as Diagnostic[] };
  private readonly left = { error: { count: 0, first: null as Diagnostic | null }, warning: { count: 0, first: null as Diagnostic | null } };

  add(diagnostic: Diagnostic): void {
    const kept = this.kept[diagnostic.severity];
    if (kept.length < LIMITS.diagnostics) {
      kept.push(diagnostic);
      return;
    }
    const left = this.left[diagnostic.severity];
    left.count += 1;
    left.first ??= diagnostic;
  }

  /** The kept ones of `severity`, then one saying how many more there were. */
  of(severity: Diagnostic['severity']): Diagnostic[] {
    const { count, first } = this.left[severity];
    if (first === null) return this.kept[severity];
    return [...this.kept[severity], { ...first, message: `${count} more ${severity}s from here on are not listed (only the first ${LIMITS.diagnostics} are)` }];
  }
}

function readGlobal(
  current: LogicalLine,
  keyword: Global,
  globals: Map<Global, { value: string; line: number }>,
  report: (line: number, severity: Diagnostic['severity'], message: string) => void,
): void {
  const written = current.fields[0] ?? '';
  if (written !== keyword) report(current.line, 'warning', `"${written}" read as ${keyword}; write it as ${keyword}`);
  if (current.fields.length !== 2) {
    report(current.line, 'error', `${keyword} takes one value (got ${current.fields.length - 1}); write "${keyword} <value>"`);
    return;
  }
  const previous = globals.get(keyword);
  if (previous !== undefined) report(current.line, 'warning', `${keyword} already set on line ${previous.line}; this later value wins`);
  globals.set(keyword, { value: current.fields[1] ?? '', line: current.line });
}

function buildConfig(
  file: string,
  globals: Map<Global, { value: string; line: number }>,
  entries: EntryDraft[],
  report: (line: number, severity: Diagnostic['severity'], message: string) => void,
): Config {
  const seconds = (keyword: Global, fallback: number, form: NumberForm): number => {
    const written = globals.get(keyword);
    if (written === undefined) return fallback;
    const reading = readNumber(keyword, written.value, form);
    if ('error' in reading) {
      report(written.line, 'error', `${reading.error}; the default is ${fallback}`);
      return fallback;
    }
    return reading.value;
  };
  const path = (keyword: Global): string | null => {
    const written = globals.get(keyword);
    if (written === undefined) return null;
    if (!written.value.startsWith('/')) {
      report(written.line, 'error', `${keyword} must be an absolute path (got "${written.value}")`);
      return null;
    }
    return written.value;
  };
  const monitorInterval = seconds('MonitorInterval', DEFAULTS.monitorInterval, FORMS.monitorInterval);
  const livenessInterval = seconds('LivenessInterval', DEFAULTS.livenessInterval, FORMS.livenessInterval);
  const liveness = globals.get('LivenessInterval');
  if (liveness !== undefined && livenessInterval > monitorInterval) {
    report(liveness.line, 'error', `LivenessInterval ${livenessInterval} s is longer than MonitorInterval ${monitorInterval} s; make it shorter`);
  }
  return Object.freeze({
    file,
    monitorInterval,
    livenessInterval,
    usageInterval: seconds('UsageInterval', DEFAULTS.usageInterval, FORMS.usageInterval),
    dumpFileName: path('DumpFileName'),
    // neither none nor an absolute path: path() reports the error
    logFile: logFileSetting(globals.get('LogFile')?.value) ?? path('LogFile') ?? 'default',
    entries: Object.freeze(entries.map((entry) => Object.freeze({ ...entry.rule, stall: Object.freeze(entry.stall) }))),
    alertFile: path('AlertFile'),
    // loadPfile reads and parses the alert file
    alerts: null,
    metricsListen: listen(globals.get('MetricsListen'), report),
  });
}

function listen(
  written: { value: string; line: number } | undefined,
  report: (line: number, severity: Diagnostic['severity'], message: string) => void,
): MetricsListen | null {
  if (written === undefined) return null;
  const reading = readListen(written.value);
  if ('error' in reading) {
    report(written.line, 'error', reading.error);
    return null;
  }
  return reading;
}

function readEntry(
  current: LogicalLine,
  file: string,
  pentId: number,
  host: ParseHost,
  report: (line: number, severity: Diagnostic['severity'], message: string) => void,
): EntryDraft | null {
  const { line, fields } = current;
  const positional = fields.filter((field) => !/^[a-z_]+=/.test(field));
  const options = fields.filter((field) => /^[a-z_]+=/.test(field));
  const errorsBefore = { count: 0 };
  const error = (message: string) => {
    errorsBefore.count += 1;
    report(line, 'error', message);
  };
  const [pname = '', writtenScript = '', retryText, graceText, actionText, ...extra] = positional;
  // ./script and ../script name a script beside the pfile, so a pfile and its scripts move together
  const restartScript = /^\.\.?\//.test(writtenScript) ? resolve(dirname(file), writtenScript) : writtenScript;
  if (/^[A-Z][A-Za-z]+$/.test(pname) && !restartScript.startsWith('/')) {
    error(`unknown keyword "${pname}"; global keywords are ${GLOBALS.join(', ')} (a process entry's restart_script is an absolute path)`);
    return null;
  }
  if (positional.length < 2) {
    error('a process entry needs at least a pname and a restart_script: <pname> <restart_script> [retry_count [grace [retry_over_action]]] [option=value ...]');
    return null;
  }
  if (extra.length > 0) error(`too many fields: ${quoted(extra.join(' '))}; an entry has at most 5 positional fields, then option=value`);
  if (!restartScript.startsWith('/')) {
    error(`restart_script must be an absolute path, or ./name beside the pfile (got "${restartScript}")`);
  } else {
    const why = host.checkExecutable(restartScript);
    if (why !== null) error(`restart_script ${restartScript}: ${why}; it must be an executable file`);
  }
  if (pname.includes('/') && !pname.startsWith('/')) error(`pname must be an absolute path or a bare name (got "${pname}")`);

  const wholeField = (text: string | undefined, what: string, form: NumberForm, fallback: number): number => {
    if (text === undefined || text === '-') return fallback;
    const reading = readNumber(what, text, form);
    if ('error' in reading) {
      error(`${reading.error}; write a number or - for the default ${fallback}`);
      return fallback;
    }
    return reading.value;
  };
  const retryCount = wholeField(retryText, 'retry_count', FORMS.retryCount, DEFAULTS.retryCount);
  const grace = wholeField(graceText, 'grace', FORMS.grace, DEFAULTS.grace);
  let retryOverAction: RetryOverAction = DEFAULTS.retryOverAction;
  if (actionText !== undefined && actionText !== '-') {
    const action = ACTIONS.find((candidate) => candidate === actionText.toLowerCase());
    if (action === undefined) error(`retry_over_action must be continue, shutdown or exit (got "${actionText}")`);
    else retryOverAction = action;
  }

  let args: ArgsMatch | null = null;
  let user: string | null = null;
  let uid: number | null = null;
  let pidfile: string | null = null;
  let scriptTimeout: number = DEFAULTS.scriptTimeout;
  let startWait: number = DEFAULTS.startWait;
  let tlsVerify = false;
  let tlsCa: string | null = null;
  let maxRss: number | null = null;
  let maxCpu: number | null = null;
  let limitHold: number = DEFAULTS.limitHold;
  let limitAction: LimitAction = DEFAULTS.limitAction;
  const duration = (name: string, text: string, fallback: number): number => {
    const reading = readNumber(name, text, FORMS.duration);
    if ('error' in reading) {
      error(`${reading.error}; the default is ${fallback}`);
      return fallback;
    }
    return reading.value;
  };
  for (const option of options) {
    const equals = option.indexOf('=');
    const name = option.slice(0, equals);
    const value = option.slice(equals + 1);
    switch (name) {
      case 'args': {
        const regex = /^\/(.*)\/([a-z]*)$/s.exec(value);
        if (regex !== null && value.length >= 2) {
          try {
            new RegExp(regex[1] ?? '', regex[2]);
            args = { kind: 'regex', source: regex[1] ?? '', flags: regex[2] ?? '' };
          } catch (failure) {
            error(`args=${value} is not a valid regular expression: ${(failure as Error).message}`);
          }
        } else if (value === '') {
          error('args= needs a text (or /regex/) the command line must contain');
        } else {
          args = { kind: 'text', text: value };
        }
        break;
      }
      case 'user':
        if (isWhole(value)) {
          const reading = readNumber('a numeric user=', value, FORMS.uid);
          if ('error' in reading) error(`${reading.error}; write a user name or a uid`);
          else {
            user = value;
            uid = reading.value;
          }
        } else {
          const resolved = host.resolveUser(value);
          if (resolved === undefined) error(`user=${value}: no such user on this machine; write a user name or a numeric uid`);
          else {
            user = value;
            uid = resolved;
          }
        }
        break;
      case 'pidfile':
        if (!value.startsWith('/')) error(`pidfile must be an absolute path (got "${value}")`);
        else pidfile = value;
        break;
      case 'script_timeout':
        scriptTimeout = duration('script_timeout', value, DEFAULTS.scriptTimeout);
        break;
      case 'start_wait':
        startWait = duration('start_wait', value, DEFAULTS.startWait);
        break;
      case 'tls_verify':
        if (!['yes', 'no', 'on', 'off'].includes(value)) error(`tls_verify must be yes or no (got "${value}")`);
        tlsVerify = value === 'yes' || value === 'on';
        break;
      case 'tls_ca': {
        const why = value.startsWith('/') ? host.checkReadable(value) : 'not an absolute path';
        if (why !== null) error(`tls_ca ${value}: ${why}; it must be a readable PEM file`);
        else tlsCa = value;
        break;
      }
      case 'max_rss': {
        const reading = readSize('max_rss', value);
        if ('error' in reading) error(reading.error);
        else maxRss = reading.value;
        break;
      }
      case 'max_cpu': {
        const reading = readPercent('max_cpu', value);
        if ('error' in reading) error(reading.error);
        else maxCpu = reading.value;
        break;
      }
      case 'limit_hold': {
        const reading = readNumber('limit_hold', value, FORMS.limitHold);
        if ('error' in reading) error(`${reading.error}; the default is ${DEFAULTS.limitHold}`);
        else limitHold = reading.value;
        break;
      }
      case 'limit_action': {
        const action = LIMIT_ACTIONS.find((candidate) => candidate === value.toLowerCase());
        if (action === undefined) error(`limit_action must be log or restart (got ${quoted(value)})`);
        else limitAction = action;
        break;
      }
      default:
        error(`unknown option "${name}="; options are ${OPTIONS.map((known) => `${known}=`).join(', ')}`);
    }
  }
  const limits = Object.freeze({ maxRss, maxCpu, hold: limitHold, action: limitAction });
  if (maxRss === null && maxCpu === null && options.some((option) => /^limit_(hold|action)=/.test(option))) {
    report(line, 'warning', 'limit_hold= and limit_action= do nothing without max_rss= or max_cpu=');
  }
  if (errorsBefore.count > 0) return null;
  return {
    rule: { pentId, line, pname, restartScript, retryCount, grace, retryOverAction, args, user, uid, pidfile, scriptTimeout, startWait, tlsVerify, tlsCa, limits },
    stall: [],
  };
}

/** Reads a `_bi_*` block starting at lines[index]; returns the index of its last line. */
function readBlock(
  lines: readonly LogicalLine[],
  index: number,
  blockName: string,
  entry: EntryDraft | 'invalid' | undefined,
  report: (line: number, severity: Diagnostic['severity'], message: string) => void,
): number {
  const head = lines[index] as LogicalLine;
  const known = BLOCK_NAMES[blockName];
  if (known !== undefined && known.canonical !== blockName) {
    report(head.line, 'warning', `"${blockName}" read as ${known.canonical} (the vendor guide's prose spelling); write ${known.canonical}`);
  }
  let opened = (head.fields[0] ?? '').endsWith('{') || head.fields[1] === '{';
  const trailing = head.fields.slice((head.fields[0] ?? '').endsWith('{') ? 1 : opened ? 2 : 1);
  if (trailing.length > 0) report(head.line, 'error', `unexpected "${trailing.join(' ')}" after ${blockName} {`);
  const psLines: Partial<Record<PsLine, PsValue>> = {};
  let cursor = index + 1;
  let closed = false;
  for (; cursor < lines.length; cursor += 1) {
    const current = lines[cursor] as LogicalLine;
    const [first = ''] = current.fields;
    if (!opened) {
      if (first === '{' && current.fields.length === 1) {
        opened = true;
        continue;
      }
      report(current.line, 'error', `${blockName} must be followed by {`);
      break;
    }
    if (first === '}') {
      closed = true;
      if (current.fields.length > 1) report(current.line, 'error', `unexpected "${current.fields.slice(1).join(' ')}" after }`);
      break;
    }
    if (first === '{' || first.startsWith('_bi_')) {
      report(current.line, 'error', `${blockName} opened on line ${head.line} is not closed; add } before this line`);
      cursor -= 1;
      break;
    }
    if (!(PS_LINES as readonly string[]).includes(first)) {
      report(current.line, 'error', `"${first}" in ${blockName}; a block holds PS_INIT, PS_EXEC, PS_ACTION and PS_QUIT lines`);
      continue;
    }
    const which = first as PsLine;
    if (current.fields.length !== 2) {
      report(current.line, 'error', `${which} takes one value type:file:call:timeout:interval:error:argc[:argv...] (got ${current.fields.length - 1} fields)`);
      continue;
    }
    if (psLines[which] !== undefined) report(current.line, 'warning', `${which} already given on line ${psLines[which]?.line}; this later one wins`);
    psLines[which] = { line: current.line, value: current.fields[1] ?? '' };
  }
  if (!closed && cursor >= lines.length) report(head.line, 'error', `${blockName} opened here is not closed; add a line with }`);
  if (entry === undefined) {
    report(head.line, 'error', `${blockName} before any process entry; a stall block belongs to the process entry line just above it`);
    return cursor;
  }
  const rule = buildStallRule(blockName, head.line, psLines, report);
  if (rule !== null && entry !== 'invalid') {
    const duplicate = entry.stall.find((stall) => stall.kind === rule.kind);
    if (duplicate !== undefined) {
      report(head.line, 'error', `a second ${known?.canonical} block for the entry on line ${entry.rule.line} (the first is on line ${duplicate.line}); keep one`);
    } else {
      entry.stall.push(rule);
    }
  }
  return cursor;
}

/** Skips an unknown `_bi_*` block through its closing brace. */
function skipBlock(lines: readonly LogicalLine[], index: number): number {
  for (let cursor = index + 1; cursor < lines.length; cursor += 1) {
    if ((lines[cursor] as LogicalLine).fields[0] === '}') return cursor;
  }
  return lines.length - 1;
}
