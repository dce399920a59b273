// The pfile's one number grammar, for every number in it: decimal digits, and for seconds an optional
// decimal fraction. No sign, no 0x/0b/0o, no exponent, no blanks; `010` is ten. Pure.
import { LIMITS, quoted } from './types.js';

const WHOLE = /^[0-9]+$/;
/** `0.5`, not `.5` nor `5.`. */
const SECONDS = /^[0-9]+(\.[0-9]+)?$/;

export interface NumberForm {
  /** wholeSeconds: a whole number, named as seconds in the error. */
  readonly kind: 'whole' | 'wholeSeconds' | 'seconds';
  readonly min: number;
  /** min itself is refused: a duration must be above 0. */
  readonly aboveMin?: boolean;
  readonly max: number;
}

/** The form of each number in the pfile. */
export const FORMS = Object.freeze({
  monitorInterval: { kind: 'seconds', min: 1, max: LIMITS.timerSeconds },
  livenessInterval: { kind: 'seconds', min: 0.05, max: LIMITS.timerSeconds },
  /** script_timeout, start_wait, PS_EXEC interval, retry-over time and timeout. */
  duration: { kind: 'seconds', min: 0, aboveMin: true, max: LIMITS.timerSeconds },
  retryCount: { kind: 'whole', min: 0, max: LIMITS.retryCount },
  grace: { kind: 'wholeSeconds', min: 0, max: LIMITS.graceSeconds },
  port: { kind: 'whole', min: 1, max: 65535 },
  /** PS_EXEC and PS_ACTION error. */
  flag: { kind: 'whole', min: 0, max: 1 },
  uid: { kind: 'whole', min: 0, max: LIMITS.uid },
  usageInterval: { kind: 'seconds', min: 0.1, max: LIMITS.timerSeconds },
  /** limit_hold: 0 means the first sample over the limit counts. */
  limitHold: { kind: 'seconds', min: 0, max: LIMITS.timerSeconds },
} satisfies Record<string, NumberForm>);

export type NumberReading = { readonly value: number } | { readonly error: string };

/** Whether `text` is a whole number as the pfile writes one (its size unchecked). */
export function isWhole(text: string): boolean {
  return WHOLE.test(text);
}

/**
 * Reads `text` as `form`; else the error names the field, the value written and the accepted form:
 * `<field> must be <form> (got "<text>")`.
 */
export function readNumber(field: string, text: string, form: NumberForm): NumberReading {
  const value = Number(text);
  const inGrammar = (form.kind === 'seconds' ? SECONDS : WHOLE).test(text);
  if (inGrammar && (form.aboveMin === true ? value > form.min : value >= form.min) && value <= form.max) return { value };
  return { error: `${field} must be ${describe(form)} (got ${quoted(text)})` };
}

/** The accepted form in words, as an error states it. */
function describe(form: NumberForm): string {
  if (form.kind === 'whole') {
    if (form.min === 0 && form.max === 1) return '0 or 1';
    return `a whole number from ${form.min} to ${form.max}, written in decimal digits`;
  }
  if (form.kind === 'wholeSeconds') {
    return `a whole number of seconds from ${form.min} to ${form.max} (${span(form.max)}), written in decimal digits`;
  }
  const low = form.aboveMin === true ? `above ${form.min}` : `at least ${form.min}`;
  return `a number of seconds ${low} and at most ${form.max} s (${span(form.max)}), written in decimal like 30 or 0.5`;
}

function span(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  if (days >= 365) return `about ${Math.floor(days / 365)} years`;
  if (days >= 1) return `about ${days} days`;
  const hours = Math.floor(seconds / 3600);
  return hours === 1 ? 'an hour' : `about ${hours} hours`;
}

/** Units of max_rss: binary, as ps and top count memory (K = 1024 bytes). */
export const SIZE_UNITS = Object.freeze({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 });
/** Largest max_rss, in bytes: 1 PiB (written 1048576G). */
export const MAX_SIZE = 1024 ** 5;
/** Largest max_cpu, in percent of one core: 1000 cores busy. */
export const MAX_CPU_PERCENT = 100000;

const SIZE = /^([0-9]+(?:\.[0-9]+)?)([KMG]?)$/;

/**
 * Reads a size: a number and a unit K, M or G (binary: K = 1024 bytes), or a whole number of bytes;
 * `512M`, `1.5G`, `65536`. Above 0, at most MAX_SIZE; a fraction of a byte is dropped.
 */
export function readSize(field: string, text: string): NumberReading {
  const match = SIZE.exec(text);
  const unit = (match?.[2] ?? '') as keyof typeof SIZE_UNITS;
  const number = match?.[1] ?? '';
  const bytes = Math.floor(Number(number) * SIZE_UNITS[unit]);
  if (match !== null && (unit !== '' || WHOLE.test(number)) && bytes > 0 && bytes <= MAX_SIZE) return { value: bytes };
  return {
    error: `${field} must be a size above 0 and at most 1048576G: a number with K, M or G (1K = 1024 bytes) like 512M or 1.5G, or a whole number of bytes (got ${quoted(text)})`,
  };
}

/** Reads a CPU percentage of one core: above 0, at most MAX_CPU_PERCENT; 150 = one and a half cores. */
export function readPercent(field: string, text: string): NumberReading {
  const value = Number(text);
  if (SECONDS.test(text) && value > 0 && value <= MAX_CPU_PERCENT) return { value };
  return {
    error: `${field} must be a percentage of one core above 0 and at most ${MAX_CPU_PERCENT}, written in decimal like 90 or 150 (above 100: more than one core) (got ${quoted(text)})`,
  };
}
