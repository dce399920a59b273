// The alert file: text -> {config, errors, warnings}, in the pfile's grammar (fields, quotes,
// comments, `\` continuation) with `<kind> <name> { key value... }` blocks. Pure: what it must know
// about files (a command is executable, a secret is 0600) comes from `host`.
import type { Severity } from '../log/catalogue.js';
import { lex, type LogicalLine } from '../pfile/lexer.js';
import { FORMS, isWhole, readNumber, type NumberForm } from '../pfile/numbers.js';
import { LIMITS, quoted, type Diagnostic } from '../pfile/types.js';
import { SEVERITIES } from './router.js';
import { DEFAULT_BODY, DEFAULT_SUBJECT } from './template.js';
import type {
  AlertConfig,
  AlertmanagerDestination,
  AlertRule,
  CommandDestination,
  Destination,
  MailDestination,
  TlsMode,
  WebhookDestination,
} from './types.js';

/** Facts about the machine the parser asks; load supplies real ones, tests fakes. */
export interface AlertFileHost {
  /** null when `path` is an executable regular file, else why not. */
  checkExecutable(path: string): string | null;
  /** null when `path` is a readable regular file, else why not. */
  checkReadable(path: string): string | null;
  /**
   * null when `path` is a regular file this process can read, that neither its group nor others may
   * read or write (0600, 0400), and that is not empty; else why not. Never reads the secret itself.
   */
  checkSecret(path: string): string | null;
}

/** An entry of the pfile, to check that a rule's `entry` names one. */
export interface EntryName {
  readonly pentId: number;
  readonly pname: string;
}

export interface AlertParseResult {
  /** null when there is at least one error. */
  readonly config: AlertConfig | null;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

export const ALERT_DEFAULTS = Object.freeze({
  mailPort: 25,
  /** The port of implicit TLS (`tls tls`). */
  mailTlsPort: 465,
  mailTls: 'starttls' as TlsMode,
  /** The seed's setting (通信応答待ち時間 30秒). */
  mailTimeout: 30,
  charset: 'utf-8' as MailDestination['charset'],
  httpTimeout: 10,
  commandTimeout: 30,
  webhookShape: 'json' as WebhookDestination['shape'],
  ruleSeverity: 'warning' as Severity,
  fallbackSeverity: 'warning' as Severity,
  coalesceSeconds: 5,
  retrySeconds: 86400,
  spoolLimit: 1000,
});

/** Upper limits of what an alert file may say; docs/decisions.md says why. */
export const ALERT_LIMITS = Object.freeze({
  /** Largest alert file read, in bytes (as the pfile). */
  fileBytes: LIMITS.pfileBytes,
  /** One delivery attempt; its destination's queue waits behind it. */
  timeoutSeconds: 3600,
  coalesceSeconds: 3600,
  /** 30 days. */
  retrySeconds: 2592000,
  spoolLimit: 1000000,
  /** A destination's name names its spool directory. */
  nameLength: 64,
});

const ALERT_FORMS = Object.freeze({
  timeout: { kind: 'seconds', min: 0, aboveMin: true, max: ALERT_LIMITS.timeoutSeconds },
  coalesce: { kind: 'seconds', min: 0, max: ALERT_LIMITS.coalesceSeconds },
  retry: { kind: 'wholeSeconds', min: 0, max: ALERT_LIMITS.retrySeconds },
  spoolLimit: { kind: 'whole', min: 1, max: ALERT_LIMITS.spoolLimit },
  pentId: { kind: 'whole', min: 1, max: LIMITS.retryCount },
} satisfies Record<string, NumberForm>);

const KINDS = ['mail', 'webhook', 'alertmanager', 'command'] as const;
type Kind = (typeof KINDS)[number];
const BLOCKS = [...KINDS, 'rule'] as const;
type BlockKind = (typeof BLOCKS)[number];

const KEYS: Record<BlockKind, readonly string[]> = {
  mail: ['host', 'port', 'tls', 'verify', 'ca', 'from', 'to', 'auth_user', 'auth_password_file', 'timeout', 'charset', 'encode_subject', 'subject', 'body'],
  webhook: ['url', 'shape', 'timeout', 'verify', 'ca', 'token_file'],
  alertmanager: ['url', 'timeout', 'verify', 'ca'],
  command: ['path', 'args', 'timeout'],
  rule: ['match', 'severity', 'entry', 'send'],
};

/** Keys and settings whose values add up when given on several lines. */
const LISTS = new Set(['to', 'args', 'match', 'send', 'fallback']);

const SETTINGS = ['fallback', 'fallback_severity', 'coalesce', 'retry', 'spool_limit'] as const;
type SettingName = (typeof SETTINGS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** One address, as SMTP's envelope takes it: no display name, no blanks. */
const ADDRESS = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/;
const HOST = /^[A-Za-z0-9._:[\]-]+$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

type Report = (line: number, severity: Diagnostic['severity'], message: string) => void;

/** What a key or setting was given: its values, over every line it was written on. */
interface Given {
  readonly line: number;
  values: string[];
}

interface Block {
  readonly kind: BlockKind;
  readonly name: string;
  readonly line: number;
  readonly given: Map<string, Given>;
}

/**
 * Parses an alert file; every error and warning is reported, in line order, each with the alert
 * file's path and line (past LIMITS.diagnostics, counted). `entries` (the pfile's, when known)
 * lets a rule's `entry` that names none of them be warned of.
 */
export function parseAlertFile(text: string, file: string, host: AlertFileHost, entries?: readonly EntryName[]): AlertParseResult {
  const lexed = lex(text, file, { joinAfterColon: false });
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
  const report: Report = (line, severity, message) => diagnostics.push({ file, line, severity, message });

  const blocks: Block[] = [];
  const settings = new Map<SettingName, Given>();
  const lines = lexed.lines;
  for (let index = 0; index < lines.length; index += 1) {
    const current = lines[index] as LogicalLine;
    const [first = ''] = current.fields;
    if ((BLOCKS as readonly string[]).includes(first)) {
      const read = readBlock(lines, index, first as BlockKind, report);
      if (read.block !== null) blocks.push(read.block);
      index = read.last;
      continue;
    }
    if ((SETTINGS as readonly string[]).includes(first)) {
      readSetting(current, first as SettingName, settings, report);
      continue;
    }
    report(current.line, 'error', unknownTopLevel(first));
  }

  const destinations = readDestinations(blocks, host, report);
  const rules = readRules(blocks, report);
  const config = buildConfig(file, destinations, rules, settings, report);
  checkNames(config, blocks, settings, entries, report);

  // sort is stable: one line's diagnostics keep the order they were found in
  const ordered = diagnostics.sort((a, b) => a.line - b.line);
  const errors = capped(ordered.filter((diagnostic) => diagnostic.severity === 'error'));
  const warnings = capped(ordered.filter((diagnostic) => diagnostic.severity === 'warning'));
  return { config: errors.length === 0 ? config : null, errors, warnings };
}

function unknownTopLevel(first: string): string {
  const known = [...BLOCKS, ...SETTINGS];
  const sameButCase = known.find((keyword) => keyword.toLowerCase() === first.toLowerCase());
  if (sameButCase !== undefined) return `unknown keyword "${first}"; keywords are case-sensitive: write ${sameButCase}`;
  if (first === '{' || first === '}') return `"${first}" outside a block; a block is <kind> <name> { ... } with { on its first line`;
  return `unknown keyword ${quoted(first)}; an alert file holds destinations (${KINDS.join(', ')} <name> { ... }), rules (rule <name> { ... }) and the settings ${SETTINGS.join(', ')}`;
}

/** The first LIMITS.diagnostics, then one saying how many more there were. */
function capped(list: Diagnostic[]): Diagnostic[] {
  if (list.length <= LIMITS.diagnostics) return list;
  const first = list[LIMITS.diagnostics] as Diagnostic;
  const more = list.length - LIMITS.diagnostics;
  return [...list.slice(0, LIMITS.diagnostics), { ...first, message: `${more} more ${first.severity}s from here on are not listed (only the first ${LIMITS.diagnostics} are)` }];
}

function readSetting(current: LogicalLine, name: SettingName, settings: Map<SettingName, Given>, report: Report): void {
  const values = current.fields.slice(1);
  if (values.length === 0) {
    report(current.line, 'error', `${name} needs a value: ${SETTING_USAGE[name]}`);
    return;
  }
  if (!LISTS.has(name) && values.length > 1) {
    report(current.line, 'error', `${name} takes one value (got ${values.length}): ${SETTING_USAGE[name]}`);
    return;
  }
  const previous = settings.get(name);
  if (previous === undefined) settings.set(name, { line: current.line, values });
  else if (LISTS.has(name)) previous.values.push(...values);
  else report(current.line, 'error', `${name} already set on line ${previous.line}; keep one`);
}

const SETTING_USAGE: Record<SettingName, string> = {
  fallback: 'fallback <destination>...',
  fallback_severity: `fallback_severity ${SEVERITIES.join('|')} (default ${ALERT_DEFAULTS.fallbackSeverity})`,
  coalesce: `coalesce <seconds> (default ${ALERT_DEFAULTS.coalesceSeconds})`,
  retry: `retry <seconds> (default ${ALERT_DEFAULTS.retrySeconds})`,
  spool_limit: `spool_limit <messages> (default ${ALERT_DEFAULTS.spoolLimit})`,
};

/** Reads a block starting at lines[index]; returns it (null when its head is unusable) and the index of its last line. */
function readBlock(lines: readonly LogicalLine[], index: number, kind: BlockKind, report: Report): { block: Block | null; last: number } {
  const head = lines[index] as LogicalLine;
  const usage = `${kind} <name> {`;
  let [written = '', ...after] = head.fields.slice(1);
  let opened = false;
  if (written.endsWith('{')) {
    written = written.slice(0, -1);
    opened = true;
  } else if (after[0] === '{') {
    after = after.slice(1);
    opened = true;
  }
  let usable = true;
  if (written === '') {
    report(head.line, 'error', `${kind} needs a name: ${usage}`);
    usable = false;
  } else if (!NAME.test(written) || written.length > ALERT_LIMITS.nameLength) {
    report(head.line, 'error', `${kind} name ${quoted(written)} must be letters, digits, ".", "_" and "-", starting with a letter or digit, at most ${ALERT_LIMITS.nameLength} characters`);
    usable = false;
  }
  if (after.length > 0) {
    report(head.line, 'error', `unexpected ${quoted(after.join(' '))} after ${kind} ${written} {; write each key on its own line, and } on a line of its own`);
  }
  const given = new Map<string, Given>();
  let cursor = index + 1;
  let closed = false;
  for (; cursor < lines.length; cursor += 1) {
    const current = lines[cursor] as LogicalLine;
    const [key = '', ...values] = current.fields;
    if (!opened) {
      if (key === '{' && values.length === 0) {
        opened = true;
        continue;
      }
      report(head.line, 'error', `${kind} ${written} must be followed by {: ${usage}`);
      return { block: null, last: cursor - 1 };
    }
    if (key === '}') {
      closed = true;
      if (values.length > 0) report(current.line, 'error', `unexpected ${quoted(values.join(' '))} after }`);
      break;
    }
    if ((BLOCKS as readonly string[]).includes(key) || (SETTINGS as readonly string[]).includes(key)) {
      report(head.line, 'error', `${kind} ${written} opened here is not closed; add } before line ${current.line}`);
      closed = true;
      cursor -= 1;
      break;
    }
    if (values.includes('}')) {
      report(current.line, 'error', `} must stand on a line of its own (after ${key}); quote it ("}") if it is a value`);
    }
    if (key === '{') {
      report(current.line, 'error', `unexpected { inside ${kind} ${written}`);
      continue;
    }
    if (!KEYS[kind].includes(key)) {
      report(current.line, 'error', unknownKey(kind, key));
      continue;
    }
    const previous = given.get(key);
    if (previous === undefined) given.set(key, { line: current.line, values });
    else if (LISTS.has(key)) previous.values.push(...values);
    else report(current.line, 'error', `${kind} ${written}: ${key} already given on line ${previous.line}; keep one`);
  }
  if (!opened) report(head.line, 'error', `${kind} ${written} must be followed by {: ${usage}`);
  else if (!closed) report(head.line, 'error', `${kind} ${written} opened here is not closed; add a line with }`);
  return { block: usable && opened ? { kind, name: written, line: head.line, given } : null, last: cursor };
}

function unknownKey(kind: BlockKind, key: string): string {
  const sameButCase = KEYS[kind].find((known) => known.toLowerCase() === key.toLowerCase());
  if (sameButCase !== undefined) return `unknown key "${key}" in ${kind}; keys are case-sensitive: write ${sameButCase}`;
  const what = kind === 'rule' ? 'a rule' : `a ${kind} destination`;
  return `unknown key ${quoted(key)}; ${what} takes ${KEYS[kind].join(', ')}`;
}

/** Reads a block's keys, each error naming the block and the key's line. */
class Keys {
  constructor(
    private readonly block: Block,
    private readonly report: Report,
  ) {}

  /** Errors so far. */
  failed = false;

  error(line: number, message: string): void {
    this.failed = true;
    this.report(line, 'error', `${this.block.kind} ${this.block.name}: ${message}`);
  }

  warning(line: number, message: string): void {
    this.report(line, 'warning', `${this.block.kind} ${this.block.name}: ${message}`);
  }

  has(key: string): boolean {
    return this.block.given.has(key);
  }

  lineOf(key: string): number {
    return this.block.given.get(key)?.line ?? this.block.line;
  }

  /** The key's one value; undefined (after an error if `required`) when absent or not one value. */
  one(key: string, required = false): string | undefined {
    const given = this.block.given.get(key);
    if (given === undefined) {
      if (required) this.error(this.block.line, `${key} is required: add a line "${key} <value>" inside the block`);
      return undefined;
    }
    if (given.values.length !== 1) {
      this.error(given.line, `${key} takes one value (got ${given.values.length}); quote a value that holds blanks`);
      return undefined;
    }
    return given.values[0];
  }

  /** The key's values (one or more); undefined when absent. */
  list(key: string, required = false): string[] | undefined {
    const given = this.block.given.get(key);
    if (given === undefined) {
      if (required) this.error(this.block.line, `${key} is required: add a line "${key} <value>..." inside the block`);
      return undefined;
    }
    if (given.values.length === 0) {
      this.error(given.line, `${key} needs at least one value`);
      return undefined;
    }
    return given.values;
  }

  /** The values of a key that takes the rest of its line as one text (blanks between fields kept as one). */
  text(key: string): string | undefined {
    const values = this.list(key);
    if (values === undefined) return undefined;
    const text = values.join(' ');
    if (text === '') {
      this.error(this.lineOf(key), `${key} is empty; leave the line out for the default`);
      return undefined;
    }
    return text;
  }

  number(key: string, form: NumberForm, fallback: number): number {
    const value = this.one(key);
    if (value === undefined) return fallback;
    const reading = readNumber(key, value, form);
    if ('error' in reading) {
      this.error(this.lineOf(key), `${reading.error}; the default is ${fallback}`);
      return fallback;
    }
    return reading.value;
  }

  choice<T extends string>(key: string, choices: readonly T[], fallback: T, anyCase = false): T {
    const value = this.one(key);
    if (value === undefined) return fallback;
    const chosen = choices.find((choice) => (anyCase ? choice.toLowerCase() === value.toLowerCase() : choice === value));
    if (chosen === undefined) {
      this.error(this.lineOf(key), `${key} must be ${choices.join(', ').replace(/, ([^,]*)$/, ' or $1')} (got ${quoted(value)}); the default is ${fallback}`);
      return fallback;
    }
    return chosen;
  }

  flag(key: string, fallback: boolean): boolean {
    const value = this.one(key);
    if (value === undefined) return fallback;
    if (value === 'yes' || value === 'on') return true;
    if (value === 'no' || value === 'off') return false;
    this.error(this.lineOf(key), `${key} must be yes or no (got ${quoted(value)}); the default is ${fallback ? 'yes' : 'no'}`);
    return fallback;
  }

  /** An absolute path that `check` accepts (null: fine; else why not). */
  path(key: string, what: string, check: (path: string) => string | null, required = false): string | null {
    const value = this.one(key, required);
    if (value === undefined) return null;
    if (!value.startsWith('/')) {
      this.error(this.lineOf(key), `${key} must be an absolute path (got ${quoted(value)})`);
      return null;
    }
    const why = check(value);
    if (why !== null) {
      this.error(this.lineOf(key), `${key} ${value}: ${why}; it must be ${what}`);
      return null;
    }
    return value;
  }
}

function readDestinations(blocks: readonly Block[], host: AlertFileHost, report: Report): Destination[] {
  const destinations: Destination[] = [];
  for (const block of blocks) {
    if (block.kind === 'rule') continue;
    const keys = new Keys(block, report);
    const destination = READERS[block.kind](keys, block, host);
    if (!keys.failed) destinations.push(Object.freeze(destination));
  }
  return destinations;
}

const READERS: Record<Kind, (keys: Keys, block: Block, host: AlertFileHost) => Destination> = {
  mail: readMail,
  webhook: readWebhook,
  alertmanager: readAlertmanager,
  command: readCommand,
};

const TLS_MODES: readonly TlsMode[] = ['none', 'starttls', 'tls'];
const CHARSETS: readonly MailDestination['charset'][] = ['utf-8', 'iso-2022-jp'];
const SHAPES: readonly WebhookDestination['shape'][] = ['json', 'text'];

function readMail(keys: Keys, block: Block, host: AlertFileHost): MailDestination {
  const server = keys.one('host', true) ?? '';
  if (server.includes('://')) keys.error(keys.lineOf('host'), `host is a host name or address, not a URL (got ${quoted(server)}); write the port with port`);
  else if (server !== '' && !HOST.test(server)) keys.error(keys.lineOf('host'), `host ${quoted(server)} is not a host name or address`);
  const tls = keys.choice('tls', TLS_MODES, ALERT_DEFAULTS.mailTls);
  const port = keys.number('port', FORMS.port, tls === 'tls' ? ALERT_DEFAULTS.mailTlsPort : ALERT_DEFAULTS.mailPort);
  const verify = keys.flag('verify', true);
  const ca = keys.path('ca', 'a readable PEM file', (path) => host.checkReadable(path));
  const from = address(keys, 'from', [keys.one('from', true)])[0] ?? '';
  const to = address(keys, 'to', keys.list('to', true) ?? []);
  const authUser = keys.one('auth_user') ?? null;
  const authPasswordFile = keys.path('auth_password_file', 'a file only its owner may read and write (chmod 600)', (path) => host.checkSecret(path));
  if (keys.has('auth_user') !== keys.has('auth_password_file')) {
    const [given, missing] = keys.has('auth_user') ? ['auth_user', 'auth_password_file'] : ['auth_password_file', 'auth_user'];
    keys.error(keys.lineOf(given), `${given} needs ${missing} too (AUTH takes a user and a password read from a file)`);
  }
  if (authUser !== null && tls === 'none' && !LOOPBACK.has(server)) {
    keys.warning(keys.lineOf('tls'), `tls none with auth_user: the password crosses the network to ${server} in clear; use starttls or tls`);
  }
  if (ca !== null && !verify) keys.warning(keys.lineOf('ca'), 'ca is not used: verify is no');
  return {
    kind: 'mail',
    name: block.name,
    line: block.line,
    timeoutSeconds: keys.number('timeout', ALERT_FORMS.timeout, ALERT_DEFAULTS.mailTimeout),
    host: server,
    port,
    tls,
    verify,
    ca,
    from,
    to: Object.freeze(to),
    authUser,
    authPasswordFile,
    charset: keys.choice('charset', CHARSETS, ALERT_DEFAULTS.charset, true),
    encodeSubject: keys.flag('encode_subject', true),
    subject: keys.text('subject') ?? DEFAULT_SUBJECT,
    body: bodyTemplate(keys.list('body')) ?? DEFAULT_BODY,
  };
}

/** The addresses of a key, each checked; a bad one is an error. */
function address(keys: Keys, key: string, values: readonly (string | undefined)[]): string[] {
  const good: string[] = [];
  for (const value of values) {
    if (value === undefined) continue;
    if (ADDRESS.test(value)) good.push(value);
    else keys.error(keys.lineOf(key), `${key}: ${quoted(value)} is not a mail address; write user@domain, no display name, several addresses separated by blanks`);
  }
  return good;
}

/** A body's fields are its lines; `\n` inside one is a line break too. */
function bodyTemplate(values: readonly string[] | undefined): string | undefined {
  return values?.map((value) => value.replace(/\\n/g, '\n')).join('\n');
}

function readWebhook(keys: Keys, block: Block, host: AlertFileHost): WebhookDestination {
  const url = readUrl(keys, false);
  const verify = keys.flag('verify', true);
  const ca = keys.path('ca', 'a readable PEM file', (path) => host.checkReadable(path));
  const tokenFile = keys.path('token_file', 'a file only its owner may read and write (chmod 600)', (path) => host.checkSecret(path));
  if (tokenFile !== null && url !== null && url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    keys.warning(keys.lineOf('token_file'), `the token crosses the network to ${url.hostname} in clear (http://); use https://`);
  }
  if (ca !== null && !verify) keys.warning(keys.lineOf('ca'), 'ca is not used: verify is no');
  return {
    kind: 'webhook',
    name: block.name,
    line: block.line,
    timeoutSeconds: keys.number('timeout', ALERT_FORMS.timeout, ALERT_DEFAULTS.httpTimeout),
    url: url?.written ?? '',
    shape: keys.choice('shape', SHAPES, ALERT_DEFAULTS.webhookShape),
    verify,
    ca,
    tokenFile,
  };
}

function readAlertmanager(keys: Keys, block: Block, host: AlertFileHost): AlertmanagerDestination {
  const url = readUrl(keys, true);
  const verify = keys.flag('verify', true);
  const ca = keys.path('ca', 'a readable PEM file', (path) => host.checkReadable(path));
  if (ca !== null && !verify) keys.warning(keys.lineOf('ca'), 'ca is not used: verify is no');
  return {
    kind: 'alertmanager',
    name: block.name,
    line: block.line,
    timeoutSeconds: keys.number('timeout', ALERT_FORMS.timeout, ALERT_DEFAULTS.httpTimeout),
    // <url>/api/v2/alerts is where alerts go: no trailing slash to double
    url: url?.written.replace(/\/+$/, '') ?? '',
    verify,
    ca,
  };
}

/** The `url` key: http:// or https://, no user or password in it. */
function readUrl(keys: Keys, base: boolean): { written: string; protocol: string; hostname: string } | null {
  const written = keys.one('url', true);
  if (written === undefined) return null;
  const line = keys.lineOf('url');
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    keys.error(line, `url ${quoted(written)} is not a URL; write http://host:port/path or https://...`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    keys.error(line, `url must start with http:// or https:// (got ${quoted(written)})`);
    return null;
  }
  if (url.username !== '' || url.password !== '') {
    keys.error(line, `url holds a user or password, which would show wherever the URL is shown; ${base ? 'put the Alertmanager behind no password, or a proxy' : 'put a bearer token in token_file'}`);
    return null;
  }
  if (base && /\/api\/v[12]\/alerts\/?$/.test(url.pathname)) {
    keys.error(line, `url is the Alertmanager's base URL (got ${quoted(written)}); pcheck adds /api/v2/alerts: write ${url.origin}${url.pathname.replace(/\/api\/v[12]\/alerts\/?$/, '')}`);
    return null;
  }
  return { written, protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1') };
}

function readCommand(keys: Keys, block: Block, host: AlertFileHost): CommandDestination {
  return {
    kind: 'command',
    name: block.name,
    line: block.line,
    timeoutSeconds: keys.number('timeout', ALERT_FORMS.timeout, ALERT_DEFAULTS.commandTimeout),
    path: keys.path('path', 'an executable file', (path) => host.checkExecutable(path), true) ?? '',
    args: Object.freeze(keys.list('args') ?? []),
  };
}

function readRules(blocks: readonly Block[], report: Report): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const block of blocks) {
    if (block.kind !== 'rule') continue;
    const keys = new Keys(block, report);
    const keywords = keys.list('match') ?? [];
    if (keywords.includes('')) keys.error(keys.lineOf('match'), 'an empty keyword ("") matches everything; leave it out');
    const minSeverity = keys.choice('severity', SEVERITIES, ALERT_DEFAULTS.ruleSeverity);
    const send = keys.list('send', true) ?? [];
    const rule: AlertRule = {
      name: block.name,
      line: block.line,
      keywords: Object.freeze(keywords),
      minSeverity,
      entry: readEntry(keys),
      send: Object.freeze(send),
    };
    if (!keys.failed) rules.push(Object.freeze(rule));
  }
  return rules;
}

/** A rule's `entry`: a pent_id (digits) or a pname as the pfile writes it. */
function readEntry(keys: Keys): number | string | null {
  const value = keys.one('entry');
  if (value === undefined) return null;
  if (isWhole(value)) {
    const reading = readNumber('entry', value, ALERT_FORMS.pentId);
    if ('error' in reading) {
      keys.error(keys.lineOf('entry'), `${reading.error}; write a pent_id or a pname`);
      return null;
    }
    return reading.value;
  }
  if (value.includes('/') && !value.startsWith('/')) {
    keys.error(keys.lineOf('entry'), `entry is a pent_id or a pname as the pfile writes it: an absolute path or a bare name (got ${quoted(value)})`);
    return null;
  }
  return value;
}

function buildConfig(
  file: string,
  destinations: readonly Destination[],
  rules: readonly AlertRule[],
  settings: Map<SettingName, Given>,
  report: Report,
): AlertConfig {
  const value = (name: SettingName): Given | undefined => settings.get(name);
  const number = (name: SettingName, form: NumberForm, fallback: number): number => {
    const given = value(name);
    if (given === undefined) return fallback;
    const reading = readNumber(name, given.values[0] ?? '', form);
    if ('error' in reading) {
      report(given.line, 'error', `${reading.error}; the default is ${fallback}`);
      return fallback;
    }
    return reading.value;
  };
  let fallbackSeverity = ALERT_DEFAULTS.fallbackSeverity;
  const severity = value('fallback_severity');
  if (severity !== undefined) {
    const chosen = SEVERITIES.find((candidate) => candidate === severity.values[0]);
    if (chosen === undefined) report(severity.line, 'error', `fallback_severity must be ${SEVERITIES.join(', ')} (got ${quoted(severity.values[0] ?? '')})`);
    else fallbackSeverity = chosen;
    if (value('fallback') === undefined) report(severity.line, 'warning', 'fallback_severity without fallback: no event goes to a fallback');
  }
  return Object.freeze({
    file,
    destinations: Object.freeze([...destinations]),
    rules: Object.freeze([...rules]),
    fallback: Object.freeze([...new Set(value('fallback')?.values ?? [])]),
    fallbackSeverity,
    coalesceSeconds: number('coalesce', ALERT_FORMS.coalesce, ALERT_DEFAULTS.coalesceSeconds),
    retrySeconds: number('retry', ALERT_FORMS.retry, ALERT_DEFAULTS.retrySeconds),
    spoolLimit: number('spool_limit', ALERT_FORMS.spoolLimit, ALERT_DEFAULTS.spoolLimit),
  });
}

/**
 * Names across blocks: no two destinations (nor two rules) share one; every `send` and `fallback`
 * names a destination; a destination nothing sends to, and a rule's entry the pfile lacks, are
 * warned of.
 */
function checkNames(
  config: AlertConfig,
  blocks: readonly Block[],
  settings: Map<SettingName, Given>,
  entries: readonly EntryName[] | undefined,
  report: Report,
): void {
  const firstOf = new Map<string, Block>();
  const destinations = new Map<string, Block>();
  for (const block of blocks) {
    const space = block.kind === 'rule' ? 'rule' : 'destination';
    const key = `${space} ${block.name}`;
    const first = firstOf.get(key);
    if (first !== undefined) {
      report(block.line, 'error', `${block.kind} ${block.name}: a ${space} named ${block.name} is already declared on line ${first.line}; names must differ`);
      continue;
    }
    firstOf.set(key, block);
    if (space === 'destination') destinations.set(block.name, block);
  }
  const known = [...destinations.keys()];
  const used = new Set<string>();
  const check = (names: readonly string[], line: number, where: string) => {
    for (const name of names) {
      used.add(name);
      if (!destinations.has(name)) {
        report(line, 'error', `${where}: no destination named ${quoted(name)}; ${known.length === 0 ? 'declare it: mail|webhook|alertmanager|command <name> { ... }' : `destinations are ${known.join(', ')}`}`);
      }
    }
  };
  for (const block of blocks) {
    if (block.kind !== 'rule') continue;
    const send = block.given.get('send');
    if (send !== undefined) {
      check(send.values, send.line, `rule ${block.name}: send`);
      if (new Set(send.values).size < send.values.length) report(send.line, 'warning', `rule ${block.name}: send names a destination twice; it gets each event once`);
    }
  }
  const fallback = settings.get('fallback');
  if (fallback !== undefined) check(fallback.values, fallback.line, 'fallback');
  for (const [name, block] of destinations) {
    if (!used.has(name)) {
      report(block.line, 'warning', `${block.kind} ${name}: no rule sends to it and it is not the fallback; it only gets padmin -c test alert`);
    }
  }
  if (destinations.size === 0) report(0, 'warning', 'no destination is declared: no alert is sent');
  if (entries !== undefined) {
    for (const rule of config.rules) {
      if (rule.entry === null) continue;
      const entry = rule.entry;
      if (!entries.some((candidate) => (typeof entry === 'number' ? candidate.pentId === entry : candidate.pname === entry))) {
        const what = typeof entry === 'number' ? `pent_id ${entry}` : `pname ${entry}`;
        report(rule.line, 'warning', `rule ${rule.name}: no process entry of the pfile has ${what}; the rule matches nothing until one does`);
      }
    }
  }
}
