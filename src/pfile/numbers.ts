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
