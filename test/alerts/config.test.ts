import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALERT_DEFAULTS, parseAlertFile, type AlertFileHost, type EntryName } from '../../src/alerts/config.js';
import { DEFAULT_BODY, DEFAULT_SUBJECT } from '../../src/alerts/template.js';
import type { MailDestination } from '../../src/alerts/types.js';

const FILE = '/etc/pcheck/alerts';

/** Every file exists except under /missing; /noexec is not executable; secrets under /open are 0644, under /empty empty. */
const host: AlertFileHost = {
  checkExecutable: (path) => (path.startsWith('/missing') ? 'no such file' : path.startsWith('/noexec') ? 'not executable' : null),
  checkReadable: (path) => (path.startsWith('/missing') ? 'no such file' : null),
  checkSecret: (path) =>
    path.startsWith('/missing') ? 'no such file' : path.startsWith('/open') ? 'mode 0644 lets its group or others use it' : path.startsWith('/empty') ? 'empty' : null,
};

const read = (text: string, entries?: readonly EntryName[]) => parseAlertFile(text, FILE, host, entries);
const errorsOf = (text: string) => read(text).errors.map((error) => `${error.line}: ${error.message}`);
const warningsOf = (text: string, entries?: readonly EntryName[]) => read(text, entries).warnings.map((warning) => `${warning.line}: ${warning.message}`);
const only = (text: string) => {
  const result = read(text);
  expect(result.errors).toEqual([]);
  return result.config!;
};

/** A destination every rule below may send to, so that a test's file has no unrelated error. */
const SINK = 'command sink {\n    path /usr/bin/true\n}\n';
const USE_SINK = 'fallback sink\n';

/** The brief's full example: every kind and key. */
const FULL = `# destinations
mail app-team {
    host      smtp.example.com
    port      587                 # default 25 (465 with tls tls)
    tls       starttls
    verify    yes
    ca        /etc/pcheck/ca.pem
    from      pcheck@example.com
    to        app1@example.com app2@example.com
    auth_user pcheck
    auth_password_file /etc/pcheck/smtp.secret
    timeout   30
    charset   ISO-2022-JP
    encode_subject no
    subject   "[pcheck] {host}: {text}"
    body      "time: {time}" \\
              "text: {text}"
}
webhook chat {
    url        https://hooks.example.com/x
    shape      text
    timeout    10
    verify     yes
    ca         /etc/pcheck/ca.pem
    token_file /etc/pcheck/chat.token
}
alertmanager am {
    url     http://127.0.0.1:9093/
    timeout 10
    verify  no
}
command phone {
    path    /usr/local/bin/call-oncall
    args    "--team" "db"
    timeout 30
}
rule app-down {
    match    genwAP "Detected an error in monitoring"
    severity warning
    entry    2
    send     app-team chat
}
rule everything {
    severity err
    entry    /usr/sbin/httpd
    send     am phone
}
fallback app-team
fallback_severity notice
coalesce 5
retry    3600
spool_limit 1000
`;

describe('the full example', () => {
  it('reads every kind and key', () => {
    const config = only(FULL);
    expect(config).toMatchObject({
      file: FILE,
      fallback: ['app-team'],
      fallbackSeverity: 'notice',
      coalesceSeconds: 5,
      retrySeconds: 3600,
      spoolLimit: 1000,
    });
    expect(config.destinations).toEqual([
      {
        kind: 'mail',
        name: 'app-team',
        line: 2,
        timeoutSeconds: 30,
        host: 'smtp.example.com',
        port: 587,
        tls: 'starttls',
        verify: true,
        ca: '/etc/pcheck/ca.pem',
        from: 'pcheck@example.com',
        to: ['app1@example.com', 'app2@example.com'],
        authUser: 'pcheck',
        authPasswordFile: '/etc/pcheck/smtp.secret',
        charset: 'iso-2022-jp',
        encodeSubject: false,
        subject: '[pcheck] {host}: {text}',
        body: 'time: {time}\ntext: {text}',
      },
      {
        kind: 'webhook',
        name: 'chat',
        line: 19,
        timeoutSeconds: 10,
        url: 'https://hooks.example.com/x',
        shape: 'text',
        verify: true,
        ca: '/etc/pcheck/ca.pem',
        tokenFile: '/etc/pcheck/chat.token',
      },
      { kind: 'alertmanager', name: 'am', line: 27, timeoutSeconds: 10, url: 'http://127.0.0.1:9093', verify: false, ca: null },
      { kind: 'command', name: 'phone', line: 32, timeoutSeconds: 30, path: '/usr/local/bin/call-oncall', args: ['--team', 'db'] },
    ]);
    expect(config.rules).toEqual([
      { name: 'app-down', line: 37, keywords: ['genwAP', 'Detected an error in monitoring'], minSeverity: 'warning', entry: 2, send: ['app-team', 'chat'] },
      { name: 'everything', line: 43, keywords: [], minSeverity: 'err', entry: '/usr/sbin/httpd', send: ['am', 'phone'] },
    ]);
    expect(read(FULL).warnings).toEqual([]);
    expect(Object.isFrozen(config) && Object.isFrozen(config.destinations[0]) && Object.isFrozen(config.rules[0])).toBe(true);
  });

  it('fills in every default', () => {
    const config = only('mail m {\n    host mx\n    from a@b\n    to c@d\n}\nrule r {\n    send m\n}\n');
    expect(config.destinations[0]).toEqual({
      kind: 'mail',
      name: 'm',
      line: 1,
      timeoutSeconds: 30,
      host: 'mx',
      port: 25,
      tls: 'starttls',
      verify: true,
      ca: null,
      from: 'a@b',
      to: ['c@d'],
      authUser: null,
      authPasswordFile: null,
      charset: 'utf-8',
      encodeSubject: true,
      subject: DEFAULT_SUBJECT,
      body: DEFAULT_BODY,
    } satisfies MailDestination);
    expect(config.rules[0]).toMatchObject({ keywords: [], minSeverity: 'warning', entry: null });
    expect(config).toMatchObject({
      fallback: [],
      fallbackSeverity: 'warning',
      coalesceSeconds: ALERT_DEFAULTS.coalesceSeconds,
      retrySeconds: ALERT_DEFAULTS.retrySeconds,
      spoolLimit: ALERT_DEFAULTS.spoolLimit,
    });
    expect(only('mail m {\n    host mx\n    tls tls\n    from a@b\n    to c@d\n}\nfallback m\n').destinations[0]).toMatchObject({ port: 465, tls: 'tls' });
    expect(only('webhook w {\n    url https://x/y\n}\nalertmanager a {\n    url http://am:9093\n}\nfallback w a\n').destinations).toMatchObject([
      { shape: 'json', timeoutSeconds: 10, verify: true, ca: null, tokenFile: null },
      { timeoutSeconds: 10, verify: true, url: 'http://am:9093' },
    ]);
    expect(only('command c {\n    path /bin/x\n}\nfallback c\n').destinations[0]).toMatchObject({ args: [], timeoutSeconds: 30 });
  });

  it('an empty file is valid, with a warning that nothing is sent', () => {
    const result = read('# nothing yet\n');
    expect(result.config).toMatchObject({ destinations: [], rules: [], fallback: [] });
    expect(result.warnings.map((warning) => warning.message)).toEqual(['no destination is declared: no alert is sent']);
  });
});

describe('the grammar', () => {
  it('{ may stand on the name, after it, or alone on the next line', () => {
    const config = only(`command a{\n  path /bin/a\n}\ncommand b {\n  path /bin/b\n}\ncommand c\n{\n  path /bin/c\n}\nfallback a b c\n`);
    expect(config.destinations.map((destination) => destination.name)).toEqual(['a', 'b', 'c']);
  });

  it('a quoted keyword holds blanks and #; a line ending in : is not joined to the next', () => {
    const config = only(`${SINK}rule r {\n    match "ID: 102" "#1 done" Server:\n    send sink\n}\n`);
    expect(config.rules[0]?.keywords).toEqual(['ID: 102', '#1 done', 'Server:']);
  });

  it('a list key adds up over lines; \\ continues a line', () => {
    const config = only(`${SINK}mail m {\n    host mx\n    from a@b\n    to c@d\n    to e@f \\\n       g@h\n}\nrule r {\n    match a\n    match b\n    send sink\n    send m\n}\n`);
    expect(config.destinations[1]).toMatchObject({ to: ['c@d', 'e@f', 'g@h'] });
    expect(config.rules[0]).toMatchObject({ keywords: ['a', 'b'], send: ['sink', 'm'] });
  });

  it('subject takes the rest of its line; body takes one line per field, and \\n breaks a line', () => {
    const config = only(`mail m {\n    host mx\n    from a@b\n    to c@d\n    subject [pcheck] {host}:   {text}\n    body "a\\nb" c\n}\nfallback m\n`);
    expect(config.destinations[0]).toMatchObject({ subject: '[pcheck] {host}: {text}', body: 'a\nb\nc' });
  });

  it('the same name may be a rule and a destination; fallback names are kept once', () => {
    const config = only(`${SINK}rule sink {\n    send sink\n}\nfallback sink sink\n`);
    expect(config.fallback).toEqual(['sink']);
  });
});

describe('errors name the line and what to do', () => {
  it('unknown top-level keywords, wrong case, stray braces', () => {
    expect(errorsOf('Mail m {\n}\n')[0]).toBe('1: unknown keyword "Mail"; keywords are case-sensitive: write mail');
    expect(errorsOf('smtp m\n')[0]).toMatch(/^1: unknown keyword "smtp"; an alert file holds destinations \(mail, webhook, alertmanager, command <name> \{ \.\.\. \}\), rules/);
    expect(errorsOf('}\n')[0]).toMatch(/^1: "}" outside a block/);
  });

  it('block heads: a missing or bad name, a missing {, a one-line block, an unclosed block', () => {
    expect(errorsOf('mail {\n}\n')).toEqual(['1: mail needs a name: mail <name> {']);
    expect(errorsOf('mail a/b {\n}\n')[0]).toMatch(/^1: mail name "a\/b" must be letters, digits, "\.", "_" and "-"/);
    expect(errorsOf(`mail ${'x'.repeat(65)} {\n}\n`)[0]).toMatch(/at most 64 characters$/);
    expect(errorsOf('command c\n    path /bin/x\n}\n')).toEqual([
      '1: command c must be followed by {: command <name> {',
      '2: unknown keyword "path"; an alert file holds destinations (mail, webhook, alertmanager, command <name> { ... }), rules (rule <name> { ... }) and the settings fallback, fallback_severity, coalesce, retry, spool_limit',
      '3: "}" outside a block; a block is <kind> <name> { ... } with { on its first line',
    ]);
    expect(errorsOf('command c\n')).toEqual(['1: command c must be followed by {: command <name> {']);
    expect(errorsOf(`${SINK}${USE_SINK}webhook w { url https://x shape text }\n`)[0]).toBe(
      '5: unexpected "url https://x shape text }" after webhook w {; write each key on its own line, and } on a line of its own',
    );
    expect(errorsOf(`${SINK}${USE_SINK}command c {\n    path /bin/x\n`)).toEqual(['5: command c opened here is not closed; add a line with }']);
    expect(errorsOf(`command c {\n    path /bin/x\n${SINK}fallback c sink\n`)).toEqual(['1: command c opened here is not closed; add } before line 3']);
    expect(errorsOf(`${SINK}${USE_SINK}command c {\n    path /bin/x\n} extra\n`)).toContain('7: unexpected "extra" after }');
    expect(errorsOf(`${SINK}${USE_SINK}command c {\n    path /bin/x }\n}\n`)).toContain('6: } must stand on a line of its own (after path); quote it ("}") if it is a value');
  });

  it('unknown keys, keys in the wrong case, a key given twice', () => {
    expect(errorsOf(`${SINK}${USE_SINK}command c {\n    path /bin/x\n    paht /bin/y\n}\n`)).toEqual([
      '7: unknown key "paht"; a command destination takes path, args, timeout',
    ]);
    expect(errorsOf(`${SINK}rule r {\n    Send sink\n}\n`)).toContain('5: unknown key "Send" in rule; keys are case-sensitive: write send');
    expect(errorsOf(`${SINK}${USE_SINK}command c {\n    path /bin/x\n    path /bin/y\n}\n`)).toEqual(['7: command c: path already given on line 6; keep one']);
  });

  it('required keys', () => {
    expect(errorsOf('mail m {\n}\nfallback m\n')).toEqual([
      '1: mail m: host is required: add a line "host <value>" inside the block',
      '1: mail m: from is required: add a line "from <value>" inside the block',
      '1: mail m: to is required: add a line "to <value>..." inside the block',
    ]);
    expect(errorsOf('webhook w {\n}\nfallback w\n')).toEqual(['1: webhook w: url is required: add a line "url <value>" inside the block']);
    expect(errorsOf('alertmanager a {\n}\nfallback a\n')).toEqual(['1: alertmanager a: url is required: add a line "url <value>" inside the block']);
    expect(errorsOf('command c {\n}\nfallback c\n')).toEqual(['1: command c: path is required: add a line "path <value>" inside the block']);
    expect(errorsOf(`${SINK}${USE_SINK}rule r {\n    match x\n}\n`)).toEqual(['5: rule r: send is required: add a line "send <value>..." inside the block']);
    expect(errorsOf(`${SINK}${USE_SINK}rule r {\n    send\n}\n`)).toEqual(['6: rule r: send needs at least one value']);
  });

  it('numbers follow the pfile grammar and limits', () => {
    const mail = (line: string) => errorsOf(`mail m {\n    host mx\n    from a@b\n    to c@d\n    ${line}\n}\nfallback m\n`);
    expect(mail('port 0')).toEqual(['5: mail m: port must be a whole number from 1 to 65535, written in decimal digits (got "0"); the default is 25']);
    expect(mail('port 0x19')).toEqual(['5: mail m: port must be a whole number from 1 to 65535, written in decimal digits (got "0x19"); the default is 25']);
    expect(mail('timeout 0')).toEqual([
      '5: mail m: timeout must be a number of seconds above 0 and at most 3600 s (an hour), written in decimal like 30 or 0.5 (got "0"); the default is 30',
    ]);
    expect(mail('timeout 3601')[0]).toMatch(/^5: mail m: timeout must be a number of seconds above 0 and at most 3600 s/);
    expect(only(`mail m {\n    host mx\n    from a@b\n    to c@d\n    timeout 0.5\n}\nfallback m\n`).destinations[0]?.timeoutSeconds).toBe(0.5);
    expect(errorsOf(`${SINK}${USE_SINK}coalesce -1\n`)).toEqual([
      '5: coalesce must be a number of seconds at least 0 and at most 3600 s (an hour), written in decimal like 30 or 0.5 (got "-1"); the default is 5',
    ]);
    expect(errorsOf(`${SINK}${USE_SINK}retry 1.5\n`)).toEqual([
      '5: retry must be a whole number of seconds from 0 to 2592000 (about 30 days), written in decimal digits (got "1.5"); the default is 86400',
    ]);
    expect(errorsOf(`${SINK}${USE_SINK}spool_limit 0\n`)).toEqual([
      '5: spool_limit must be a whole number from 1 to 1000000, written in decimal digits (got "0"); the default is 1000',
    ]);
    expect(only(`${SINK}${USE_SINK}coalesce 0\nretry 0\n`)).toMatchObject({ coalesceSeconds: 0, retrySeconds: 0 });
  });

  it('settings: a value is needed, one only, once', () => {
    expect(errorsOf(`${SINK}${USE_SINK}coalesce\n`)).toEqual(['5: coalesce needs a value: coalesce <seconds> (default 5)']);
    expect(errorsOf(`${SINK}${USE_SINK}retry 1 2\n`)).toEqual(['5: retry takes one value (got 2): retry <seconds> (default 86400)']);
    expect(errorsOf(`${SINK}${USE_SINK}retry 1\nretry 2\n`)).toEqual(['6: retry already set on line 5; keep one']);
    expect(errorsOf(`${SINK}fallback\n`)).toEqual(['4: fallback needs a value: fallback <destination>...']);
    expect(only(`${SINK}command other {\n    path /bin/x\n}\nfallback sink\nfallback other\n`).fallback).toEqual(['sink', 'other']);
  });

  it('choices: tls, charset, shape, severity, yes/no', () => {
    const mail = (line: string) => errorsOf(`mail m {\n    host mx\n    from a@b\n    to c@d\n    ${line}\n}\nfallback m\n`);
    expect(mail('tls ssl')).toEqual(['5: mail m: tls must be none, starttls or tls (got "ssl"); the default is starttls']);
    expect(mail('charset shift_jis')).toEqual(['5: mail m: charset must be utf-8 or iso-2022-jp (got "shift_jis"); the default is utf-8']);
    expect(mail('verify maybe')).toEqual(['5: mail m: verify must be yes or no (got "maybe"); the default is yes']);
    expect(mail('encode_subject 1')).toEqual(['5: mail m: encode_subject must be yes or no (got "1"); the default is yes']);
    expect(errorsOf('webhook w {\n    url https://x\n    shape xml\n}\nfallback w\n')).toEqual(['3: webhook w: shape must be json or text (got "xml"); the default is json']);
    expect(errorsOf(`${SINK}rule r {\n    severity error\n    send sink\n}\n`)).toEqual([
      '5: rule r: severity must be info, notice, warning or err (got "error"); the default is warning',
    ]);
    expect(errorsOf(`${SINK}${USE_SINK}fallback_severity crit\n`)).toEqual(['5: fallback_severity must be info, notice, warning, err (got "crit")']);
  });

  it('mail: host, addresses, AUTH pairs, secret files, ca', () => {
    const mail = (...lines: string[]) => errorsOf(`mail m {\n    host mx\n    from a@b\n    to c@d\n${lines.map((line) => `    ${line}\n`).join('')}}\nfallback m\n`);
    expect(errorsOf('mail m {\n    host smtp://mx:25\n    from a@b\n    to c@d\n}\nfallback m\n')).toEqual([
      '2: mail m: host is a host name or address, not a URL (got "smtp://mx:25"); write the port with port',
    ]);
    expect(errorsOf('mail m {\n    host "m x"\n    from a@b\n    to c@d\n}\nfallback m\n')).toEqual(['2: mail m: host "m x" is not a host name or address']);
    expect(errorsOf('mail m {\n    host mx\n    from "Pcheck <a@b>"\n    to c@d,e@f x\n}\nfallback m\n')).toEqual([
      '3: mail m: from: "Pcheck <a@b>" is not a mail address; write user@domain, no display name, several addresses separated by blanks',
      '4: mail m: to: "c@d,e@f" is not a mail address; write user@domain, no display name, several addresses separated by blanks',
      '4: mail m: to: "x" is not a mail address; write user@domain, no display name, several addresses separated by blanks',
    ]);
    expect(mail('auth_user u')).toEqual(['5: mail m: auth_user needs auth_password_file too (AUTH takes a user and a password read from a file)']);
    expect(mail('auth_password_file /etc/s')).toEqual(['5: mail m: auth_password_file needs auth_user too (AUTH takes a user and a password read from a file)']);
    expect(mail('auth_user u', 'auth_password_file /missing/s')).toEqual([
      '6: mail m: auth_password_file /missing/s: no such file; it must be a file only its owner may read and write (chmod 600)',
    ]);
    expect(mail('auth_user u', 'auth_password_file /open/s')).toEqual([
      '6: mail m: auth_password_file /open/s: mode 0644 lets its group or others use it; it must be a file only its owner may read and write (chmod 600)',
    ]);
    expect(mail('auth_user u', 'auth_password_file /empty/s')).toEqual([
      '6: mail m: auth_password_file /empty/s: empty; it must be a file only its owner may read and write (chmod 600)',
    ]);
    expect(mail('auth_user u', 'auth_password_file secret')).toEqual(['6: mail m: auth_password_file must be an absolute path (got "secret")']);
    expect(mail('ca /missing/ca.pem')).toEqual(['5: mail m: ca /missing/ca.pem: no such file; it must be a readable PEM file']);
  });

  it('urls: http or https, no credentials, the Alertmanager base', () => {
    const webhook = (url: string) => errorsOf(`webhook w {\n    url ${url}\n}\nfallback w\n`);
    expect(webhook('hooks.example.com/x')).toEqual(['2: webhook w: url "hooks.example.com/x" is not a URL; write http://host:port/path or https://...']);
    expect(webhook('ftp://x/y')).toEqual(['2: webhook w: url must start with http:// or https:// (got "ftp://x/y")']);
    expect(webhook('https://u:p@x/y')).toEqual([
      '2: webhook w: url holds a user or password, which would show wherever the URL is shown; put a bearer token in token_file',
    ]);
    expect(errorsOf('alertmanager a {\n    url http://am:9093/api/v2/alerts\n}\nfallback a\n')).toEqual([
      '2: alertmanager a: url is the Alertmanager\'s base URL (got "http://am:9093/api/v2/alerts"); pcheck adds /api/v2/alerts: write http://am:9093',
    ]);
    expect(only('alertmanager a {\n    url https://am.example.com/alertmanager/\n}\nfallback a\n').destinations[0]).toMatchObject({
      url: 'https://am.example.com/alertmanager',
    });
    expect(errorsOf('webhook w {\n    url https://x/y\n    token_file /open/t\n}\nfallback w\n')).toEqual([
      '3: webhook w: token_file /open/t: mode 0644 lets its group or others use it; it must be a file only its owner may read and write (chmod 600)',
    ]);
  });

  it('command: an absolute path to an executable file', () => {
    const command = (path: string) => errorsOf(`command c {\n    path ${path}\n}\nfallback c\n`);
    expect(command('call-oncall')).toEqual(['2: command c: path must be an absolute path (got "call-oncall")']);
    expect(command('/missing/call')).toEqual(['2: command c: path /missing/call: no such file; it must be an executable file']);
    expect(command('/noexec/call')).toEqual(['2: command c: path /noexec/call: not executable; it must be an executable file']);
    expect(errorsOf('command c {\n    path /bin/x\n    args\n}\nfallback c\n')).toEqual(['3: command c: args needs at least one value']);
  });

  it('rules: entry, empty keywords, destinations that do not exist', () => {
    const rule = (line: string) => errorsOf(`${SINK}rule r {\n    ${line}\n    send sink\n}\n`);
    expect(rule('entry 0')).toEqual(['5: rule r: entry must be a whole number from 1 to 1000000000, written in decimal digits (got "0"); write a pent_id or a pname']);
    expect(rule('entry sbin/httpd')).toEqual(['5: rule r: entry is a pent_id or a pname as the pfile writes it: an absolute path or a bare name (got "sbin/httpd")']);
    expect(rule('match Down ""')).toEqual(['5: rule r: an empty keyword ("") matches everything; leave it out']);
    expect(errorsOf(`${SINK}rule r {\n    send sink phone\n}\nfallback taro\n`)).toEqual([
      '5: rule r: send: no destination named "phone"; destinations are sink',
      '7: fallback: no destination named "taro"; destinations are sink',
    ]);
    expect(errorsOf('fallback taro\n')).toEqual(['1: fallback: no destination named "taro"; declare it: mail|webhook|alertmanager|command <name> { ... }']);
  });

  it('duplicate names', () => {
    expect(errorsOf(`${SINK}webhook sink {\n    url https://x\n}\n${USE_SINK}`)).toEqual([
      '4: webhook sink: a destination named sink is already declared on line 1; names must differ',
    ]);
    expect(errorsOf(`${SINK}rule r {\n    send sink\n}\nrule r {\n    send sink\n}\n`)).toEqual([
      '7: rule r: a rule named r is already declared on line 4; names must differ',
    ]);
  });

  it('every error at once, in line order, and the lexer\'s too', () => {
    const errors = errorsOf(`mail m {\n    host mx\n    port 99999\n    from nobody\n}\nrule r {\n    match "open\n    send ghost\n}\nbogus\n`);
    expect(errors).toEqual([
      '1: mail m: to is required: add a line "to <value>..." inside the block',
      '3: mail m: port must be a whole number from 1 to 65535, written in decimal digits (got "99999"); the default is 25',
      '4: mail m: from: "nobody" is not a mail address; write user@domain, no display name, several addresses separated by blanks',
      '7: unterminated double quote; close it with " (write \\" for a quote inside a field)',
      '8: rule r: send: no destination named "ghost"; destinations are m',
      '10: unknown keyword "bogus"; an alert file holds destinations (mail, webhook, alertmanager, command <name> { ... }), rules (rule <name> { ... }) and the settings fallback, fallback_severity, coalesce, retry, spool_limit',
    ]);
    expect(read('bogus\n').errors[0]?.file).toBe(FILE);
  });

  it('past 100 errors, one more line counts the rest', () => {
    const errors = errorsOf('bogus\n'.repeat(150));
    expect(errors).toHaveLength(101);
    expect(errors[100]).toBe('101: 50 more errors from here on are not listed (only the first 100 are)');
  });
});

describe('warnings', () => {
  it('a destination nothing sends to', () => {
    expect(warningsOf(`${SINK}${USE_SINK}command idle {\n    path /bin/x\n}\n`)).toEqual([
      '5: command idle: no rule sends to it and it is not the fallback; it only gets padmin -c test alert',
    ]);
  });

  it('a secret crossing the network in clear, an unused ca, a repeated send', () => {
    expect(warningsOf('mail m {\n    host mx.example.com\n    tls none\n    from a@b\n    to c@d\n    auth_user u\n    auth_password_file /etc/s\n}\nfallback m\n')).toEqual([
      '3: mail m: tls none with auth_user: the password crosses the network to mx.example.com in clear; use starttls or tls',
    ]);
    expect(warningsOf('mail m {\n    host 127.0.0.1\n    tls none\n    from a@b\n    to c@d\n    auth_user u\n    auth_password_file /etc/s\n}\nfallback m\n')).toEqual([]);
    expect(warningsOf('webhook w {\n    url http://hooks.example.com/x\n    token_file /etc/t\n}\nfallback w\n')).toEqual([
      '3: webhook w: the token crosses the network to hooks.example.com in clear (http://); use https://',
    ]);
    expect(warningsOf('webhook w {\n    url http://[::1]:8080/x\n    token_file /etc/t\n}\nfallback w\n')).toEqual([]);
    expect(warningsOf('alertmanager a {\n    url https://am\n    verify no\n    ca /etc/ca.pem\n}\nfallback a\n')).toEqual(['4: alertmanager a: ca is not used: verify is no']);
    expect(warningsOf(`${SINK}rule r {\n    send sink sink\n}\n`)).toEqual(['5: rule r: send names a destination twice; it gets each event once']);
    expect(warningsOf(`${SINK}${USE_SINK}fallback_severity err\n`)).toEqual([]);
    expect(warningsOf(`${SINK}rule r {\n    send sink\n}\nfallback_severity err\n`)).toEqual(['7: fallback_severity without fallback: no event goes to a fallback']);
  });

  it('a rule whose entry names no entry of the pfile', () => {
    const entries = [{ pentId: 1, pname: '/usr/sbin/httpd' }];
    const file = (entry: string) => `${SINK}rule r {\n    entry ${entry}\n    send sink\n}\n`;
    expect(warningsOf(file('1'), entries)).toEqual([]);
    expect(warningsOf(file('/usr/sbin/httpd'), entries)).toEqual([]);
    expect(warningsOf(file('2'), entries)).toEqual(['4: rule r: no process entry of the pfile has pent_id 2; the rule matches nothing until one does']);
    expect(warningsOf(file('httpd'), entries)).toEqual(['4: rule r: no process entry of the pfile has pname httpd; the rule matches nothing until one does']);
    expect(warningsOf(file('httpd'))).toEqual([]);
  });
});

describe('any text', () => {
  const pieces = ['mail', 'webhook', 'alertmanager', 'command', 'rule', 'm', 'r', '{', '}', 'host', 'to', 'a@b', 'url', 'https://x', 'path', '/bin/x',
    'send', 'match', 'fallback', 'coalesce', '5', '"', '#', '\\', ' ', '\n', '\n    ', ':', 'entry', 'severity', 'err'];
  it('never throws; every diagnostic names the file and a line of it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        const result = read(text);
        const lines = text.split('\n').length;
        for (const diagnostic of [...result.errors, ...result.warnings]) {
          expect(diagnostic.file).toBe(FILE);
          expect(diagnostic.line).toBeGreaterThanOrEqual(0);
          expect(diagnostic.line).toBeLessThanOrEqual(lines);
        }
        expect(result.config === null).toBe(result.errors.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
