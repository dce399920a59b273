// padmin's command line, read with Node's own util.parseArgs rather than commander: commander's
// loading and parsing were about 4.6 ms of the 22 ms padmin's `show pent` of 1000 entries spent
// over node's own start-up (bench/padmin.js, docs/decisions.md). The grammar is commander's as
// padmin used it: `-c` takes every word up to the next option, a repeated option keeps its last
// value, `--opt=value` and `-fvalue` work, and the help text reads the same.
import { parseArgs } from 'node:util';

export interface PadminOptions {
  readonly file: string;
  /** The words after -c, joined by one space: `show pent`. */
  readonly command: string;
  readonly pent?: string;
  readonly dest?: string;
  readonly json: boolean;
}

/** What the command line asks for: the options, help or the version, or a usage error to print. */
export type PadminArgs =
  | { readonly kind: 'run'; readonly options: PadminOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly message: string };

const SPEC = {
  file: { type: 'string', short: 'f' },
  command: { type: 'string', short: 'c' },
  pent: { type: 'string', short: 'p' },
  dest: { type: 'string', short: 'd' },
  json: { type: 'boolean' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How each option is named in messages and the help, as it is written. */
const SHOWN: Record<'file' | 'command' | 'pent' | 'dest', string> = {
  file: '-f, --file <pfile>',
  command: '-c, --command <words...>',
  pent: '-p, --pent <pent_id>',
  dest: '-d, --dest <destination>',
};

/** `padmin --help`: the usage, one line an option. */
export function padminHelp(commands: readonly string[]): string {
  const rows: [string, string][] = [
    [SHOWN.file, 'the pfile pcheck was started with'],
    [SHOWN.command, `one of: ${commands.join(', ')}`],
    [SHOWN.pent, 'limit show/stop/start to one entry'],
    [SHOWN.dest, 'limit test alert to one alert destination'],
    ['--json', 'print the answer as JSON'],
    ['-V, --version', 'print the version and exit'],
    ['-h, --help', 'print this help and exit'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    'Usage: padmin -f <pfile> -c <command> [-p <pent_id>] [-d <destination>] [--json]',
    '',
    'Ask the pcheck of a pfile for its state, or tell it to stop, start, reload or shut down.',
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    '',
  ].join('\n');
}

/** Reads padmin's arguments (argv without node and the script). Never throws. */
export function parsePadminArgs(args: readonly string[]): PadminArgs {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(args);
  } catch (error) {
    return { kind: 'usage', message: usageMessage(error as NodeJS.ErrnoException) };
  }
  const values: Partial<Record<keyof typeof SPEC, string | boolean>> = {};
  const words: string[] = [];
  // commander's variadic -c: the words right after it, up to the next option, belong to it
  let afterCommand = false;
  for (const token of parsed.tokens) {
    if (token.kind === 'option') {
      values[token.name as keyof typeof SPEC] = token.value ?? true;
      afterCommand = token.name === 'command';
      if (afterCommand) words.splice(0, words.length, token.value as string);
      continue;
    }
    if (token.kind === 'option-terminator') {
      afterCommand = false;
      continue;
    }
    if (!afterCommand) return { kind: 'usage', message: `unexpected argument "${token.value}": the command's words go right after -c` };
    words.push(token.value);
  }
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  if (typeof values.file !== 'string') return { kind: 'usage', message: `${SHOWN.file} is required: the pfile pcheck was started with` };
  if (words.length === 0) return { kind: 'usage', message: `${SHOWN.command} is required: what to ask or tell pcheck` };
  return {
    kind: 'run',
    options: {
      file: values.file,
      command: words.join(' '),
      ...(typeof values.pent === 'string' ? { pent: values.pent } : {}),
      ...(typeof values.dest === 'string' ? { dest: values.dest } : {}),
      json: values.json === true,
    },
  };
}

function parseWith(args: readonly string[]) {
  return parseArgs({ args: [...args], options: SPEC, allowPositionals: true, strict: true, tokens: true });
}

// parseArgs's errors name the option its own way; padmin says it as the help writes it
function usageMessage(error: NodeJS.ErrnoException): string {
  const text = error.message;
  const missing = /^Option '(?:-\w, )?--(\w+) <value>' argument missing$/.exec(text);
  if (missing !== null) {
    const name = missing[1] as keyof typeof SHOWN;
    return `option ${SHOWN[name] ?? `--${missing[1]}`} needs a value`;
  }
  const ambiguous = /^Option '-(?:-(\w+)|(\w))' argument is ambiguous/.exec(text);
  if (ambiguous !== null) {
    const name = (ambiguous[1] ?? Object.entries(SPEC).find(([, spec]) => 'short' in spec && spec.short === ambiguous[2])?.[0]) as keyof typeof SHOWN;
    return `option ${SHOWN[name] ?? text} needs a value (a value that starts with - is written --${name}=<value>)`;
  }
  const unknown = /^Unknown option '([^']+)'/.exec(text);
  if (unknown !== null) return `unknown option ${unknown[1]}`;
  const flag = /^Option '(?:-\w, )?(--\w+)' does not take an argument$/.exec(text);
  if (flag !== null) return `option ${flag[1]} takes no value`;
  return text;
}
