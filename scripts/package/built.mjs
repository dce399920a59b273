// The single executable for tests and benchmarks: build/pcheck as `npm run package` made it, built
// again first when anything it is made of is newer (src/, scripts/package/, sea-config.json, the
// package files, or the Node it copies). A build takes about half a minute.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SEA_PCHECK = join(ROOT, 'build/pcheck');
export const SEA_PADMIN = join(ROOT, 'build/padmin');

// the packaging scripts (deb.sh, rpm.sh, ...) make packages of the binary, not the binary
const INPUTS = ['src', 'scripts/package/build.mjs', 'scripts/package/sea-entry.js', 'sea-config.json', 'package.json', 'package-lock.json'];

/** Two test files (or a test and the bench) asking at once build once: a directory is the lock. */
const LOCK = join(ROOT, 'build/.building');

function holderAlive() {
  try {
    process.kill(Number(readFileSync(join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

async function withBuildLock(work) {
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // a holder killed mid-build leaves the directory: take it over once its pid is gone
      if (!holderAlive()) {
        await new Promise((wait) => setTimeout(wait, 1000));
        if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      await new Promise((wait) => setTimeout(wait, 500));
    }
  }
  writeFileSync(join(LOCK, 'pid'), String(process.pid));
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

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
  return withBuildLock(async () => (stale() ? build() : SEA_PCHECK));
}

async function build() {
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
