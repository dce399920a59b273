// A real HTTPS (or plain HTTP) server that records every request it gets: the webhook destination's
// receiver in tests. Its certificate is signed by a CA made fresh by openssl in the sandbox, for
// 127.0.0.1 and localhost, so `verify yes` with `ca <caFile>` succeeds and without it fails.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { Sandbox } from '../harness.js';

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** How the receiver answers the requests to come. */
export interface Answer {
  /** Default 200. */
  readonly status?: number;
  /** Default empty. */
  readonly body?: string;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Never answer (the connection is held until stop). */
  readonly hang?: boolean;
  /** Send the status, headers and body, but never end the answer (held until stop). */
  readonly holdEnd?: boolean;
}

export interface Receiver {
  readonly port: number;
  /** `https://127.0.0.1:<port>` (http:// when started with tls: false). */
  readonly url: string;
  /** PEM of the CA that signed the server's certificate; null for plain HTTP. */
  readonly caFile: string | null;
  /** Every request so far, in arrival order (a live array). */
  readonly requests: readonly ReceivedRequest[];
  /** Sets how the requests from now on are answered. */
  answer(answer: Answer): void;
  /** Resolves with the requests once there are at least `count`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly ReceivedRequest[]>;
  stop(): Promise<void>;
}

export interface Certificates {
  readonly caFile: string;
  readonly keyFile: string;
  /** The server's certificate followed by the CA's, as the server sends them. */
  readonly chainFile: string;
}

/** Bytes of a request body kept. */
const MAX_BODY_BYTES = 1024 * 1024;

/** A CA and a server certificate it signed for localhost and 127.0.0.1, in a new directory under `dir`. */
export function makeCertificates(dir: string): Certificates {
  const tls = mkdtempSync(join(dir, 'tls-'));
  const file = (name: string): string => join(tls, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  openssl(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=pcheck test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
    '-set_serial', `0x${Date.now().toString(16)}`, '-out', file('server.pem'), '-days', '2', '-extfile', file('ext.cnf')]);
  writeFileSync(file('chain.pem'), readFileSync(file('server.pem'), 'utf8') + readFileSync(file('ca.pem'), 'utf8'));
  return { caFile: file('ca.pem'), keyFile: file('server.key'), chainFile: file('chain.pem') };
}

/** Starts the receiver on 127.0.0.1, on a port of its own; its files live in the sandbox. */
export async function start(box: Sandbox, options: { readonly tls?: boolean } = {}): Promise<Receiver> {
  const tls = options.tls ?? true;
  const requests: ReceivedRequest[] = [];
  let current: Answer = {};
  let waiters: (() => void)[] = [];

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      if (length < MAX_BODY_BYTES) chunks.push(chunk);
      length += chunk.length;
    });
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, json: parsed(body) });
      for (const wake of waiters) wake();
      const answer = current;
      if (answer.hang === true) return;
      const reply = (): void => {
        response.statusCode = answer.status ?? 200;
        if (answer.holdEnd === true) response.write(answer.body ?? '');
        else response.end(answer.body ?? '');
      };
      if (answer.delayMs === undefined) reply();
      else setTimeout(reply, answer.delayMs);
    });
  };

  let caFile: string | null = null;
  let server: Server;
  if (tls) {
    const certificates = makeCertificates(box.dir);
    caFile = certificates.caFile;
    server = createHttpsServer({ key: readFileSync(certificates.keyFile), cert: readFileSync(certificates.chainFile) }, handle);
  } else {
    server = createHttpServer(handle);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    port,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    caFile,
    requests,
    answer(answer) {
      current = answer;
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== check);
          reject(new Error(`the receiver got ${requests.length} requests, not ${count}, within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters = waiters.filter((waiter) => waiter !== check);
          resolve(requests);
        };
        waiters.push(check);
      });
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // held (hanging) requests included
        server.closeAllConnections();
      });
    },
  };
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
