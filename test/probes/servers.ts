// Real local servers for the probe tests: each listens on 127.0.0.1, port 0, and closes with its connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { ProbeResult } from '../../src/probes/types.js';

export interface Running {
  readonly port: number;
  close(): Promise<void>;
}

// Starts `server` and returns its port and a close that also drops every open connection.
export async function serve(server: Server): Promise<Running> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

// An HTTP server answering every request with `status`.
export function serveStatus(status: number): Promise<Running> {
  return serve(
    createHttpServer((_request, response) => {
      response.statusCode = status;
      response.end();
    }),
  );
}

// A raw TCP server handing each connection to `onConnection`; the default reads and never answers.
export function serveRaw(onConnection: (socket: Socket) => void = (socket) => socket.resume()): Promise<Running> {
  return serve(createNetServer(onConnection));
}

// A port nothing listens on: taken from the kernel, then released.
export async function freePort(): Promise<number> {
  const running = await serveRaw();
  await running.close();
  return running.port;
}

/** A node HTTP server in a child process, so that it can be frozen with SIGSTOP. */
export interface ChildServer {
  readonly port: number;
  readonly child: ChildProcess;
}

const CHILD_SERVER = `
const server = require('node:http').createServer((request, response) => response.end());
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

// Spawns the child server and waits for the port it prints.
export async function spawnChildServer(): Promise<ChildServer> {
  const child = spawn(process.execPath, ['-e', CHILD_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return { port: Number(line), child };
}

// Runs a probe and reports how long it took to settle.
export async function timed(run: () => Promise<ProbeResult>): Promise<{ result: ProbeResult; elapsedMs: number }> {
  const start = performance.now();
  const result = await run();
  return { result, elapsedMs: performance.now() - start };
}
