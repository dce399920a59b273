// A process spooling alerts as fast as it can is killed with SIGKILL at a moment it does not choose:
// a new queue on its spool finds every event it had accepted, nothing half-written, and sends each once.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryQueue, destinationSpoolDir } from '../../src/alerts/queue.js';
import type { AlertEvent } from '../../src/alerts/types.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import { ROOT } from '../e2e/harness.js';

const queueModule = join(ROOT, 'dist/alerts/queue.js');
const timersModule = join(ROOT, 'dist/system/timers.js');

/** Enqueues events without end (the destination hangs), printing each uid once enqueue() returned. */
function spooler(spoolDir: string): string {
  return `
    import { DeliveryQueue } from ${JSON.stringify(queueModule)};
    import { after } from ${JSON.stringify(timersModule)};
    const queue = new DeliveryQueue(
      { destination: { name: 'phone', kind: 'command', timeoutSeconds: 30 }, sender: () => new Promise(() => undefined),
        spoolDir: ${JSON.stringify(spoolDir)}, coalesceSeconds: 0, retrySeconds: 3600, spoolLimit: 1000000 },
      { now: Date.now, after, log: { emit() {} } },
    );
    let n = 0;
    const burst = () => {
      for (let i = 0; i < 20; i++) {
        n++;
        const uid = Date.now() + '-' + process.pid + '-' + n;
        queue.enqueue({ uid, id: 'PC102', key: 'down', severity: 'warning', text: "Process ['genwAP',pid=" + n + "] Down",
          time: new Date().toISOString(), host: 'web01', pfile: '/etc/pcheck/web.pfile', pname: 'genwAP', pentId: 1, pid: n,
          fields: { name: 'genwAP', pid: n, reason: 'gone' } });
        process.stdout.write(uid + '\\n');
      }
      setImmediate(burst);
    };
    burst();
  `;
}

let root: string | null = null;
afterEach(() => {
  if (root !== null) rmSync(root, { recursive: true, force: true });
  root = null;
});

describe('alert spool under kill -9', () => {
  it('loses no accepted event and sends each once', async () => {
    root = mkdtempSync(join(tmpdir(), 'alert-spool-'));
    const spoolDir = join(root, 'spool');
    const child = spawn(process.execPath, ['--input-type=module', '-e', spooler(spoolDir)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const accepted = await new Promise<string[]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`spooler ended early: ${code ?? signal}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const lines = output.split('\n').slice(0, -1);
        // kill it mid-burst, once it has accepted a few hundred events
        if (lines.length >= 500 && child.exitCode === null && !child.killed) {
          child.removeAllListeners('exit');
          child.kill('SIGKILL');
          child.once('exit', () => resolve(output.split('\n').slice(0, -1)));
        }
      });
    });
    expect(child.signalCode).toBe('SIGKILL');

    const log = createMemoryLog();
    const sent: AlertEvent[] = [];
    const queue = new DeliveryQueue(
      {
        destination: { name: 'phone', kind: 'command', timeoutSeconds: 30 },
        sender: async (events) => void sent.push(...events),
        spoolDir,
        coalesceSeconds: 0,
        retrySeconds: 3600,
        spoolLimit: 1_000_000,
      },
      { now: Date.now, after: (ms, callback) => ((timer) => () => clearTimeout(timer))(setTimeout(callback, ms)), log },
    );
    // nothing half-written: no file set aside
    expect(log.entries().map((entry) => entry.key)).toEqual(['spoolPickedUp']);
    const picked = queue.status().queued;
    // every event it accepted; at most the one it was writing when killed besides
    expect(picked).toBeGreaterThanOrEqual(accepted.length);
    expect(picked).toBeLessThanOrEqual(accepted.length + 1);
    while (queue.status().queued > 0) await queue.flushNow();
    queue.stop();

    const uids = sent.map((event) => event.uid);
    expect(uids.slice(0, accepted.length)).toEqual(accepted);
    expect(new Set(uids).size).toBe(uids.length);
    expect(readdirSync(destinationSpoolDir(spoolDir, 'phone'))).toEqual([]);
  });
});
