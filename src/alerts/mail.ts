// The mail destination: one SMTP message per batch of events, through nodemailer. The message is
// composed here (UTF-8 or the seed's ISO-2022-JP), the secrets are read from their files at send
// time, and every failure becomes one sentence that says what failed, never with the password in it.
import Encoding from 'encoding-japanese';
import { createTransport, type NodemailerError, type SMTPTransportOptions } from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node';
import { describeRefusal, readRegularFile } from '../system/files.js';
import { renderBody, renderSubject } from './template.js';
import type { AlertEvent, MailDestination, Sender } from './types.js';

/** Past the destination's timeout, the longest a send may take before it is abandoned. */
export const GUARD_MARGIN_MS = 2000;
/** How much later than the connection's deadline the idle timer, which starts with it, runs out. */
const IDLE_AFTER_SETUP_MS = 500;
const MAX_PASSWORD_BYTES = 4096;
const MAX_CA_BYTES = 1024 * 1024;
/** RFC 2047: an encoded word is at most 75 characters; 36 bytes of ISO-2022-JP make 66 of them. */
const MAX_JIS_WORD_BYTES = 36;

export interface Renderers {
  readonly subject: (template: string, events: readonly AlertEvent[]) => string;
  readonly body: (template: string, events: readonly AlertEvent[]) => string;
}

/** A Sender that mails `events` as one message to `dest`'s recipients. */
export function mailSender(dest: MailDestination, render: Renderers = { subject: renderSubject, body: renderBody }): Sender {
  return (events) => sendMail(dest, render, events);
}

async function sendMail(dest: MailDestination, render: Renderers, events: readonly AlertEvent[]): Promise<void> {
  if (events.length === 0) throw new Error('no events to send');
  const password = dest.authUser === null ? null : readPassword(dest.authPasswordFile);
  const ca = dest.ca === null ? null : readCa(dest.ca);
  const message = await compose(dest, render.subject(dest.subject, events), render.body(dest.body, events));
  const transport = createTransport(transportOptions(dest, password, ca));
  const controller = new AbortController();
  // nodemailer's own timeouts bound each wait; a server that answers a byte at a time resets the
  // idle one forever, so the whole attempt has a deadline too, which settles even if nodemailer
  // did not
  const timer = setTimeout(() => controller.abort(), dest.timeoutSeconds * 1000 + GUARD_MARGIN_MS);
  const abandoned = new Promise<never>((_resolve, reject) => controller.signal.addEventListener('abort', () => reject(new Error('abandoned'))));
  try {
    await Promise.race([transport.sendMail({ envelope: message.envelope, raw: message.raw, signal: controller.signal }), abandoned]);
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`sending to ${dest.host}:${dest.port} took longer than ${dest.timeoutSeconds} s: gave up`);
    throw new Error(scrub(describeFailure(error as NodemailerError, dest), dest.authUser, password));
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

function transportOptions(dest: MailDestination, password: string | null, ca: string | null): SMTPTransportOptions {
  const timeoutMs = dest.timeoutSeconds * 1000;
  return {
    host: dest.host,
    port: dest.port,
    // none: plain SMTP even if the server offers STARTTLS; starttls: refuse to go on without it;
    // tls: TLS from the first byte
    secure: dest.tls === 'tls',
    requireTLS: dest.tls === 'starttls',
    ignoreTLS: dest.tls === 'none',
    tls: { rejectUnauthorized: dest.verify, ...(ca === null ? {} : { ca }) },
    // forceAuth: with credentials configured, a server that offers no AUTH is an error, not an
    // unauthenticated send
    ...(dest.authUser === null || password === null ? {} : { auth: { user: dest.authUser, pass: password }, forceAuth: true }),
    // connecting, the greeting and STARTTLS together; then each later wait for an answer. The idle
    // timer starts at connect too: a little later than the greeting's, so that a server that
    // never greets is reported as that, not as one that stopped answering
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs + IDLE_AFTER_SETUP_MS,
    dnsTimeout: timeoutMs,
    logger: false,
    debug: false,
  };
}

// The password file's text, less one trailing newline (what `echo secret > file` adds).
function readPassword(path: string | null): string {
  if (path === null) throw new Error('auth_user is set but auth_password_file is not');
  const read = readRegularFile(path, MAX_PASSWORD_BYTES);
  if ('refused' in read) throw new Error(`cannot read the AUTH password file ${path}: ${describeRefusal(read.refused, MAX_PASSWORD_BYTES)}`);
  const password = read.text.replace(/\r?\n$/, '');
  if (password === '') throw new Error(`the AUTH password file ${path} is empty`);
  return password;
}

function readCa(path: string): string {
  const read = readRegularFile(path, MAX_CA_BYTES);
  if ('refused' in read) throw new Error(`cannot read the CA file ${path}: ${describeRefusal(read.refused, MAX_CA_BYTES)}`);
  if (!read.text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`the CA file ${path} holds no PEM certificate`);
  return read.text;
}

interface Composed {
  readonly envelope: { from: string; to: string[] };
  readonly raw: string | Buffer;
}

/**
 * The whole message. Headers are nodemailer's (addresses, Date, Message-ID, folding). UTF-8 text is
 * left to nodemailer's transfer encoding; ISO-2022-JP text is 7-bit by construction and goes as is
 * (nodemailer would quoted-print it for the escape bytes, which RFC 1468 mail does not do).
 */
async function compose(dest: MailDestination, subjectText: string, bodyText: string): Promise<Composed> {
  const jis = dest.charset === 'iso-2022-jp';
  const node = new MimeNode(`text/plain; charset=${jis ? 'ISO-2022-JP' : 'utf-8'}`);
  node.setHeader('From', dest.from);
  node.setHeader('To', dest.to.join(', '));
  node.setHeader('Subject', subjectHeader(dest, oneLine(subjectText)));
  const envelope = node.getEnvelope();
  const addresses = { from: envelope.from === false ? dest.from : envelope.from, to: envelope.to };
  if (!jis) {
    node.setContent(bodyText);
    return { envelope: addresses, raw: await node.build() };
  }
  node.setHeader('Content-Transfer-Encoding', '7bit');
  const lines = bodyText.split(/\r\n|\r|\n/).map(toJis);
  return { envelope: addresses, raw: `${node.buildHeaders()}\r\n\r\n${lines.join('\r\n')}\r\n` };
}

/** Header text: line breaks and control characters from an event's text would end the header. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

// MIME-encoded (RFC 2047) when asked and needed; else as is, in the message's charset (8-bit for UTF-8)
function subjectHeader(dest: MailDestination, subject: string): string | { prepared: true; value: string } {
  const ascii = /^[\x20-\x7e]*$/.test(subject);
  if (dest.charset === 'utf-8') return dest.encodeSubject || ascii ? subject : { prepared: true, value: subject };
  if (ascii) return subject;
  return { prepared: true, value: dest.encodeSubject ? encodeJisWords(subject) : toJis(subject) };
}

/** ISO-2022-JP bytes of `text`, as a string of those (7-bit) bytes. */
function toJis(text: string): string {
  // half-width katakana have no place in ISO-2022-JP: their full-width forms do
  const codes = Encoding.convert(Encoding.stringToCode(Encoding.toZenkanaCase(text)), { to: 'JIS', from: 'UNICODE', type: 'array' });
  return Buffer.from(codes).toString('latin1');
}

// `=?ISO-2022-JP?B?...?=` words, each ending back in ASCII as RFC 1468 wants, folded one a line
function encodeJisWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const character of text) {
    if (chunk !== '' && toJis(chunk + character).length > MAX_JIS_WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += character;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((word) => `=?ISO-2022-JP?B?${Buffer.from(toJis(word), 'latin1').toString('base64')}?=`).join('\r\n ');
}

/** Node's TLS codes of a certificate that does not chain to a trusted CA. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

const TIMEOUT_WAITS: Readonly<Record<string, string>> = {
  CONNECT_TIMEOUT: 'connecting',
  GREETING_TIMEOUT: 'connected, no SMTP greeting',
  UPGRADE_TIMEOUT: 'TLS handshake',
  SOCKET_TIMEOUT: 'the server stopped answering',
};

/** One sentence for what nodemailer reported. */
function describeFailure(error: NodemailerError, dest: MailDestination): string {
  const where = `${dest.host}:${dest.port}`;
  const code = error.originalCode ?? error.code ?? '';
  const response = error.response ?? '';
  const message = (error.message ?? String(error)).trim();
  if (error.code === 'ETIMEDOUT') {
    const wait = TIMEOUT_WAITS[error.timeoutType ?? ''];
    return `connection to ${where} timed out after ${dest.timeoutSeconds} s${wait === undefined ? '' : ` (${wait})`}`;
  }
  // a server's answer may speak of certificates too: only a failure without one is the TLS layer's
  if (UNTRUSTED.has(code) || code.startsWith('CERT_') || code === 'ERR_TLS_CERT_ALTNAME_INVALID' || (response === '' && /certificate/i.test(message))) {
    return describeCertificate(code, message, dest);
  }
  if (error.code === 'ETLS' && error.command === 'STARTTLS' && response !== '') {
    // nodemailer sends STARTTLS whether offered or not when it is required: 5xx means it was not
    return /^50[0-3]/.test(response) ? `server ${where} offers no STARTTLS (it answered: ${response})` : `server ${where} refused STARTTLS: ${response}`;
  }
  if (error.code === 'EAUTH') {
    const user = `(user ${dest.authUser ?? ''})`;
    if (/^50[0-4]/.test(response)) return `server ${where} offers no SMTP AUTH on this connection: ${response} ${user}`;
    return `SMTP AUTH failed: ${response === '' ? message : response} ${user}`;
  }
  if (code === 'ECONNREFUSED') return `connection to ${where} refused (ECONNREFUSED): no mail server listens there`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the mail host ${dest.host}: ${code}`;
  if (code.startsWith('ERR_SSL_') || /SSL routines/.test(message)) {
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
    return `TLS handshake with ${where} failed: ${reason}${dest.tls === 'tls' ? ' (tls is implicit TLS: is this port STARTTLS or plain?)' : ''}`;
  }
  if (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') return `server ${where} refused the message: ${message}`;
  if (code === 'ECONNRESET' || code === 'EPIPE' || error.code === 'ECONNECTION') return `connection to ${where} lost: ${message}`;
  if (code.startsWith('E') && code !== error.code) return `connection to ${where} failed: ${message}`;
  return `mail to ${where} failed: ${message}`;
}

function describeCertificate(code: string, message: string, dest: MailDestination): string {
  const reason = message.replace(/^Error initiating TLS - /, '');
  const where = `${dest.host}:${dest.port}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/.test(reason)) return `certificate of ${where} does not name ${dest.host}: ${reason}`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `certificate of ${where} not valid now: ${reason}`;
  const hint = dest.ca === null ? 'name its CA in ca, or set verify no' : `not issued by a CA in ${dest.ca}`;
  // nodemailer's own codes say nothing about the certificate
  const tlsCode = code === '' || code === 'ETLS' || code === 'ESOCKET' ? '' : ` (${code})`;
  return `certificate not trusted: ${reason}${tlsCode}; server ${where}: ${hint}`;
}

/** The password, and its base64 forms as AUTH PLAIN and LOGIN send it, out of a text. */
function scrub(text: string, user: string | null, password: string | null): string {
  if (password === null || password.length < 4) return text;
  const forms = [password, Buffer.from(password).toString('base64'), Buffer.from(`\0${user ?? ''}\0${password}`).toString('base64')];
  return forms.reduce((scrubbed, form) => scrubbed.split(form).join('***'), text);
}
