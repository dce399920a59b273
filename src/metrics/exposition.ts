// The Prometheus text format (version 0.0.4), written directly: the per-entry series of 1000 entries
// are some 20 000 lines (1.5 MiB), which prom-client's per-label-set objects made cost over 100 ms a
// scrape. https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A label value as the format requires: `\` as `\\`, `"` as `\"`, a newline as `\n`. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`)) : value;
}

/** HELP text as the format requires: `\` as `\\`, a newline as `\n` (a quote stays). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'));
}

/** `name="value",...` with each value escaped, for use inside the braces of a sample. */
export function labelPairs(labels: readonly (readonly [string, string])[]): string {
  return labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',');
}

/** A sample value: a decimal or exponent float, `NaN`, `+Inf` or `-Inf`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** The `# HELP` and `# TYPE` lines that open a metric family. */
export function familyHeader(name: string, help: string, type: MetricType): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** One sample line; `labels` is the inside of the braces (labelPairs), empty for none. */
export function sample(name: string, labels: string, value: number): string {
  return labels === '' ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
}

/** Bucket bounds of a histogram: strictly increasing finite numbers (+Inf is implied). */
export class Buckets {
  readonly bounds: readonly number[];
  /** Each bound as its `le` label value. */
  readonly le: readonly string[];

  constructor(bounds: readonly number[]) {
    if (bounds.some((bound, index) => !Number.isFinite(bound) || (index > 0 && bound <= (bounds[index - 1] as number)))) {
      throw new Error(`histogram buckets must be increasing finite numbers: ${bounds.join(', ')}`);
    }
    this.bounds = Object.freeze([...bounds]);
    this.le = Object.freeze(this.bounds.map(formatValue));
  }
}

/** One histogram series: observations counted per bucket, their sum and count. */
export class HistogramSeries {
  /** Non-cumulative: counts[i] is the observations in (bounds[i-1], bounds[i]]; the last one past every bound. */
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly buckets: Buckets) {
    this.counts = new Array<number>(buckets.bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this.buckets;
    let index = 0;
    while (index < bounds.length && value > (bounds[index] as number)) index += 1;
    this.counts[index] = (this.counts[index] as number) + 1;
    this.sum += value;
    this.count += 1;
  }

  /** `<name>_bucket` lines with cumulative counts (`le` first, as prom-client writes it), then `_sum` and `_count`. */
  lines(name: string, labels: string): string {
    const after = labels === '' ? '' : `,${labels}`;
    let text = '';
    let cumulative = 0;
    this.buckets.le.forEach((le, index) => {
      cumulative += this.counts[index] as number;
      text += `${name}_bucket{le="${le}"${after}} ${cumulative}\n`;
    });
    text += `${name}_bucket{le="+Inf"${after}} ${this.count}\n`;
    return text + sample(`${name}_sum`, labels, this.sum) + sample(`${name}_count`, labels, this.count);
  }
}

/** One scrape's answer: `body` stays valid (and unchanged) until release(), after the answer was sent. */
export interface Scraped {
  readonly body: Buffer;
  release(): void;
}

/**
 * The bytes of one exposition, written into memory kept from one scrape to the next: a fresh 1.5 MiB
 * string and its copy as a Buffer at every scrape cost more than writing the text itself.
 */
export class TextBuffer {
  private buffer: Buffer;
  private used = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  write(text: string): void {
    // a UTF-16 code unit is at most 3 bytes of UTF-8
    if (this.used + text.length * 3 > this.buffer.length) this.grow(this.used + text.length * 3);
    this.used += this.buffer.write(text, this.used);
  }

  /** What was written since the last clear(); valid until the next write or clear(). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  clear(): void {
    this.used = 0;
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.used);
    this.buffer = next;
  }
}
