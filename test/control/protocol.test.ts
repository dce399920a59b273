// Request decoding: the optional fields and what is refused.
import { describe, expect, it } from 'vitest';
import { decodeRequest, isResponse } from '../../src/control/protocol.js';

describe('decodeRequest', () => {
  it('keeps text: true for a show command, drops text: false', () => {
    expect(decodeRequest('{"v":1,"cmd":"show pent","text":true}')).toEqual({ v: 1, cmd: 'show pent', text: true });
    expect(decodeRequest('{"v":1,"cmd":"show pent","text":false}')).toEqual({ v: 1, cmd: 'show pent' });
    expect(decodeRequest('{"v":1,"cmd":"show rule","pent":2,"text":true}')).toEqual({ v: 1, cmd: 'show rule', pent: 2, text: true });
  });

  it('refuses a text that is not a boolean', () => {
    const decoded = decodeRequest('{"v":1,"cmd":"show pent","text":"yes"}');
    expect(isResponse(decoded) && !decoded.ok && decoded.code).toBe('E_PARSE');
  });

  it('ignores fields it does not know, as an older pcheck ignores text', () => {
    expect(decodeRequest('{"v":1,"cmd":"ping","later":1}')).toEqual({ v: 1, cmd: 'ping' });
  });
});
