// A PID namespace of the bench's own (`unshare --pid --fork --mount-proc`): what runs inside sees and
// can signal only what was started inside. bash is the namespace's init (pid 1): it reaps the
// sleepers a restart script leaves behind, as init does on a host. When the runner ends, or is killed
// by its pid, the kernel kills everything left in the namespace: nothing outlives a scenario.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The line a part run inside prints its result on (JSON after the marker). */
const RESULT = '@@result ';

/** Prints `result` for the runner outside to take. */
export function sendResult(result) {
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
}

/**
 * Runs `node <module> <args>` in a new PID namespace (a bash as its pid 1 above it) and resolves
 * with what it passed to sendResult. Its other output goes to ours. Rejects if it ends without a
 * result. `env`: the environment inside.
 */
export function runInNamespace(module, args = [], env = process.env) {
  const script = fileURLToPath(module);
  // --kill-child: the namespace's init (and so every process in it) gets SIGKILL when unshare ends
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', '--', 'bash', '-c', '"$@"; exit $?', 'init', process.execPath, script, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let result;
  let partial = '';
  child.stdout.on('data', (chunk) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const line of lines) {
      if (line.startsWith(RESULT)) result = JSON.parse(line.slice(RESULT.length));
      else console.log(line);
    }
  });
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`${script} ${args.join(' ')} in its PID namespace ended (${signal ?? `status ${status}`}) without a result`));
    });
  });
  return { pid: child.pid, done, kill: () => child.kill('SIGKILL') };
}

/** Whether this process runs as the child of a namespace's init (pid 1): a guard for the inside parts. */
export function insideNamespace() {
  return process.ppid === 1;
}
