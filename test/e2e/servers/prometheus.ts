// A real Prometheus (Debian's /usr/bin/prometheus) in the foreground, on a free port, with a
// temporary configuration that scrapes its targets every second and its storage in the sandbox;
// killed by pid. query() asks its HTTP API for an instant vector.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../harness.js';
import { startOnFreePort } from './foreground.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

/** One series of an instant vector. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusOptions {
  /** `host:port` of each target of the one scrape job, `pcheck`. */
  readonly targets: readonly string[];
  /** Rule files (absolute), evaluated every second. */
  readonly ruleFiles?: readonly string[];
  /** `host:port` of an Alertmanager to send alerts to. */
  readonly alertmanager?: string;
}

export interface PrometheusServer {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  /** Its log (stderr), for a failing test's message. */
  readonly logFile: string;
  /** An instant query through /api/v1/query; rejects when Prometheus says the query failed. */
  query(promql: string): Promise<Sample[]>;
  /** Health of every target of the job, as /api/v1/targets reports it (`up`, `down`, `unknown`). */
  targetHealth(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function start(box: Sandbox, options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(box.dir, 'prometheus-'));
  const config = join(dir, 'prometheus.yml');
  const lines = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: pcheck',
    '    static_configs:',
    `      - targets: [${options.targets.map((target) => `'${target}'`).join(', ')}]`,
  ];
  if (options.ruleFiles !== undefined) lines.push('rule_files:', ...options.ruleFiles.map((file) => `  - '${file}'`));
  if (options.alertmanager !== undefined) {
    lines.push('alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: ['${options.alertmanager}']`);
  }
  writeFileSync(config, `${lines.join('\n')}\n`);
  const logFile = join(dir, 'prometheus.log');

  const started = await startOnFreePort(box, {
    name: 'prometheus',
    binary: PROMETHEUS,
    args: (port) => [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    logFile,
    readyWithinMs: 30_000,
  });
  return server(started.child, started.exited, started.port, started.url, logFile);
}

function server(child: ChildProcess, exited: Promise<void>, port: number, url: string, logFile: string): PrometheusServer {
  return {
    port,
    pid: child.pid ?? -1,
    url,
    logFile,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success' || body.data === undefined) throw new Error(`query ${promql}: ${body.error ?? response.status}`);
      if (body.data.resultType !== 'vector') throw new Error(`query ${promql}: a ${body.data.resultType}, not an instant vector`);
      return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    async targetHealth() {
      const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
      return body.data.activeTargets.map((target) => target.health);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

