// The webhook destination against a real HTTPS server with a CA of its own.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDestination } from '../../src/alerts/types.js';
import { webhookBody, webhookSender } from '../../src/alerts/webhook.js';
import { freePort, sandbox, type Sandbox } from '../e2e/harness.js';
import { makeCertificates, start, type Receiver } from '../e2e/servers/https-receiver.js';
import { alertEvent, down, tryRestart, up } from './destination-events.js';

let box: Sandbox;
let receiver: Receiver;
let tokenFile: string;
const TOKEN = 'tok-5f1e2d3c4b5a';

beforeAll(async () => {
  box = sandbox();
  receiver = await start(box);
  tokenFile = box.file('token', `${TOKEN}\n`);
});

afterAll(async () => {
  await receiver.stop();
  box.cleanup();
});

afterEach(() => receiver.answer({}));

function destination(overrides: Partial<WebhookDestination> = {}): WebhookDestination {
  return {
    kind: 'webhook',
    name: 'hook',
    line: 1,
    timeoutSeconds: 5,
    url: `${receiver.url}/hooks/T0001/B0002/secretpath`,
    shape: 'json',
    verify: true,
    ca: receiver.caFile,
    tokenFile: null,
    ...overrides,
  };
}

describe('webhook destination', () => {
  it('json shape: POSTs {host, pfile, events} with the bearer token, over verified TLS', async () => {
    const events = [down(), tryRestart(), up()];
    const before = receiver.requests.length;
    await webhookSender(destination({ tokenFile }))(events);
    const request = receiver.requests[before];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks/T0001/B0002/secretpath');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.json).toEqual({ host: 'web01', pfile: '/etc/pcheck/web.pfile', events: JSON.parse(JSON.stringify(events)) });
  });

  it('text shape: {"text"} with one line per event, as Slack and Teams take it', async () => {
    const before = receiver.requests.length;
    const entryless = alertEvent({ id: 'PC999', key: 'somethingElse', severity: 'err', text: 'pcheck stopped', pname: null, pentId: null, pid: null });
    const test = alertEvent({ id: 'PC399', key: 'alertTest', severity: 'warning', text: 'a test', pname: null, pentId: null, pid: null, test: true });
    await webhookSender(destination({ shape: 'text' }))([down(), up(), up({ resolves: false }), entryless, test]);
    const request = receiver.requests[before];
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.json).toEqual({
      text: [
        "[warning] web01 httpd: Process ['httpd',pid=4242] Down",
        "[RESOLVED] [notice] web01 httpd: ('httpd' ,pid=4343) Up",
        "[notice] web01 httpd: ('httpd' ,pid=4343) Up",
        '[err] web01: pcheck stopped',
        '[TEST] [warning] web01: a test',
      ].join('\n'),
    });
  });

  it('the token file is read at each send: a new token is used without a restart', async () => {
    const file = box.file('rotating-token', 'first\n');
    const send = webhookSender(destination({ tokenFile: file }));
    await send([down()]);
    writeFileSync(file, '  second  \n');
    await send([down()]);
    const [first, second] = receiver.requests.slice(-2);
    expect(first?.headers.authorization).toBe('Bearer first');
    expect(second?.headers.authorization).toBe('Bearer second');
  });

  it('verify with the server CA is trusted; without it the certificate error is named and nothing is sent', async () => {
    const before = receiver.requests.length;
    const error = await webhookSender(destination({ ca: null }))([down()]).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`POST https://127.0.0.1:${receiver.port}/…: certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN)`);
    expect(receiver.requests.length).toBe(before);
  });

  it('a host name is verified against the certificate: localhost is in it', async () => {
    const before = receiver.requests.length;
    await webhookSender(destination({ url: `https://localhost:${receiver.port}/hook` }))([down()]);
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('another CA does not make the server trusted', async () => {
    const other = makeCertificates(box.dir);
    await expect(webhookSender(destination({ ca: other.caFile }))([down()])).rejects.toThrow(/certificate not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)$/);
  });

  it('verify no sends to a server no CA vouches for', async () => {
    const before = receiver.requests.length;
    await webhookSender(destination({ verify: false, ca: null }))([down()]);
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('HTTP 500: the error has the status and the body start on one line, never the token or the path', async () => {
    receiver.answer({ status: 500, body: `database is down\nretry later ${'x'.repeat(400)}` });
    const error = (await webhookSender(destination({ tokenFile }))([down()]).catch((caught: Error) => caught)) as Error;
    const quoted = `database is down retry later ${'x'.repeat(200 - 'database is down\nretry later '.length)}`;
    expect(error.message).toBe(`POST https://127.0.0.1:${receiver.port}/…: HTTP 500 Internal Server Error: ${quoted}`);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('secretpath');
  });

  it('a server that never answers: timed out after the destination timeout', async () => {
    receiver.answer({ hang: true });
    await expect(webhookSender(destination({ timeoutSeconds: 1 }))([down()])).rejects.toThrow(
      `POST https://127.0.0.1:${receiver.port}/…: timed out after 1 s`,
    );
  });

  it('an error status whose body never ends: at the timeout, the status and what came of the body', async () => {
    receiver.answer({ status: 503, body: 'down for maintenance', holdEnd: true });
    await expect(webhookSender(destination({ timeoutSeconds: 1 }))([down()])).rejects.toThrow(
      `POST https://127.0.0.1:${receiver.port}/…: HTTP 503 Service Unavailable: down for maintenance`,
    );
  });

  it('a success whose body never ends is delivered: the status says it was accepted', async () => {
    receiver.answer({ status: 200, body: 'ok', holdEnd: true });
    await webhookSender(destination({ timeoutSeconds: 5 }))([down()]);
  });

  it('nothing listening: connection refused', async () => {
    const port = await freePort();
    await expect(webhookSender(destination({ url: `https://127.0.0.1:${port}/hook` }))([down()])).rejects.toThrow(
      `POST https://127.0.0.1:${port}/…: connection refused (ECONNREFUSED)`,
    );
  });

  it('a missing or empty token file is an error naming the file, and nothing is sent', async () => {
    const before = receiver.requests.length;
    const missing = join(box.dir, 'no-such-token');
    await expect(webhookSender(destination({ tokenFile: missing }))([down()])).rejects.toThrow(`token file ${missing}: ENOENT`);
    const empty = box.file('empty-token', ' \n');
    await expect(webhookSender(destination({ tokenFile: empty }))([down()])).rejects.toThrow(`token file ${empty} is empty`);
    expect(receiver.requests.length).toBe(before);
  });

  it('an unreadable CA file is an error naming it', async () => {
    const missing = join(box.dir, 'no-such-ca.pem');
    await expect(webhookSender(destination({ ca: missing }))([down()])).rejects.toThrow(`ca file ${missing}: ENOENT`);
  });

  it('plain http works too, and a 2xx other than 200 is delivered', async () => {
    const plain = await start(box, { tls: false });
    try {
      plain.answer({ status: 204 });
      await webhookSender(destination({ url: `${plain.url}/hook`, ca: null }))([down()]);
      expect(plain.requests).toHaveLength(1);
    } finally {
      await plain.stop();
    }
  });

  it('json body of one event names its pcheck', () => {
    expect(webhookBody('json', [down()])).toMatchObject({ host: 'web01', pfile: '/etc/pcheck/web.pfile' });
  });
});
