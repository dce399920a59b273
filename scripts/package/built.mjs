// The single executable for tests and benchmarks: build/pcheck as `npm run package` made it, built
// again first when anything it is made of is newer (src/, scripts/package/, sea-config.json, the
// package files, or the Node it copies). A build takes about half a minute.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SEA_PCHECK = join(ROOT, 'build/pcheck');
export const SEA_PADMIN = join(ROOT, 'build/padmin');

const INPUTS = ['src', 'scripts/package', 'sea-config.json', 'package.json', 'package-lock.json'];

function newestUnder(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestUnder(join(path, name))), stat.mtimeMs);
}

/** Whether build/pcheck is missing or older than what it is made of. */
export function stale() {
  let built;
  try {
    built = statSync(SEA_PCHECK).mtimeMs;
  } catch {
    return true;
  }
  const inputs = Math.max(statSync(process.execPath).mtimeMs, ...INPUTS.map((input) => newestUnder(join(ROOT, input))));
  return inputs > built;
}

/** Builds build/pcheck unless it is up to date; resolves with its path. */
export async function ensureBuilt() {
  if (!stale()) return SEA_PCHECK;
  const output = [];
  const status = await new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/package/build.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', reject);
    child.on('close', resolveBuild);
  });
  if (status !== 0) throw new Error(`npm run package failed (status ${status}):\n${Buffer.concat(output).toString()}`);
  return SEA_PCHECK;
}
