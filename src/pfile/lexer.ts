// pfile text -> logical lines of fields, each with the line it starts on. Pure, linear in the text.
import type { Diagnostic } from './types.js';

export interface LogicalLine {
  /** 1-based line the logical line starts on. */
  readonly line: number;
  readonly fields: readonly string[];
}

export interface LexResult {
  readonly lines: readonly LogicalLine[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface LexOptions {
  /** Join a line ending in `:` to the indented line after it (the pfile's wrapped PS_* lines; default yes). */
  readonly joinAfterColon?: boolean;
}

/**
 * Joins continued lines (a trailing `\`; a line ending in `:` followed by an indented line, as the
 * vendor's samples wrap), strips comments, splits fields on blanks with double-quoted fields.
 */
export function lex(text: string, file: string, options: LexOptions = {}): LexResult {
  const joinAfterColon = options.joinAfterColon ?? true;
  const physical = text.replace(/\r\n?/g, '\n').split('\n');
  const lines: LogicalLine[] = [];
  const diagnostics: Diagnostic[] = [];
  const joined = new LineBuffer();
  for (let index = 0; index < physical.length; index += 1) {
    const start = index + 1;
    joined.reset(physical[index] ?? '');
    for (;;) {
      const end = joined.trimmedEnd();
      const next = physical[index + 1];
      // a `\` at the end of a comment is part of the comment: the line ends there (a comment
      // wrapped after `:`, as in the vendor's sample 3, is still joined below, with its warning)
      if (joined.endsInContinuation(end) && next !== undefined && !joined.inCommentAt(end)) {
        joined.truncate(end - 1);
        joined.append(' ');
        joined.append(next);
        index += 1;
        continue;
      }
      if (joinAfterColon && joined.codeAt(end - 1) === COLON && next !== undefined && /^[ \t]+\S/.test(next)) {
        diagnostics.push({
          file,
          line: index + 2,
          severity: 'warning',
          message: `line ${index + 2} joined to line ${index + 1}, which ends in ':' (a wrapped line); write it on one line to silence this`,
        });
        joined.truncate(end);
        joined.append(next.trim());
        index += 1;
        continue;
      }
      break;
    }
    const split = splitFields(joined.toString());
    if (typeof split === 'string') {
      diagnostics.push({ file, line: start, severity: 'error', message: split });
      continue;
    }
    if (split.length > 0) lines.push({ line: start, fields: split });
  }
  return { lines, diagnostics };
}

/** What separates fields. */
const BLANKS = /[ \t]+/;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const QUOTE = 0x22;
const HASH = 0x23;
/** The blanks String.prototype.trimEnd removes. */
const BLANK = /\s/;

function isBlank(code: number): boolean {
  // most characters are neither ASCII control/space nor beyond Latin-1: no need to ask the regex
  return (code <= 0x20 || code >= 0xa0) && BLANK.test(String.fromCharCode(code));
}

// Where the comment scan stands after a character: a `#` outside double quotes starts a comment;
// inside quotes a `\` takes the next character with it.
const enum Scan {
  Plain,
  Quoted,
  QuotedEscape,
  Comment,
}

function scan(state: Scan, code: number): Scan {
  switch (state) {
    case Scan.Comment:
      return Scan.Comment;
    case Scan.QuotedEscape:
      return Scan.Quoted;
    case Scan.Quoted:
      return code === BACKSLASH ? Scan.QuotedEscape : code === QUOTE ? Scan.Plain : Scan.Quoted;
    case Scan.Plain:
      return code === QUOTE ? Scan.Quoted : code === HASH ? Scan.Comment : Scan.Plain;
  }
}

/**
 * One logical line being joined: its UTF-16 code units and the comment scan's state after each, so
 * that trimming the end and asking "is the end inside a comment?" cost nothing more than the
 * characters appended or removed (rebuilding and rescanning a string on each join is quadratic).
 * A line that is not joined stays the string it was.
 */
class LineBuffer {
  private codes = new Uint16Array(256);
  private states = new Uint8Array(256);
  private length = 0;
  /** The line as given, until it is changed or scanned. */
  private given: string | null = null;

  reset(text: string): void {
    this.given = text;
  }

  append(text: string): void {
    this.unpack();
    if (this.length + text.length > this.codes.length) this.grow(this.length + text.length);
    let state = this.length === 0 ? Scan.Plain : (this.states[this.length - 1] as Scan);
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      state = scan(state, code);
      this.codes[this.length] = code;
      this.states[this.length] = state;
      this.length += 1;
    }
  }

  truncate(length: number): void {
    this.unpack();
    this.length = length;
  }

  /** The length without trailing blanks. */
  trimmedEnd(): number {
    let end = this.given?.length ?? this.length;
    while (end > 0 && isBlank(this.codeAt(end - 1))) end -= 1;
    return end;
  }

  /** -1 outside the line. */
  codeAt(index: number): number {
    if (this.given !== null) return index >= 0 && index < this.given.length ? this.given.charCodeAt(index) : -1;
    return index >= 0 && index < this.length ? (this.codes[index] as number) : -1;
  }

  /** The first `end` units end in one `\` (two are an escaped backslash, not a continuation). */
  endsInContinuation(end: number): boolean {
    return this.codeAt(end - 1) === BACKSLASH && this.codeAt(end - 2) !== BACKSLASH;
  }

  /** The first `end` units contain a comment. */
  inCommentAt(end: number): boolean {
    this.unpack();
    return end > 0 && this.states[end - 1] === Scan.Comment;
  }

  toString(): string {
    if (this.given !== null) return this.given;
    const chunk = 8192;
    let text = '';
    for (let from = 0; from < this.length; from += chunk) {
      text += String.fromCharCode(...this.codes.subarray(from, Math.min(from + chunk, this.length)));
    }
    return text;
  }

  private unpack(): void {
    if (this.given === null) return;
    const text = this.given;
    this.given = null;
    this.length = 0;
    this.append(text);
  }

  private grow(needed: number): void {
    let size = this.codes.length;
    while (size < needed) size *= 2;
    const codes = new Uint16Array(size);
    codes.set(this.codes.subarray(0, this.length));
    const states = new Uint8Array(size);
    states.set(this.states.subarray(0, this.length));
    this.codes = codes;
    this.states = states;
  }
}

/** Fields of one logical line, or why it cannot be read. */
function splitFields(text: string): string[] | string {
  // without a double quote, fields are what lies between blanks, up to a #
  if (!text.includes('"')) {
    const hash = text.indexOf('#');
    return (hash === -1 ? text : text.slice(0, hash)).split(BLANKS).filter((field) => field !== '');
  }
  const fields: string[] = [];
  let current = '';
  let inField = false;
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (quoted) {
      if (char === '\\' && (text.charAt(i + 1) === '"' || text.charAt(i + 1) === '\\')) {
        current += text.charAt(i + 1);
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
      continue;
    }
    if (char === '#') break;
    if (char === ' ' || char === '\t') {
      if (inField) fields.push(current);
      current = '';
      inField = false;
      continue;
    }
    inField = true;
    if (char === '"') quoted = true;
    else current += char;
  }
  if (quoted) return 'unterminated double quote; close it with " (write \\" for a quote inside a field)';
  if (inField) fields.push(current);
  return fields;
}
