import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lex, type LexResult, type LogicalLine } from '../../src/pfile/lexer.js';
import type { Diagnostic } from '../../src/pfile/types.js';

const FILE = '/etc/pcheck/test.pfile';

/**
 * The lexer as it was before it was made linear: it rebuilt the joined string and rescanned it for
 * a comment on every continuation. The linear lexer must read every text exactly as this one did.
 */
function quadraticLex(text: string, file: string): LexResult {
  const physical = text.replace(/\r\n?/g, '\n').split('\n');
  const lines: LogicalLine[] = [];
  const diagnostics: Diagnostic[] = [];
  for (let index = 0; index < physical.length; index += 1) {
    const start = index + 1;
    let joined = physical[index] ?? '';
    for (;;) {
      const trimmed = joined.trimEnd();
      const next = physical[index + 1];
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

// the characters the joining rules turn on, blanks JS trims but the field splitter keeps, a surrogate half
const tricky = fc.constantFrom('\\', '\\', ':', '#', '"', ' ', ' ', '\t', '\n', '\n', '\r\n', '\r', 'a', 'PS_EXEC', '\u00a0', '\u3000', '\ufeff', '\ud800', 'é');

describe('lex', () => {
  it('reads every text exactly as the quadratic lexer did', () => {
    fc.assert(
      fc.property(fc.string({ unit: tricky, maxLength: 60 }), (text) => {
        expect(lex(text, FILE)).toEqual(quadraticLex(text, FILE));
      }),
      { numRuns: 5000 },
    );
  });

  // the quadratic lexer took 52 s on this text; the timeout is a hang guard, not a measure of speed
  it('reads a 400 KB pfile of continued lines as one logical line', { timeout: 10_000 }, () => {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 400 * 1024; i += 1) {
      const line = `field${i} \\`;
      lines.push(line);
      size += line.length + 1;
    }
    lines.push('end');
    const result = lex(lines.join('\n'), FILE);
    expect(result.diagnostics).toEqual([]);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]?.line).toBe(1);
    expect(result.lines[0]?.fields).toHaveLength(lines.length);
    expect(result.lines[0]?.fields.at(-1)).toBe('end');
  });

  it('joins a continued quoted field and a wrapped line after a colon, with its warning', () => {
    const result = lex('a "x \\\ny" b\nPS_EXEC DLL:x:\n    DIRECT:60\n# c:\\\nd\n', FILE);
    expect(result.lines).toEqual([
      { line: 1, fields: ['a', 'x  y', 'b'] },
      { line: 3, fields: ['PS_EXEC', 'DLL:x:DIRECT:60'] },
      { line: 6, fields: ['d'] },
    ]);
    expect(result.diagnostics).toEqual([expect.objectContaining({ line: 4, severity: 'warning' })]);
  });
});
