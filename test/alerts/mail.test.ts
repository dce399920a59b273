// The mail destination against a real MTA (Debian's exim4, test/e2e/servers/exim.ts): what arrives
// in the mailbox is decoded independently and compared with what was sent, in UTF-8 and in the
// seed's ISO-2022-JP; TLS, certificates, AUTH and the failures each give their exact sentence.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUARD_MARGIN_MS, mailSender } from '../../src/alerts/mail.js';
import type { AlertEvent, MailDestination } from '../../src/alerts/types.js';
import { alertEvent } from './destination-events.js';
import { sandbox, type Sandbox } from '../e2e/harness.js';
import { blackHole, MAIL_DOMAIN, parseMail, refusedPort, start, type Exim } from '../e2e/servers/exim.js';

let box: Sandbox;
let exim: Exim;

beforeAll(async () => {
  box = sandbox();
  exim = await start(box);
});

afterAll(async () => {
  await exim?.stop();
  box?.cleanup();
});

/** An event of genwDB (pent_id 2) on server1 saying `text`. */
function event(text: string, overrides: Partial<AlertEvent> = {}): AlertEvent {
  return alertEvent({ text, host: 'server1', pfile: '/etc/pcheck/pfile', pname: 'genwDB', pentId: 2, fields: { name: 'genwDB', pid: 4242 }, ...overrides });
}

/** A fresh recipient per test, so mailboxes do not mix. */
function recipient(name: string): string {
  return `${name}@${MAIL_DOMAIN}`;
}

function destination(overrides: Partial<MailDestination> = {}): MailDestination {
  return {
    kind: 'mail',
    name: 'ops',
    line: 1,
    timeoutSeconds: 10,
    host: exim.host,
    port: exim.port,
    tls: 'starttls',
    verify: true,
    ca: exim.caFile,
    from: `pcheck <pcheck@${MAIL_DOMAIN}>`,
    to: [recipient('ops')],
    authUser: exim.user,
    authPasswordFile: exim.passwordFile,
    charset: 'utf-8',
    encodeSubject: true,
    subject: '{text}',
    body: '{text}',
    ...overrides,
  };
}

/** Renderers that return the given texts whatever the template: the encoding under test alone. */
function fixed(subject: string, body: string) {
  return { subject: () => subject, body: () => body };
}

async function failure(promise: Promise<void>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('sent, but it should have failed');
    },
    (error: unknown) => error as Error,
  );
}

const SUBJECT_JA = '【障害】サーバ server1 が停止しました（ID: 102）';
const BODY_JA = [
  'サーバ server1 が停止しました。',
  'genwDB が異常を検出しました: Process [\'genwDB\',pid=4242] Down',
  '全角スペース「　」、記号 ①②、長音ー、カタカナ、ひらがな、漢字。',
  'ascii line with a dot:',
  '.',
].join('\n');

describe('UTF-8', () => {
  it('arrives over STARTTLS with AUTH, subject and body exactly as sent', async () => {
    const to = recipient('utf8');
    await mailSender(destination({ to: [to] }), fixed(SUBJECT_JA, BODY_JA))([event('down')]);
    const [raw] = await exim.waitForMail(to);
    const mail = parseMail(raw!);
    expect(mail.subject).toBe(SUBJECT_JA);
    expect(mail.text.replace(/\n$/, '')).toBe(BODY_JA);
    expect(mail.charset).toBe('utf-8');
    expect(mail.rawHeaders).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/im);
    expect(mail.header('x-authenticated-as')).toBe('pcheck');
    expect(mail.header('x-tls-cipher')).toMatch(/TLS/);
    expect(mail.header('from')).toBe(`pcheck <pcheck@${MAIL_DOMAIN}>`);
  });

  it('with encode_subject no, the subject goes as raw UTF-8', async () => {
    const to = recipient('utf8-raw');
    await mailSender(destination({ to: [to], encodeSubject: false }), fixed(SUBJECT_JA, 'body'))([event('down')]);
    const [raw] = await exim.waitForMail(to);
    const mail = parseMail(raw!);
    expect(raw!.includes(Buffer.from(`Subject: ${SUBJECT_JA}`, 'utf8'))).toBe(true);
    expect(mail.subject).toBe(SUBJECT_JA);
  });
});

describe('ISO-2022-JP (the seed\'s Linux setting)', () => {
  it('arrives 7-bit, subject MIME-encoded, and decodes back to the same text', async () => {
    const to = recipient('jis');
    const long = `${SUBJECT_JA} ${SUBJECT_JA}`;
    await mailSender(destination({ to: [to], charset: 'iso-2022-jp' }), fixed(long, BODY_JA))([event('down')]);
    const [raw] = await exim.waitForMail(to);
    const mail = parseMail(raw!);
    expect(mail.charset).toBe('iso-2022-jp');
    expect(mail.transferEncoding).toBe('7bit');
    expect([...raw!].every((byte) => byte < 0x80)).toBe(true);
    // several encoded words, each within RFC 2047's 75 characters
    const words = mail.rawHeaders.match(/=\?ISO-2022-JP\?B\?[^?]*\?=/g) ?? [];
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
    expect(mail.subject).toBe(long);
    expect(mail.text.replace(/\n$/, '')).toBe(BODY_JA);
  });

  it('with encode_subject no (the seed\'s), the subject is raw ISO-2022-JP', async () => {
    const to = recipient('jis-raw');
    await mailSender(destination({ to: [to], charset: 'iso-2022-jp', encodeSubject: false }), fixed(SUBJECT_JA, BODY_JA))([event('down')]);
    const [raw] = await exim.waitForMail(to);
    const mail = parseMail(raw!);
    expect(mail.rawHeaders).toMatch(/^Subject: .*\x1b\$B/m);
    expect(mail.rawHeaders).not.toMatch(/=\?ISO-2022-JP\?/);
    expect(mail.subject).toBe(SUBJECT_JA);
    expect(mail.text.replace(/\n$/, '')).toBe(BODY_JA);
  });

  it('half-width katakana, absent from ISO-2022-JP, arrive as their full-width forms', async () => {
    const to = recipient('jis-kana');
    await mailSender(destination({ to: [to], charset: 'iso-2022-jp' }), fixed('ｻｰﾊﾞ停止', 'ﾌﾟﾛｾｽ Down'))([event('down')]);
    const mail = parseMail((await exim.waitForMail(to))[0]!);
    expect(mail.subject).toBe('サーバ停止');
    expect(mail.text.replace(/\n$/, '')).toBe('プロセス Down');
  });
});

describe('one message', () => {
  it('several events go as one message listing each, through the templates', async () => {
    const to = recipient('batch');
    const events = [
      event("Process ['genwDB',pid=4242] Down"),
      event("Try to restart ('genwDB')", { id: 'PC104', key: 'tryRestart', severity: 'notice' }),
      event("('genwDB' ,pid=4250) Up", { id: 'PC101', key: 'up', severity: 'notice', pid: 4250 }),
    ];
    await mailSender(destination({ to: [to], charset: 'iso-2022-jp', subject: '[pcheck] {host}: {text}', body: '{time} {text}' }))(events);
    const messages = await exim.waitForMail(to);
    expect(messages).toHaveLength(1);
    const mail = parseMail(messages[0]!);
    const positions = events.map((each) => mail.text.indexOf(each.text));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(mail.subject).toContain('server1');
  });

  it('several recipients each get the message', async () => {
    const to = [recipient('team-app'), recipient('team-db')];
    await mailSender(destination({ to }), fixed('two teams', 'body'))([event('down')]);
    for (const address of to) expect(parseMail((await exim.waitForMail(address))[0]!).subject).toBe('two teams');
  });
});

describe('TLS', () => {
  it('implicit TLS with the CA: delivered', async () => {
    const to = recipient('implicit');
    await mailSender(destination({ to: [to], tls: 'tls', port: exim.tlsPort }), fixed('implicit', 'body'))([event('down')]);
    const mail = parseMail((await exim.waitForMail(to))[0]!);
    expect(mail.header('x-tls-cipher')).toMatch(/TLS/);
    expect(mail.header('x-authenticated-as')).toBe('pcheck');
  });

  it('verification on without the CA: refused, saying the certificate is not trusted', async () => {
    const to = recipient('untrusted');
    const error = await failure(mailSender(destination({ to: [to], ca: null }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(
      `certificate not trusted: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); server 127.0.0.1:${exim.port}: name its CA in ca, or set verify no`,
    );
    const implicit = await failure(mailSender(destination({ to: [to], ca: null, tls: 'tls', port: exim.tlsPort }), fixed('x', 'y'))([event('down')]));
    expect(implicit.message).toMatch(/^certificate not trusted: /);
    expect(exim.mailbox(to)).toHaveLength(0);
  });

  it('a ca file of another CA: refused, naming the file', async () => {
    const other = join(box.dir, 'other-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(box.dir, 'other-ca.key'),
      '-out', other, '-days', '1', '-subj', '/CN=another CA', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
    const error = await failure(mailSender(destination({ ca: other }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(
      `certificate not trusted: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); server 127.0.0.1:${exim.port}: not issued by a CA in ${other}`,
    );
  });

  it('a certificate that does not name the host: refused, saying so', async () => {
    const error = await failure(mailSender(destination({ host: exim.unnamedHost }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(
      `certificate of ${exim.unnamedHost}:${exim.port} does not name ${exim.unnamedHost}: Hostname/IP does not match certificate's altnames: IP: ${exim.unnamedHost} is not in the cert's list: 127.0.0.1`,
    );
  });

  it('verification off without the CA: delivered', async () => {
    const to = recipient('noverify');
    await mailSender(destination({ to: [to], ca: null, verify: false }), fixed('noverify', 'body'))([event('down')]);
    expect(parseMail((await exim.waitForMail(to))[0]!).subject).toBe('noverify');
  });

  it('starttls against a server that offers none: refused, nothing sent in clear', async () => {
    const to = recipient('nostarttls');
    const error = await failure(mailSender(destination({ to: [to], port: exim.plainPort }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(`server 127.0.0.1:${exim.plainPort} offers no STARTTLS (it answered: 503 STARTTLS command used when not advertised)`);
    expect(exim.mailbox(to)).toHaveLength(0);
  });

  it('implicit TLS against a STARTTLS port: a handshake error that says so', async () => {
    const error = await failure(mailSender(destination({ tls: 'tls' }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(`TLS handshake with 127.0.0.1:${exim.port} failed: wrong version number (tls is implicit TLS: is this port STARTTLS or plain?)`);
  });

  it('tls none: plain SMTP, with AUTH in clear where the server offers it', async () => {
    const to = recipient('plain');
    await mailSender(destination({ to: [to], tls: 'none', port: exim.plainPort, ca: null }), fixed('plain', 'body'))([event('down')]);
    const mail = parseMail((await exim.waitForMail(to))[0]!);
    expect(mail.header('x-tls-cipher')).toBeUndefined();
    expect(mail.header('x-authenticated-as')).toBe('pcheck');
  });
});

describe('AUTH', () => {
  it('a wrong password: the error names the AUTH failure and the user, never the password', async () => {
    const to = recipient('wrongpass');
    const wrong = 'not the Right password';
    const file = join(box.dir, 'wrong-password');
    writeFileSync(file, `${wrong}\n`, { mode: 0o600 });
    const error = await failure(mailSender(destination({ to: [to], authPasswordFile: file }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe('SMTP AUTH failed: 535 Incorrect authentication data (user pcheck)');
    for (const form of [wrong, Buffer.from(wrong).toString('base64'), Buffer.from(`\0pcheck\0${wrong}`).toString('base64')]) {
      expect(error.message).not.toContain(form);
      expect(String(error.stack)).not.toContain(form);
    }
    expect(exim.mailbox(to)).toHaveLength(0);
  });

  it('credentials where the server offers no AUTH (clear text on a STARTTLS port): refused, not sent unauthenticated', async () => {
    const to = recipient('noauth');
    const error = await failure(mailSender(destination({ to: [to], tls: 'none' }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(`server 127.0.0.1:${exim.port} offers no SMTP AUTH on this connection: 503 AUTH command used when not advertised (user pcheck)`);
    expect(exim.mailbox(to)).toHaveLength(0);
  });

  it('a missing password file: the error names the file', async () => {
    const file = join(box.dir, 'no-such-password');
    const error = await failure(mailSender(destination({ authPasswordFile: file }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(`cannot read the AUTH password file ${file}: ENOENT`);
  });
});

describe('the server refuses or is not there', () => {
  it('a recipient the server refuses: the server\'s answer', async () => {
    const error = await failure(mailSender(destination({ to: ['someone@elsewhere.example'] }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(
      `server 127.0.0.1:${exim.port} refused the message: Can't send mail - all recipients were rejected: 550 5.7.1 relay not permitted`,
    );
  });

  it('a recipient refused among others accepted: delivered to the others', async () => {
    const to = recipient('partial');
    await mailSender(destination({ to: [to, 'someone@elsewhere.example'] }), fixed('partial', 'body'))([event('down')]);
    expect(parseMail((await exim.waitForMail(to))[0]!).subject).toBe('partial');
  });

  it('a refused port: a clear error, at once', async () => {
    const port = await refusedPort();
    const error = await failure(mailSender(destination({ port }), fixed('x', 'y'))([event('down')]));
    expect(error.message).toBe(`connection to 127.0.0.1:${port} refused (ECONNREFUSED): no mail server listens there`);
  });

  it('a server that accepts and never answers: times out within the timeout and its margin', async () => {
    const hole = await blackHole();
    try {
      const started = Date.now();
      const error = await failure(mailSender(destination({ port: hole.port, timeoutSeconds: 2 }), fixed('x', 'y'))([event('down')]));
      const elapsed = Date.now() - started;
      expect(error.message).toBe(`connection to 127.0.0.1:${hole.port} timed out after 2 s (connected, no SMTP greeting)`);
      expect(elapsed).toBeGreaterThanOrEqual(1900);
      expect(elapsed).toBeLessThan(2000 + GUARD_MARGIN_MS + 1500);
    } finally {
      await hole.stop();
    }
  });

  it('a server that answers a byte at a time forever: the overall deadline ends it', async () => {
    const drip = await dripServer();
    try {
      const started = Date.now();
      const error = await failure(mailSender(destination({ port: drip.port, timeoutSeconds: 2, tls: 'none', authUser: null, authPasswordFile: null, ca: null }), fixed('x', 'y'))([event('down')]));
      const elapsed = Date.now() - started;
      expect(error.message).toBe(`sending to 127.0.0.1:${drip.port} took longer than 2 s: gave up`);
      expect(elapsed).toBeGreaterThanOrEqual(2000 + GUARD_MARGIN_MS - 100);
      expect(elapsed).toBeLessThan(2000 + GUARD_MARGIN_MS + 1500);
    } finally {
      await drip.stop();
    }
  });
});

// Greets and answers EHLO, then answers MAIL FROM with a continuation line every 300 ms, never the
// last one: no wait of nodemailer's ever runs out.
async function dripServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('220 drip ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      const command = chunk.toString('latin1').toUpperCase();
      if (command.startsWith('EHLO')) socket.write('250-drip\r\n250 8BITMIME\r\n');
      else if (command.startsWith('MAIL')) timers.add(setInterval(() => socket.write('250-still thinking\r\n'), 300));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as { port: number };
  return {
    port,
    stop: () =>
      new Promise<void>((resolveClose) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolveClose());
      }),
  };
}
