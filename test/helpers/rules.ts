import { DEFAULTS, type Config, type EntryRule } from '../../src/pfile/types.js';

/** An entry rule with the pfile defaults, for unit tests. */
export function rule(overrides: Partial<EntryRule> = {}): EntryRule {
  return {
    pentId: 1,
    line: 1,
    pname: '/usr/sbin/testd',
    restartScript: '/etc/pcheck/restart_testd.sh',
    retryCount: DEFAULTS.retryCount,
    grace: DEFAULTS.grace,
    retryOverAction: DEFAULTS.retryOverAction,
    args: null,
    user: null,
    uid: null,
    pidfile: null,
    scriptTimeout: DEFAULTS.scriptTimeout,
    startWait: DEFAULTS.startWait,
    tlsVerify: false,
    tlsCa: null,
    limits: { maxRss: null, maxCpu: null, hold: DEFAULTS.limitHold, action: DEFAULTS.limitAction },
    stall: [],
    ...overrides,
  };
}

export function config(entries: EntryRule[], overrides: Partial<Config> = {}): Config {
  return {
    file: '/etc/pcheck/test.pfile',
    monitorInterval: DEFAULTS.monitorInterval,
    livenessInterval: DEFAULTS.livenessInterval,
    usageInterval: DEFAULTS.usageInterval,
    dumpFileName: null,
    logFile: 'none',
    entries,
    alertFile: null,
    alerts: null,
    ...overrides,
  };
}
