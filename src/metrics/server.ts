// The metrics endpoint: GET /metrics (the text exposition) and a small GET / page, on TCP or a Unix
// socket; anything else is 404. Bounded: a slow or idle client is cut off by the server's timeouts.
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { formatListen, type MetricsListen } from '../pfile/types.js';
import type { Scraped } from './exposition.js';

/** What the endpoint serves: the exposition and its Content-Type. */
export interface Exposition {
  /** The answer's body, released once sent or dropped. */
  readonly scrape: () => Promise<Scraped>;
  readonly contentType: string;
}

export interface MetricsServer {
  readonly listen: MetricsListen;
  close(): void;
}

/** The endpoint the pfile asks for, across reloads: one server at a time, or none. */
export class MetricsEndpoint {
  private server: MetricsServer | null = null;

  constructor(private readonly exposition: Exposition) {}

  /** Serves on `listen` (null: no endpoint); rejects when it cannot listen, still serving where it did. */
  async serve(listen: MetricsListen | null): Promise<void> {
    if (isDeepStrictEqual(listen, this.server?.listen ?? null)) return;
    const next = listen === null ? null : await startMetricsServer(listen, this.exposition);
    this.server?.close();
    this.server = next;
  }

  /** serve() for a reload: null when done, else the fields of PC401 (the old endpoint stays). */
  async change(listen: MetricsListen | null): Promise<{ listen: string; error: string; kept: string } | null> {
    try {
      await this.serve(listen);
      return null;
    } catch (error) {
      const kept = this.server === null ? '' : formatListen(this.server.listen);
      return { listen: listen === null ? '' : formatListen(listen), error: (error as Error).message, kept };
    }
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }
}

/** A request's headers must arrive within this; a whole request (and its answer) within REQUEST_MS. */
const HEADERS_MS = 5000;
const REQUEST_MS = 10_000;
/** How often the header and request deadlines are enforced (Node's default is 30 s). */
const CHECK_MS = 1000;
/** An idle keep-alive connection is closed after this (Prometheus scrapes every 15 s or more). */
const KEEP_ALIVE_MS = 5000;
/** Concurrent connections: a scraper or two, and someone with curl. */
const MAX_CONNECTIONS = 32;

const PAGE = `<!doctype html>
<html><head><title>pcheck metrics</title></head>
<body><h1>pcheck</h1><p><a href="/metrics">/metrics</a>: Prometheus metrics of this pcheck (docs/metrics.md lists them).</p></body></html>
`;

/** Listens on `listen`; rejects with the reason (EADDRINUSE, EACCES, ...) when it cannot. */
export async function startMetricsServer(listen: MetricsListen, exposition: Exposition): Promise<MetricsServer> {
  const server = createServer({ connectionsCheckingInterval: CHECK_MS }, (request, response) => void answer(request, response, exposition));
  server.headersTimeout = HEADERS_MS;
  server.requestTimeout = REQUEST_MS;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.maxConnections = MAX_CONNECTIONS;
  server.setTimeout(REQUEST_MS, (socket) => socket.destroy());
  if (listen.kind === 'unix') await removeStaleSocket(listen.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = () => {
      server.off('error', reject);
      resolve();
    };
    if (listen.kind === 'unix') server.listen(listen.path, onListening);
    else server.listen(listen.port, listen.host, onListening);
  });
  // after the start, a failing connection is that connection's business
  server.on('error', () => undefined);
  return {
    listen,
    close() {
      server.close();
      server.closeAllConnections();
      if (listen.kind === 'unix') unlinkQuietly(listen.path);
    },
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, exposition: Exposition): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const get = request.method === 'GET' || request.method === 'HEAD';
  if (get && path === '/metrics') {
    try {
      const { body, release } = await exposition.scrape();
      // the body's memory is reused by a later scrape: not before this answer was sent or dropped
      response.once('close', release);
      response.writeHead(200, { 'Content-Type': exposition.contentType, 'Content-Length': body.length }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${(error as Error).message}\n`);
    }
    return;
  }
  if (get && path === '/') {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(request.method === 'HEAD' ? undefined : PAGE);
    return;
  }
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: pcheck serves /metrics\n');
}

// A socket file left by a killed pcheck is removed; one something still answers on is left alone (the listen then fails).
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) return;
  const answers = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!answers) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
