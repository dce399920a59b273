// templates/prometheus: the scrape config, the alerting rules and their unit tests checked by Debian's
// promtool, the rules loaded and evaluated by a real Prometheus, and the Grafana dashboard's queries
// held to the fixed metric names (docs/metrics.md) and the dashboard's host/entry variables.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, ROOT, run, sandbox, type Sandbox } from '../e2e/harness.js';

const DIR = join(ROOT, 'templates/prometheus');
const RULES = join(DIR, 'rules/pcheck.rules.yml');
const RULE_TESTS = join(DIR, 'rules/pcheck.rules.test.yml');
const DASHBOARD = join(DIR, 'grafana/pcheck-fleet.json');

/** The metric names pcheck exports (fixed for issue 10), and Prometheus's own `up`. */
const ENTRY_METRICS = [
  'pcheck_entry_up',
  'pcheck_entry_state',
  'pcheck_entry_monitoring',
  'pcheck_entry_stall_state',
  'pcheck_entry_restarts_total',
  'pcheck_entry_retry_overs_total',
  'pcheck_entry_limit_breaches_total',
  'pcheck_entry_retries_in_window',
  'pcheck_entry_last_restart_timestamp_seconds',
  'pcheck_entry_cpu_seconds_total',
  'pcheck_entry_resident_memory_bytes',
  'pcheck_probe_failures_total',
];
const ENTRY_HISTOGRAMS = ['pcheck_restart_script_duration_seconds', 'pcheck_probe_duration_seconds'];
const DAEMON_METRICS = [
  'pcheck_build_info',
  'pcheck_config_last_reload_successful',
  'pcheck_config_last_reload_success_timestamp_seconds',
  'pcheck_alert_queue_length',
];
const DAEMON_HISTOGRAMS = ['pcheck_liveness_tick_duration_seconds'];
const withSeries = (histograms: string[]): string[] => histograms.flatMap((name) => ['_bucket', '_sum', '_count'].map((suffix) => name + suffix));
/** Metrics that carry pent_id and pname: a dashboard query on them is filtered by host and entry. */
const PER_ENTRY = new Set([...ENTRY_METRICS, ...withSeries(ENTRY_HISTOGRAMS)]);
const KNOWN = new Set([...PER_ENTRY, ...DAEMON_METRICS, ...withSeries(DAEMON_HISTOGRAMS), 'up']);

const ALERTS = [
  'PcheckProcessDown',
  'PcheckRetryOver',
  'PcheckStallDetected',
  'PcheckFlapping',
  'PcheckAbsent',
  'PcheckAlertDestinationBacklog',
  'PcheckConfigReloadFailed',
  'PcheckResourceLimit',
];

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** Metric names a PromQL expression selects: identifiers that are neither functions, keywords, label names nor durations. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const after = bare.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

/** Every `name{matchers}` selector of an expression, and whether a metric appears without braces. */
function selectors(expr: string): { name: string; matchers: string }[] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)].map((match) => ({ name: match[1]!, matchers: match[2]! }));
}

function promtool(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return run('promtool', args, process.env, 60_000);
}

let box: Sandbox | undefined;
let prometheus: ChildProcess | undefined;

afterEach(() => {
  if (prometheus?.pid !== undefined && prometheus.exitCode === null) process.kill(prometheus.pid, 'SIGKILL');
  prometheus = undefined;
  box?.cleanup();
  box = undefined;
});

beforeAll(() => {
  if (!existsSync('/usr/bin/promtool') || !existsSync('/usr/bin/prometheus')) {
    throw new Error('prometheus is not installed: apt-get install -y prometheus (.ci/run does)');
  }
});

describe('templates/prometheus with promtool', () => {
  it('promtool check config accepts prometheus.yml, its rule file and its file_sd targets', async () => {
    const result = await promtool('check', 'config', join(DIR, 'prometheus.yml'));
    expect(result.stderr + result.stdout).toContain('SUCCESS: 1 rule files found');
    expect(result.stderr + result.stdout).toContain('SUCCESS: 9 rules found');
    expect(result.status).toBe(0);
  });

  it('promtool check rules accepts the rules (lint included), one or more rules per alert', async () => {
    const result = await promtool('check', 'rules', RULES);
    expect(result.stdout).toContain('SUCCESS: 9 rules found');
    expect(result.status).toBe(0);
    const named = [...readFileSync(RULES, 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map((match) => match[1]);
    expect(new Set(named)).toEqual(new Set(ALERTS));
  });

  it('promtool test rules passes, with a firing and a quiet case for every alert', async () => {
    const result = await promtool('test', 'rules', RULE_TESTS);
    expect(result.stdout).toContain('SUCCESS');
    expect(result.status).toBe(0);
    const tests = readFileSync(RULE_TESTS, 'utf8');
    for (const alert of ALERTS) {
      const cases = [...tests.matchAll(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:( \\[\\])?`, 'g'))];
      expect(cases.some((match) => match[1] === undefined), `${alert} fires in some case`).toBe(true);
      expect(cases.some((match) => match[1] !== undefined), `${alert} stays quiet in some case`).toBe(true);
    }
  });

  it('each firing case depends on its rule: with the rule renamed, promtool test rules fails on that alert', async () => {
    box = sandbox();
    copyFileSync(RULE_TESTS, join(box.dir, 'pcheck.rules.test.yml'));
    const rules = readFileSync(RULES, 'utf8');
    for (const alert of ALERTS) {
      writeFileSync(join(box.dir, 'pcheck.rules.yml'), rules.replaceAll(`- alert: ${alert}\n`, `- alert: ${alert}Renamed\n`));
      const result = await promtool('test', 'rules', join(box.dir, 'pcheck.rules.test.yml'));
      expect(result.status, alert).not.toBe(0);
      expect(result.stdout + result.stderr, alert).toContain(`alertname: ${alert}, time:`);
    }
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    templating: { list: { name: string; type: string; query: unknown; multi?: boolean; includeAll?: boolean }[] };
    panels: { id: number; type: string; title: string; targets?: { expr: string; refId: string }[] }[];
  };
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  const targets = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

  it('parses, with unique panel ids and a query in every panel', () => {
    expect(dashboard.uid).toBe('pcheck-fleet');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    // what the issue asks the dashboard to show
    const all = targets.map((target) => target.expr).join('\n');
    expect(all).toContain('pcheck_entry_state{');
    expect(all).toMatch(/sum by \(instance, pname, reason\) \(increase\(pcheck_entry_restarts_total\{/);
    expect(all).toMatch(/histogram_quantile\(0\.99, sum by \(le, [^)]*\) \(rate\(pcheck_probe_duration_seconds_bucket\{/);
    expect(all).toContain('pcheck_entry_resident_memory_bytes{');
    expect(all).toContain('rate(pcheck_entry_cpu_seconds_total{');
    expect(all).toContain('pcheck_alert_queue_length{');
  });

  it('has the variables instance and pname, from label_values, multi-valued with All', () => {
    const variables = new Map(dashboard.templating.list.map((variable) => [variable.name, variable]));
    for (const name of ['instance', 'pname']) {
      const variable = variables.get(name);
      expect(variable?.type, name).toBe('query');
      expect(JSON.stringify(variable?.query), name).toMatch(new RegExp(`label_values\\((up|pcheck_entry_up)\\{[^}]*\\}, ${name}\\)`));
      expect(variable?.multi && variable.includeAll, name).toBe(true);
    }
  });

  it('uses only the fixed metric names (or up), each filtered by $instance, and by $pname when per entry', () => {
    for (const { panel, expr } of targets) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(KNOWN.has(name), `${panel}: ${name} is not a pcheck metric`).toBe(true);
      // every metric is selected with braces, each selector filtered by the variables
      expect(selectors(expr).map((selector) => selector.name).sort(), `${panel}: ${expr}`).toEqual([...names].sort());
      for (const { name, matchers } of selectors(expr)) {
        expect(matchers, `${panel}: ${name}`).toContain('instance=~"$instance"');
        if (PER_ENTRY.has(name)) expect(matchers, `${panel}: ${name}`).toContain('pname=~"$pname"');
      }
    }
  });

  it('every query is valid PromQL: promtool check rules accepts them all as recording rules', async () => {
    box = sandbox();
    const rules = targets.map(({ expr }, index) => {
      const concrete = expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*').replaceAll('$pname', '.*');
      return `      - record: dashboard:query_${index}\n        expr: ${JSON.stringify(concrete)}\n`;
    });
    const file = box.file('dashboard.rules.yml', `groups:\n  - name: dashboard\n    rules:\n${rules.join('')}`);
    const result = await promtool('check', 'rules', file);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${targets.length} rules found`);
    expect(result.status).toBe(0);
  });
});

describe('metricNames', () => {
  it('finds selected metrics, not functions, keywords, label names or durations', () => {
    expect(metricNames('sum without (reason) (increase(pcheck_entry_restarts_total{reason="stall"}[10m])) > 0 or up{job="x"} == bool 0')).toEqual([
      'pcheck_entry_restarts_total',
      'up',
    ]);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(foo_bucket{a=~"$instance"}[$__rate_interval])))')).toEqual(['foo_bucket']);
    expect(metricNames('pcheck_entry_up == 0 and on (job, instance) pcheck_entry_monitoring == 1')).toEqual(['pcheck_entry_up', 'pcheck_entry_monitoring']);
  });
});

interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; query: string; health: string; lastError?: string; type: string; labels: Record<string, string>; alerts: { labels: Record<string, string>; state: string }[] }[];
}

describe('a real Prometheus with the shipped rules', () => {
  it('loads every rule group with health ok, evaluates them (a dead pcheck target -> PcheckAbsent pending) and reads the shipped targets file', async () => {
    box = sandbox();
    const port = await freePort();
    const deadPort = await freePort();
    box.file('targets.yml', `- targets: ['127.0.0.1:${deadPort}']\n`);
    const config = box.file(
      'prometheus.yml',
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES)}`,
        'scrape_configs:',
        '  - job_name: pcheck',
        '    file_sd_configs:',
        `      - files: [${JSON.stringify(join(box.dir, 'targets.yml'))}]`,
        // the shipped example hosts are read but never scraped: every target dropped
        '  - job_name: shipped-targets',
        '    file_sd_configs:',
        `      - files: [${JSON.stringify(join(DIR, 'targets/pcheck.yml'))}]`,
        '    relabel_configs:',
        '      - action: drop',
        '        source_labels: [__address__]',
        "        regex: '.*'",
        '',
      ].join('\n'),
    );
    let output = '';
    prometheus = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(box.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    const get = async (path: string): Promise<Response | undefined> => {
      if (prometheus?.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
      return fetch(base + path).catch(() => undefined);
    };
    await eventually(async () => ((await get('/-/ready'))?.status === 200 ? true : undefined), 30_000, 'prometheus /-/ready');

    // every group of the shipped file, every rule evaluated at least once and healthy
    const groups = await eventually(
      async () => {
        const body = (await (await get('/api/v1/rules'))?.json()) as { data: { groups: RuleGroup[] } } | undefined;
        const loaded = body?.data.groups ?? [];
        return loaded.length > 0 && loaded.every((group) => group.rules.every((rule) => rule.health !== 'unknown')) ? loaded : undefined;
      },
      30_000,
      'every rule evaluated',
    );
    expect(groups.map((group) => group.name).sort()).toEqual(['pcheck.daemon', 'pcheck.entries']);
    for (const group of groups) {
      expect(group.file).toBe(RULES);
      for (const rule of group.rules) {
        expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');
        expect(rule.type).toBe('alerting');
        for (const name of metricNames(rule.query)) expect(KNOWN.has(name), `${rule.name}: ${name}`).toBe(true);
      }
    }
    expect(new Set(groups.flatMap((group) => group.rules.map((rule) => rule.name)))).toEqual(new Set(ALERTS));
    expect(groups.flatMap((group) => group.rules).length).toBe(9);

    // the pcheck target does not answer: up == 0, so PcheckAbsent (scrape_failed) is pending for it (for: 1m)
    const absent = await eventually(
      async () => {
        const body = (await (await get('/api/v1/rules'))?.json()) as { data: { groups: RuleGroup[] } } | undefined;
        const rules = body?.data.groups.flatMap((group) => group.rules) ?? [];
        const scrapeFailed = rules.find((rule) => rule.name === 'PcheckAbsent' && rule.labels.cause === 'scrape_failed');
        return scrapeFailed !== undefined && scrapeFailed.alerts.length > 0 ? { scrapeFailed, rules } : undefined;
      },
      30_000,
      'PcheckAbsent pending',
    );
    expect(absent.scrapeFailed.alerts.map((alert) => [alert.labels.instance, alert.state])).toEqual([[`127.0.0.1:${deadPort}`, 'pending']]);
    const noTarget = absent.rules.find((rule) => rule.name === 'PcheckAbsent' && rule.labels.cause === 'no_target');
    expect(noTarget?.alerts).toEqual([]);

    // the shipped targets file, as Prometheus's file_sd read it
    const targets = (await (await get('/api/v1/targets?state=dropped'))?.json()) as {
      data: { droppedTargets: { discoveredLabels: Record<string, string> }[] };
    };
    const shipped = targets.data.droppedTargets.map((target) => target.discoveredLabels).filter((labels) => labels.job === 'shipped-targets');
    expect(shipped.map((labels) => `${labels.__address__} ${labels.role}`).sort()).toEqual([
      'app01.example.com:9464 app',
      'app02.example.com:9464 app',
      'web01.example.com:9464 web',
      'web02.example.com:9464 web',
      'web03.example.com:9464 web',
    ]);
  });
});
