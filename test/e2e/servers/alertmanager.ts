// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) in the foreground, on a free port,
// with a temporary configuration and storage in the sandbox and no cluster gossip, killed by pid.
// Every alert is routed to a webhook receiver (a plain HTTP recording server in this process) with
// send_resolved, so a test sees what Alertmanager notified: the firing and then the resolution.
//
// Alertmanager 0.25's API (and so `amtool alert query`) never lists a resolved alert, whatever the
// filters (`active=false` included): an alert whose endsAt has passed disappears from it. A
// resolution is seen in `notifications` (status "resolved") and in `received()` (its counter).
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, type Sandbox } from '../harness.js';
import { startOnFreePort } from './foreground.js';
import { start as startReceiver, type ReceivedRequest } from './https-receiver.js';

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
export const AMTOOL = '/usr/bin/amtool';

/** An alert as Alertmanager lists it (gettableAlert). */
export interface HeldAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly fingerprint: string;
  readonly status: { readonly state: string; readonly silencedBy: string[]; readonly inhibitedBy: string[] };
}

/** What Alertmanager POSTs to a webhook receiver (its version 4 message). */
export interface Notification {
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly alerts: readonly {
    readonly status: 'firing' | 'resolved';
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly startsAt: string;
    readonly endsAt: string;
  }[];
}

export interface AlertmanagerServer {
  readonly port: number;
  readonly pid: number;
  /** `http://127.0.0.1:<port>`: a destination's url. */
  readonly url: string;
  /** Its log (stderr), for a failing test's message. */
  readonly logFile: string;
  /** Every notification Alertmanager sent so far (a live array). */
  readonly notifications: readonly Notification[];
  /** `amtool alert query -o json [matchers]`: the firing alerts (silenced and inhibited too). */
  query(...matchers: string[]): Promise<HeldAlert[]>;
  /** Waits for a notification that `accept` takes. */
  waitForNotification(accept: (notification: Notification) => boolean, timeoutMs?: number): Promise<Notification>;
  /** alertmanager_alerts_received_total: alerts POSTed to it, firing and resolved. */
  received(): Promise<{ firing: number; resolved: number }>;
  stop(): Promise<void>;
}

export async function start(box: Sandbox): Promise<AlertmanagerServer> {
  const receiver = await startReceiver(box, { tls: false });
  const dir = mkdtempSync(join(box.dir, 'alertmanager-'));
  const config = join(dir, 'alertmanager.yml');
  // each alert its own group ('...'), notified 1 s after it arrives or changes
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: recorder',
      "  group_by: ['...']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: recorder',
      '    webhook_configs:',
      `      - url: ${receiver.url}/`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'alertmanager.log');

  let started;
  try {
    started = await startOnFreePort(box, {
      name: 'alertmanager',
      binary: ALERTMANAGER,
      args: (port) => [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      logFile,
      readyWithinMs: 20_000,
    });
  } catch (error) {
    await receiver.stop();
    throw error;
  }
  return server(started.child, started.exited, started.port, started.url, logFile, receiver);
}

function server(
  child: ChildProcess,
  exited: Promise<void>,
  port: number,
  url: string,
  logFile: string,
  receiver: Awaited<ReturnType<typeof startReceiver>>,
): AlertmanagerServer {
  const notifications: Notification[] = [];
  const seen = (requests: readonly ReceivedRequest[]): void => {
    while (notifications.length < requests.length) notifications.push(requests[notifications.length]?.json as Notification);
  };
  return {
    port,
    pid: child.pid ?? -1,
    url,
    logFile,
    get notifications() {
      seen(receiver.requests);
      return notifications;
    },
    query(...matchers) {
      return new Promise((resolve, reject) => {
        execFile(
          AMTOOL,
          ['alert', 'query', `--alertmanager.url=${url}`, '-o', 'json', '--active', '--silenced', '--inhibited', ...matchers],
          { timeout: 20_000 },
          (error, stdout, stderr) => {
            if (error !== null) reject(new Error(`amtool: ${error.message} ${stderr}`));
            else resolve(JSON.parse(stdout) as HeldAlert[]);
          },
        );
      });
    },
    waitForNotification(accept, timeoutMs = 20_000) {
      return eventually(
        () => {
          seen(receiver.requests);
          return notifications.find(accept);
        },
        timeoutMs,
        'an Alertmanager notification',
      );
    },
    async received() {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const count = (status: string): number =>
        metrics
          .split('\n')
          .filter((line) => line.startsWith('alertmanager_alerts_received_total{') && line.includes(`status="${status}"`))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      return { firing: count('firing'), resolved: count('resolved') };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await receiver.stop();
    },
  };
}

