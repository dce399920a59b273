// An injected monotonic clock with one-shot timers, for the Supervisor's `now` and `after`.

interface Timer {
  readonly at: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class FakeClock {
  private at = 0;
  private readonly timers: Timer[] = [];

  readonly now = (): number => this.at;

  /** A one-shot timer `ms` from now; returns its cancel function. */
  readonly after = (ms: number, callback: () => void): (() => void) => {
    const timer: Timer = { at: this.at + ms, callback, cancelled: false };
    this.timers.push(timer);
    return () => (timer.cancelled = true);
  };

  /** Moves the clock on by `ms`, firing due timers in order (a timer set meanwhile fires too if due). */
  readonly runFor = (ms: number): void => {
    const end = this.at + ms;
    for (;;) {
      const due = this.timers.filter((timer) => !timer.cancelled && timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.at = Math.max(this.at, due.at);
      due.callback();
    }
    this.at = end;
  };

  /** Moves the clock on by `ms` without firing anything. */
  readonly advance = (ms: number): number => (this.at += ms);
}
