// The metrics endpoint on a Unix socket: a socket file left by a killed process is replaced, one a
// live process answers on is not; close() removes the socket.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/metrics/server.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcheck-metrics-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const exposition = {
  scrape: async () => ({ body: Buffer.from('pcheck_build_info{version="t"} 1\n'), release: () => undefined }),
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
};

function get(socketPath: string, path = '/metrics'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics server on a Unix socket', () => {
  it('replaces a socket file left by a killed process, and removes its own on close', async () => {
    const path = join(dir, 'm.sock');
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(existsSync(path)).toBe(true);
    const server = await startMetricsServer({ kind: 'unix', path }, exposition);
    expect(await get(path)).toEqual({ status: 200, body: 'pcheck_build_info{version="t"} 1\n' });
    expect((await get(path, '/other')).status).toBe(404);
    server.close();
    expect(existsSync(path)).toBe(false);
  });

  it('leaves alone a socket another process answers on: the start fails', async () => {
    const path = join(dir, 'busy.sock');
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(path, resolve));
    await expect(startMetricsServer({ kind: 'unix', path }, exposition)).rejects.toThrow(/EADDRINUSE/);
    expect(existsSync(path)).toBe(true);
    await new Promise((resolve) => other.close(resolve));
  });

  it('a socket in a directory that does not exist: the start fails, naming the path', async () => {
    // Node 20 reports this bind as EACCES
    const path = join(dir, 'no', 'm.sock');
    await expect(startMetricsServer({ kind: 'unix', path }, exposition)).rejects.toThrow(`listen EACCES: permission denied ${path}`);
  });
});
