// Resource usage of the watched processes: one pidusage call for every pid, at scrape time only.
import pidusage from 'pidusage';
import type { Usage } from './registry.js';

/** Usage of each pid pidusage could read; a pid gone since the views were taken is left out. */
export async function readUsage(pids: number[]): Promise<ReadonlyMap<number, Usage>> {
  const usage = new Map<number, Usage>();
  // for several pids, one that is gone is left out of the answer; a single one that is gone rejects
  const stats = await pidusage([...pids]);
  for (const pid of pids) {
    const stat = stats[pid];
    if (stat !== undefined) usage.set(pid, { cpuMs: stat.ctime, rssBytes: stat.memory });
  }
  return usage;
}
