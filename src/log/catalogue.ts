// Every message pcheck and padmin write, with its stable id. Ids are never reused.
// Texts quoted by the spec (Up, Down, Try to restart, Set pid fail, the stall messages and
// Command execute) are reproduced exactly; the rest keep the same terse style.

export type Severity = 'err' | 'warning' | 'notice' | 'info';

export interface MessageDef<F> {
  readonly id: string;
  readonly severity: Severity;
  readonly text: (f: F) => string;
}

type Name = { name: string };
type NamePid = { name: string; pid: number };
type PfileFields = { pfile: string };

/** The vendor's stall texts name pid and port; the structured log also gets the probed host and the last error. */
type StallFound = { pid: number; port: number; host: string; error: string };
/** Which entry and block a probe message is about, and where the probe goes. */
type ProbeWhere = { name: string; block: string; host: string; port: number };

// host:port, with an IPv6 literal in brackets.
function address(f: { host: string; port: number }): string {
  return `${f.host.includes(':') ? `[${f.host}]` : f.host}:${f.port}`;
}

/** Which limit a resource message is about: the value sampled and the limit, in bytes or percent of one core. */
type LimitWhere = { name: string; pid: number; kind: 'rss' | 'cpu'; value: number; limit: number };

// A limit's value as its option writes it: max_rss in binary units, max_cpu in percent.
function limitValue(kind: 'rss' | 'cpu', value: number): string {
  if (kind === 'cpu') return `${Math.round(value * 10) / 10}%`;
  const units: [string, number][] = [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]];
  const [unit, size] = units.find(([, bytes]) => value >= bytes) ?? ['', 1];
  return `${Math.round((value / size) * 10) / 10}${unit}`;
}

function limitText(f: LimitWhere, relation: string): string {
  const option = f.kind === 'rss' ? 'max_rss' : 'max_cpu';
  return `('${f.name}',pid=${f.pid}) ${f.kind}=${limitValue(f.kind, f.value)} ${relation} ${option}=${limitValue(f.kind, f.limit)}`;
}

/** Which alert destination a delivery message is about. */
type AlertWhere = { destination: string; kind: string };

function def<F>(id: string, severity: Severity, text: (f: F) => string): MessageDef<F> {
  return Object.freeze({ id, severity, text });
}

export const MSG = Object.freeze({
  up: def<NamePid>('PC101', 'notice', (f) => `('${f.name}' ,pid=${f.pid}) Up`),
  down: def<NamePid & { reason: 'gone' | 'reused' }>('PC102', 'warning', (f) => `Process ['${f.name}',pid=${f.pid}] Down`),
  zombie: def<NamePid>('PC103', 'warning', (f) => `Process ['${f.name}',pid=${f.pid}] Zombie`),
  tryRestart: def<Name & { reason: string; retry: number }>('PC104', 'notice', (f) => `Try to restart ('${f.name}')`),
  setPidFail: def<Name>('PC105', 'warning', (f) => `Set pid fail ('${f.name}')`),
  scriptFailed: def<Name & { status: string }>('PC106', 'err', (f) => `Restart script failed ('${f.name}') ${f.status}`),
  scriptTimeout: def<Name & { seconds: number; signal: string }>(
    'PC107',
    'err',
    (f) => `Restart script timed out ('${f.name}') after ${f.seconds}s, ended by ${f.signal}`,
  ),
  scriptOutput: def<Name & { output: string }>('PC108', 'info', (f) => `Restart script output ('${f.name}'): ${f.output}`),
  retryOver: def<Name & { action: string; retries: number }>(
    'PC109',
    'err',
    (f) => `Retry over ('${f.name}') retries=${f.retries} action=${f.action}`,
  ),
  monitorOff: def<Name & { pentId: number }>('PC110', 'notice', (f) => `Monitoring stopped ('${f.name}') pent_id=${f.pentId}`),
  monitorOn: def<Name & { pentId: number }>('PC111', 'notice', (f) => `Monitoring started ('${f.name}') pent_id=${f.pentId}`),
  limitBreached: def<LimitWhere & { hold: number; action: 'log' | 'restart' }>(
    'PC120',
    'warning',
    (f) => `Resource limit breached ${limitText(f, '>')} for ${f.hold}s; action=${f.action}`,
  ),
  limitCleared: def<LimitWhere>('PC121', 'notice', (f) => `Resource limit cleared ${limitText(f, '<=')}`),
  limitKill: def<NamePid & { signal: string }>(
    'PC122',
    'notice',
    (f) => `Restart for resource limit ('${f.name}',pid=${f.pid}): ${f.signal} sent; the restart follows its end`,
  ),
  limitKillFailed: def<NamePid & { signal: string; error: string }>(
    'PC123',
    'err',
    (f) => `Restart for resource limit ('${f.name}',pid=${f.pid}) failed: ${f.signal} not sent: ${f.error}; the process keeps running`,
  ),
  usageUnreadable: def<{ error: string }>(
    'PC124',
    'warning',
    (f) => `Resource usage sample failed: ${f.error}; CPU and RSS unknown and limits not checked until a sample succeeds`,
  ),
  usageReadable: def<{ seconds: number }>('PC125', 'notice', (f) => `Resource usage sampled again after ${f.seconds}s of failed samples`),

  stallWeb: def<StallFound>('PC201', 'err', (f) => `Find Web Server Stall: pid = ${f.pid} : port = ${f.port}`),
  stallSocket: def<StallFound>(
    'PC202',
    'err',
    (f) => `Find Socket Service Stall: pid = ${f.pid} : port = ${f.port}`,
  ),
  killed: def<{ pid: number }>('PC203', 'notice', (f) => `Killed Process: pid= ${f.pid}`),
  killFailed: def<{ pid: number; error: string }>('PC204', 'err', (f) => `Can not killed Process: pid= ${f.pid}`),
  probeCannotTell: def<ProbeWhere & { error: string }>(
    'PC205',
    'warning',
    (f) => `Stall probe cannot tell ('${f.name}') ${f.block} ${address(f)}: ${f.error}; not counted toward a stall`,
  ),
  probeCanTellAgain: def<ProbeWhere & { seconds: number }>(
    'PC206',
    'notice',
    (f) => `Stall probe reaches the server again ('${f.name}') ${f.block} ${address(f)} after ${f.seconds}s unable to tell`,
  ),
  probeFailed: def<ProbeWhere & { error: string; retryOver: number }>(
    'PC207',
    'notice',
    (f) => `Stall probe failed ('${f.name}') ${f.block} ${address(f)}: ${f.error}; a stall after ${f.retryOver}s without an answer`,
  ),
  probeAnsweredAgain: def<ProbeWhere & { seconds: number }>(
    'PC208',
    'notice',
    (f) => `Stall probe answered again ('${f.name}') ${f.block} ${address(f)} after ${f.seconds}s without an answer`,
  ),

  started: def<PfileFields & { entries: number; pid: number }>(
    'PC001',
    'notice',
    (f) => `pcheck start. pfile='${f.pfile}' entries=${f.entries}`,
  ),
  stopped: def<PfileFields & { reason: string; status: number }>(
    'PC002',
    'notice',
    (f) => `pcheck stop. pfile='${f.pfile}' reason=${f.reason} status=${f.status}`,
  ),
  reloaded: def<PfileFields & { entries: number; kept: number; added: number; removed: number }>(
    'PC003',
    'notice',
    (f) => `pfile reloaded. pfile='${f.pfile}' entries=${f.entries} kept=${f.kept} added=${f.added} removed=${f.removed}`,
  ),
  reloadRefused: def<PfileFields & { errors: number }>(
    'PC004',
    'err',
    (f) => `pfile reload refused, running config kept. pfile='${f.pfile}' errors=${f.errors}`,
  ),
  pfileDiagnostic: def<{ diagnostic: string }>('PC005', 'warning', (f) => f.diagnostic),
  dumpWritten: def<{ file: string }>('PC006', 'info', (f) => `State dump written. file='${f.file}'`),
  dumpFailed: def<{ file: string; error: string }>('PC007', 'err', (f) => `State dump failed. file='${f.file}' ${f.error}`),
  dumpNotSet: def<PfileFields>('PC010', 'notice', (f) => `State dump not written: DumpFileName is not set. pfile='${f.pfile}'`),
  controlError: def<{ error: string }>('PC008', 'warning', (f) => `Control request rejected: ${f.error}`),
  internalError: def<{ error: string }>('PC009', 'err', (f) => `Internal error: ${f.error}`),
  procUnreadable: def<{ error: string }>(
    'PC011',
    'warning',
    (f) => `Cannot read /proc: ${f.error}; process states unknown, nothing is reported down or restarted until it reads again`,
  ),
  procReadable: def<{ error: string }>('PC012', 'notice', (f) => `/proc readable again after ${f.error}; monitoring resumed`),
  stateRestored: def<{ file: string; restored: number; dropped: number }>(
    'PC014',
    'info',
    (f) => `State restored. entries=${f.restored} dropped=${f.dropped} file='${f.file}'`,
  ),
  stateIgnored: def<{ file: string; why: string }>('PC015', 'warning', (f) => `State file ignored: ${f.why}. file='${f.file}'`),
  stateWriteFailed: def<{ file: string; error: string }>('PC016', 'err', (f) => `State file not written: ${f.error}. file='${f.file}'`),
  crashed: def<{ error: string; status: number }>(
    'PC013',
    'err',
    (f) => `pcheck stop on an unexpected error. status=${f.status} ${f.error}`,
  ),

  deliveryDown: def<AlertWhere & { error: string; queued: number; retrySeconds: number }>(
    'PC301',
    'warning',
    (f) => `Alert destination '${f.destination}' (${f.kind}) failed: ${f.error}; ${f.queued} events queued, retried for up to ${f.retrySeconds}s`,
  ),
  deliveryUp: def<AlertWhere & { seconds: number; delayed: number; expired: number }>(
    'PC302',
    'notice',
    (f) => `Alert destination '${f.destination}' (${f.kind}) delivers again after ${f.seconds}s; ${f.delayed} events delayed, ${f.expired} dropped`,
  ),
  deliveryExpired: def<AlertWhere & { count: number; retrySeconds: number; error: string }>(
    'PC303',
    'warning',
    (f) =>
      `Alert destination '${f.destination}' (${f.kind}): ${f.count} events dropped, undelivered ${f.retrySeconds}s after queued: ${f.error}; ` +
      'further drops are counted until it delivers again',
  ),
  spoolFull: def<{ destination: string; limit: number; dir: string }>(
    'PC304',
    'warning',
    (f) => `Alert spool of '${f.destination}' full (${f.limit} events): the oldest are dropped, counted until the queue empties`,
  ),
  spoolDropped: def<{ destination: string; limit: number; count: number }>(
    'PC305',
    'warning',
    (f) => `Alert spool of '${f.destination}' was full (${f.limit} events): ${f.count} events dropped in all`,
  ),
  spoolPickedUp: def<{ destination: string; count: number; dir: string }>(
    'PC306',
    'notice',
    (f) => `Alert queue of '${f.destination}': ${f.count} spooled events picked up from ${f.dir}`,
  ),
  spoolCorrupt: def<{ destination: string; count: number; deleted: number; to: string; file: string; why: string }>(
    'PC307',
    'warning',
    (f) =>
      `Alert spool of '${f.destination}': ${f.count} unreadable files set aside in ${f.to}` +
      `${f.deleted > 0 ? ` (${f.deleted} of them deleted: they could not be moved)` : ''}; the first: ${f.file}: ${f.why}`,
  ),
  spoolUnwritable: def<{ destination: string; dir: string; error: string }>(
    'PC308',
    'warning',
    (f) => `Alert spool of '${f.destination}' not writable: ${f.error}; events are kept in memory only until a write succeeds. dir='${f.dir}'`,
  ),

  metricsListenFailed: def<{ listen: string; error: string; kept: string }>(
    'PC401',
    'err',
    (f) => `Metrics endpoint not opened on ${f.listen}: ${f.error}; ${f.kept === '' ? 'no endpoint' : `still serving on ${f.kept}`}`,
  ),

  command: def<PfileFields & { command: string }>(
    'PA001',
    'info',
    (f) => `Command execute. [${f.command}] pfile='${f.pfile}'`,
  ),
});

export type MessageKey = keyof typeof MSG;
export type FieldsOf<K extends MessageKey> = (typeof MSG)[K] extends MessageDef<infer F> ? F : never;
