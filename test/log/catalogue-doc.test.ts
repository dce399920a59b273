import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MSG } from '../../src/log/catalogue.js';

describe('docs/messages.md', () => {
  const doc = readFileSync(new URL('../../docs/messages.md', import.meta.url), 'utf8');

  it('lists every message id with its severity', () => {
    for (const message of Object.values(MSG)) {
      expect(doc).toMatch(new RegExp(`\\| ${message.id} \\| ${message.severity} \\|`));
    }
  });

  it('lists no id the code does not have', () => {
    const ids = new Set(Object.values(MSG).map((message) => message.id));
    for (const [, id] of doc.matchAll(/^\| (P[AC]\d{3}) \|/gm)) expect(ids.has(id ?? '')).toBe(true);
  });
});
