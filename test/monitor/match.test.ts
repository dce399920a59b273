import { describe, expect, it } from 'vitest';
import { choose, compileArgs, matches } from '../../src/monitor/match.js';
import type { ProcInfo } from '../../src/system/proc.js';
import { rule } from '../helpers/rules.js';

function proc(pid: number, overrides: Partial<ProcInfo> = {}): ProcInfo {
  return { pid, comm: 'httpd', state: 'S', ppid: 1, startTime: pid, exe: '/usr/sbin/httpd', argv: ['/usr/sbin/httpd', '-k', 'start'], uid: 0, ...overrides };
}

describe('matching', () => {
  it('an absolute pname matches exe, then argv[0]', () => {
    const r = rule({ pname: '/usr/sbin/httpd' });
    expect(matches(r, null, proc(1))).toBe(true);
    expect(matches(r, null, proc(1, { exe: null }))).toBe(true);
    expect(matches(r, null, proc(1, { exe: '/usr/bin/other', argv: ['other'] }))).toBe(false);
  });

  it('a bare name matches the process name (15 bytes), basename of argv[0] or of exe', () => {
    expect(matches(rule({ pname: 'httpd' }), null, proc(1))).toBe(true);
    expect(matches(rule({ pname: 'a-very-long-process-name' }), null, proc(1, { comm: 'a-very-long-pro', exe: null, argv: [] }))).toBe(true);
    expect(matches(rule({ pname: 'java' }), null, proc(1, { comm: 'java', exe: '/usr/lib/jvm/bin/java' }))).toBe(true);
  });

  it('zombies never match', () => {
    expect(matches(rule({ pname: 'httpd' }), null, proc(1, { state: 'Z' }))).toBe(false);
  });

  it('args= text and /regex/ and user= narrow the match', () => {
    const text = compileArgs({ kind: 'text', text: 'org.apache.catalina.startup.Bootstrap' });
    const java = proc(5, { comm: 'java', argv: ['java', '-cp', 'x', 'org.apache.catalina.startup.Bootstrap', 'start'] });
    expect(matches(rule({ pname: 'java' }), text, java)).toBe(true);
    expect(matches(rule({ pname: 'java' }), text, proc(6, { comm: 'java', argv: ['java', 'Other'] }))).toBe(false);
    const regex = compileArgs({ kind: 'regex', source: '-k\\s+start$', flags: '' });
    expect(matches(rule({ pname: 'httpd' }), regex, proc(1))).toBe(true);
    expect(matches(rule({ pname: 'httpd', uid: 33 }), null, proc(1))).toBe(false);
  });

  it('follows the oldest match whose parent is not a match (the master, not its workers)', () => {
    const procs = [proc(300, { ppid: 200, startTime: 50 }), proc(200, { ppid: 1, startTime: 100 }), proc(301, { ppid: 200, startTime: 40 })];
    expect(choose(rule({ pname: 'httpd' }), null, procs, null)?.pid).toBe(200);
  });

  it('with a pidfile, follows only the pid it names, if that process matches', () => {
    const procs = [proc(200), proc(300)];
    const r = rule({ pname: 'httpd', pidfile: '/run/httpd.pid' });
    expect(choose(r, null, procs, 300)?.pid).toBe(300);
    expect(choose(r, null, procs, 999)).toBeNull();
    expect(choose(r, null, procs, null)).toBeNull();
  });
});
