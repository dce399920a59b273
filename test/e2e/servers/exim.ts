// A real MTA for the mail tests: Debian's exim4, started in the foreground with a configuration of
// the test's own, on free ports, delivering into a maildir in the sandbox; plus a black hole.
//
// How exim4 runs here (Debian's exim4-daemon-light, 4.96, no TRUSTED_CONFIG_LIST):
// - The tests run as root. `exim4 -C <file>` called by root keeps root (exim only drops privilege
//   for -C when the caller is not root), so the daemon binds its ports, then runs as the exim user
//   (Debian-exim) as usual. Receiving and the TLS handshake run as Debian-exim: the certificate's
//   key is chowned to it.
// - Deliveries are re-executions of exim with the same -C, by Debian-exim: there exim gives up
//   privilege ("exim user lost privilege for using -C option" in the log), so a delivery cannot
//   switch user. The transport delivers as Debian-exim (root is in exim's never_users anyway),
//   into a maildir owned by Debian-exim. Exim also refuses a path built from the address
//   ("Tainted ... not permitted"), so every message goes to one maildir, each recipient's copy a
//   file of its own with an Envelope-to: header that mailbox() selects on.
// - Debian-exim must reach the sandbox: its directory gets mode 0711 (search only); spool and log
//   are in it (spool_directory, log_file_path) and owned by Debian-exim.
// - -bdf: the daemon stays in the foreground, so its pid is the child's; -oP writes it as well.
//   It is started in a process group of its own and stopped by that group (the daemon and any
//   reception or delivery it forked): SIGTERM, then SIGKILL; stop() removes its directory.
// Three ports: `port` offers STARTTLS and AUTH only after it (a submission port done right),
// `tlsPort` is implicit TLS (tls_on_connect_ports), `plainPort` offers no TLS and AUTH in clear.
// AUTH PLAIN and LOGIN against the fixed user and password below. Recipients must be in
// MAIL_DOMAIN (others get 550), authenticated or not.
// Received messages carry X-Authenticated-As: <id> and X-TLS-Cipher: <cipher> when they apply.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import Encoding from 'encoding-japanese';
import { freePort, sleep, type Sandbox } from '../harness.js';

export const EXIM = '/usr/sbin/exim4';
export const MAIL_DOMAIN = 'pcheck.test';
export const MAIL_USER = 'pcheck';
/** With a space, so a reader that trims more than the trailing newline is caught. */
export const MAIL_PASSWORD = 'Exim test pass 7';

export interface Exim {
  readonly host: string;
  /** Another address the server listens on, one its certificate does not name. */
  readonly unnamedHost: string;
  /** STARTTLS offered; AUTH only after it. */
  readonly port: number;
  /** Implicit TLS from the first byte; AUTH offered. */
  readonly tlsPort: number;
  /** No TLS offered; AUTH offered in clear. */
  readonly plainPort: number;
  /** PEM of the CA that issued the server's certificate (names localhost and 127.0.0.1). */
  readonly caFile: string;
  readonly user: string;
  readonly password: string;
  /** The password in a 0600 file, with a trailing newline as `echo` writes it. */
  readonly passwordFile: string;
  /** The daemon's pid. */
  readonly pid: number;
  /** Every message delivered to `address` so far, oldest first, as exim stored it. */
  mailbox(address: string): Buffer[];
  /** Waits until `address` has at least `count` messages; returns them all. */
  waitForMail(address: string, count?: number, timeoutMs?: number): Promise<Buffer[]>;
  /** Exim's main log (what it received, delivered, refused). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts exim4 in `box` with its own configuration, certificate and ports. */
export async function start(box: Sandbox): Promise<Exim> {
  if (process.getuid?.() !== 0) throw new Error('the exim harness runs as root: exim4 -C keeps root only for root (see the header of test/e2e/servers/exim.ts)');
  const exim = eximUser();
  const dir = join(box.dir, 'exim');
  chmodSync(box.dir, 0o711);
  mkdirSync(dir, { mode: 0o711 });
  for (const sub of ['spool', 'log', 'maildir']) {
    mkdirSync(join(dir, sub), { mode: 0o700 });
    chownSync(join(dir, sub), exim.uid, exim.gid);
  }
  const tls = certificates(join(dir, 'tls'), exim);
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${MAIL_PASSWORD}\n`, { mode: 0o600 });
  const [port, tlsPort, plainPort] = (await distinctFreePorts(3)) as [number, number, number];
  const config = join(dir, 'exim.conf');
  writeFileSync(config, configuration({ dir, port, tlsPort, plainPort, key: tls.key, cert: tls.cert }), { mode: 0o644 });

  const pidFile = join(dir, 'exim.pid');
  const child = spawn(EXIM, ['-C', config, '-bdf', '-oP', pidFile], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const pid = child.pid ?? -1;
  box.track(pid);
  const readLog = (): string => readIfThere(join(dir, 'log', 'mainlog')) + readIfThere(join(dir, 'log', 'paniclog'));
  try {
    await waitForGreeting(port, child, () => `${output}${readLog()}`);
  } catch (error) {
    await stopGroup(child, exited);
    throw error;
  }

  const mailbox = (address: string): Buffer[] => delivered(join(dir, 'maildir'), address);
  return {
    host: '127.0.0.1',
    unnamedHost: '127.0.0.2',
    port,
    tlsPort,
    plainPort,
    caFile: tls.ca,
    user: MAIL_USER,
    password: MAIL_PASSWORD,
    passwordFile,
    pid,
    mailbox,
    async waitForMail(address, count = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = mailbox(address);
        if (messages.length >= count) return messages;
        if (Date.now() > deadline) throw new Error(`${messages.length} of ${count} messages for ${address} within ${timeoutMs} ms; exim's log:\n${readLog()}`);
        await sleep(50);
      }
    },
    log: readLog,
    async stop() {
      await stopGroup(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP server that accepts connections and never says a word: an SMTP server that hangs. */
export async function blackHole(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as { port: number };
  return {
    port,
    stop: () =>
      new Promise<void>((resolveClose) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolveClose());
      }),
  };
}

/** A port nothing listens on: connecting is refused. */
export const refusedPort = freePort;

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function eximUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('Debian-exim:'));
  const fields = line?.split(':');
  if (fields === undefined || fields.length < 4) throw new Error('no Debian-exim user: is exim4 installed?');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

// A CA and a server certificate it issued, for localhost and 127.0.0.1 (EC keys: quick to make).
function certificates(dir: string, exim: { uid: number; gid: number }): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { mode: 0o711 });
  const path = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=pcheck test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-new', ...ec, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(path('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-set_serial', '1', '-days', '2',
    '-extfile', path('server.ext'), '-out', path('server.pem')]);
  chmodSync(path('server.pem'), 0o644);
  chmodSync(path('ca.pem'), 0o644);
  // exim reads it as Debian-exim, when a TLS session starts
  chownSync(path('server.key'), exim.uid, exim.gid);
  chmodSync(path('server.key'), 0o600);
  return { ca: path('ca.pem'), cert: path('server.pem'), key: path('server.key') };
}

interface ConfigValues {
  readonly dir: string;
  readonly port: number;
  readonly tlsPort: number;
  readonly plainPort: number;
  readonly cert: string;
  readonly key: string;
}

// Exim's own `${...}` expansions are why this is lines and not a template literal.
function configuration(values: ConfigValues): string {
  const plain = String(values.plainPort);
  const overTlsOrPlainPort = '${if or{{def:tls_in_cipher}{={$received_port}{' + plain + '}}}}';
  const authenticator = (name: string, prompts: string, user: string, pass: string): string[] => [
    `${name.toLowerCase()}:`,
    '  driver = plaintext',
    `  public_name = ${name}`,
    `  server_prompts = ${prompts}`,
    `  server_condition = \${if and{{eq{${user}}{${MAIL_USER}}}{eq{${pass}}{${MAIL_PASSWORD}}}}}`,
    `  server_set_id = ${user}`,
    `  server_advertise_condition = ${overTlsOrPlainPort}`,
  ];
  return [
    'primary_hostname = mx.pcheck.test',
    'exim_user = Debian-exim',
    'exim_group = Debian-exim',
    'keep_environment =',
    `spool_directory = ${join(values.dir, 'spool')}`,
    `log_file_path = ${join(values.dir, 'log')}/%slog`,
    `daemon_smtp_ports = ${values.port} : ${values.tlsPort} : ${values.plainPort}`,
    'local_interfaces = 127.0.0.1 : 127.0.0.2',
    `tls_on_connect_ports = ${values.tlsPort}`,
    `tls_certificate = ${values.cert}`,
    `tls_privatekey = ${values.key}`,
    `tls_advertise_hosts = \${if ={$received_port}{${plain}}{}{*}}`,
    'host_lookup =',
    'rfc1413_hosts =',
    'rfc1413_query_timeout = 0s',
    'smtp_banner = $smtp_active_hostname ESMTP pcheck test MTA',
    'acl_smtp_rcpt = acl_rcpt',
    'acl_smtp_data = acl_data',
    'log_selector = +smtp_protocol_error +smtp_syntax_error +tls_peerdn',
    '',
    'begin acl',
    'acl_rcpt:',
    `  accept  domains = ${MAIL_DOMAIN}`,
    '  deny    message = 5.7.1 relay not permitted',
    'acl_data:',
    '  warn    authenticated = *',
    '          add_header = X-Authenticated-As: $authenticated_id',
    '  warn    condition = ${if def:tls_in_cipher}',
    '          add_header = X-TLS-Cipher: $tls_in_cipher',
    '  accept',
    '',
    'begin routers',
    'test_domain:',
    '  driver = accept',
    `  domains = ${MAIL_DOMAIN}`,
    '  transport = maildir',
    '',
    'begin transports',
    'maildir:',
    '  driver = appendfile',
    `  directory = ${join(values.dir, 'maildir')}`,
    '  maildir_format',
    '  envelope_to_add',
    '  return_path_add',
    '  user = Debian-exim',
    '  group = Debian-exim',
    '  mode = 0600',
    '',
    'begin authenticators',
    ...authenticator('PLAIN', ':', '$auth2', '$auth3'),
    ...authenticator('LOGIN', 'Username:: : Password::', '$auth1', '$auth2'),
    '',
  ].join('\n');
}

// Ready when the STARTTLS port greets; an exim that exits first (a bad configuration) says why.
async function waitForGreeting(port: number, child: ChildProcess, said: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exim4 exited (${child.exitCode ?? child.signalCode}):\n${said()}`);
    if (await greets(port)) return;
    if (Date.now() > deadline) throw new Error(`exim4 did not greet on port ${port} within 15 s:\n${said()}`);
    await sleep(50);
  }
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolveGreets) => {
    const socket = connect(port, '127.0.0.1');
    let heard = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolveGreets(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      heard += chunk.toString('latin1');
      if (heard.includes('\n')) done(heard.startsWith('220'));
    });
  });
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
    const ended = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
    if (ended && !groupAlive(pid)) return;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// Maildir `new/` files for `address`, by delivery time then name.
function delivered(maildir: string, address: string): Buffer[] {
  const fresh = join(maildir, 'new');
  if (!existsSync(fresh)) return [];
  const wanted = address.toLowerCase();
  return readdirSync(fresh)
    .map((name) => ({ name, path: join(fresh, name), at: statSync(join(fresh, name)).mtimeMs }))
    .sort((a, b) => a.at - b.at || a.name.localeCompare(b.name))
    .map((file) => readFileSync(file.path))
    .filter((raw) => parseMail(raw).header('envelope-to')?.toLowerCase() === wanted);
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A received message, decoded independently of how pcheck encodes one. */
export interface ReceivedMail {
  /** A header's value, unfolded, encoded words decoded; undefined when absent. */
  header(name: string): string | undefined;
  readonly subject: string;
  /** The body's charset, lowercase, from Content-Type. */
  readonly charset: string;
  /** Content-Transfer-Encoding, lowercase ('7bit' when absent). */
  readonly transferEncoding: string;
  /** The body decoded from its transfer encoding and charset, line ends as LF. */
  readonly text: string;
  /** The header block exactly as received (latin1), for assertions on the encoding itself. */
  readonly rawHeaders: string;
}

/** Parses a message as stored (LF or CRLF line ends): headers, subject, body text. */
export function parseMail(raw: Buffer): ReceivedMail {
  const bytes = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(bytes);
  const rawHeaders = split === null ? bytes : bytes.slice(0, split.index);
  const body = split === null ? '' : bytes.slice(split.index + split[0].length);
  const fields = new Map<string, string>();
  for (const field of rawHeaders.split(/\r?\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon < 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, field.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ').trim());
  }
  const contentType = fields.get('content-type') ?? 'text/plain';
  const charset = (/charset="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? 'us-ascii').toLowerCase();
  const transferEncoding = (fields.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const header = (name: string): string | undefined => {
    const value = fields.get(name.toLowerCase());
    return value === undefined ? undefined : decodeHeader(value);
  };
  return {
    header,
    subject: header('subject') ?? '',
    charset,
    transferEncoding,
    text: decodeCharset(decodeTransfer(body, transferEncoding), charset).replace(/\r\n/g, '\n'),
    rawHeaders,
  };
}

// RFC 2047 words (white space between two of them dropped); other bytes as JIS if they shift, else UTF-8
function decodeHeader(latin1: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let result = '';
  let last = 0;
  let previousWasWord = false;
  for (const match of latin1.matchAll(word)) {
    const between = latin1.slice(last, match.index);
    if (!(previousWasWord && /^[ \t]*$/.test(between))) result += decodeCharset(Buffer.from(between, 'latin1'), guessCharset(between));
    const [, charset = '', kind = '', text = ''] = match;
    const bytes = kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : Buffer.from(decodeQ(text), 'latin1');
    result += decodeCharset(bytes, charset.toLowerCase());
    last = match.index + match[0].length;
    previousWasWord = true;
  }
  const rest = latin1.slice(last);
  return result + decodeCharset(Buffer.from(rest, 'latin1'), guessCharset(rest));
}

function guessCharset(latin1: string): string {
  return latin1.includes('\x1b$') ? 'iso-2022-jp' : 'utf-8';
}

function decodeQ(text: string): string {
  return text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_whole, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeTransfer(latin1: string, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(latin1.replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const unfolded = latin1.replace(/=\r?\n/g, '');
    return Buffer.from(unfolded.replace(/=([0-9A-Fa-f]{2})/g, (_whole, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  }
  return Buffer.from(latin1, 'latin1');
}

function decodeCharset(bytes: Buffer, charset: string): string {
  if (charset === 'iso-2022-jp') return Encoding.convert(bytes, { to: 'UNICODE', from: 'JIS', type: 'string' });
  return new TextDecoder(charset === 'us-ascii' ? 'utf-8' : charset, { fatal: true }).decode(bytes);
}
