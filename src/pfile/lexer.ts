// pfile text -> logical lines of fields, each with the line it starts on. Pure.
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

/**
 * Joins continued lines (a trailing `\`; a line ending in `:` followed by an indented line, as the
 * vendor's samples wrap), strips comments, splits fields on blanks with double-quoted fields.
 */
export function lex(text: string, file: string): LexResult {
  const physical = text.replace(/\r\n?/g, '\n').split('\n');
  const lines: LogicalLine[] = [];
  const diagnostics: Diagnostic[] = [];
  for (let index = 0; index < physical.length; index += 1) {
    const start = index + 1;
    let joined = physical[index] ?? '';
    for (;;) {
      const trimmed = joined.trimEnd();
      const next = physical[index + 1];
      // a `\` at the end of a comment is part of the comment: the line ends there (a comment
      // wrapped after `:`, as in the vendor's sample 3, is still joined below, with its warning)
      if (trimmed.endsWith('\\') && !trimmed.endsWith('\\\\') && next !== undefined && !inComment(trimmed)) {
        joined = `${trimmed.slice(0, -1)} ${next}`;
        index += 1;
        continue;
      }
      if (trimmed.endsWith(':') && next !== undefined && /^[ \t]+\S/.test(next)) {
        diagnostics.push({
          file,
          line: index + 2,
          severity: 'warning',
          message: `line ${index + 2} joined to line ${index + 1}, which ends in ':' (a wrapped line); write it on one line to silence this`,
        });
        joined = `${trimmed}${next.trim()}`;
        index += 1;
        continue;
      }
      break;
    }
    const split = splitFields(joined);
    if (typeof split === 'string') {
      diagnostics.push({ file, line: start, severity: 'error', message: split });
      continue;
    }
    if (split.length > 0) lines.push({ line: start, fields: split });
  }
  return { lines, diagnostics };
}

/** Whether `text` ends inside a comment: a `#` outside double quotes. */
function inComment(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (quoted && char === '\\') i += 1;
    else if (char === '"') quoted = !quoted;
    else if (char === '#' && !quoted) return true;
  }
  return false;
}

/** Fields of one logical line, or why it cannot be read. */
function splitFields(text: string): string[] | string {
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
