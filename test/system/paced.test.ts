// paced(): calls asked for at once start a few per turn of the event loop, in order, each with its own result.
import { describe, expect, it } from 'vitest';
import { paced } from '../../src/system/script.js';

describe('paced', () => {
  it('starts at most perTurn calls per turn of the event loop, in the order asked', async () => {
    const started: number[][] = [];
    let turn: number[] = [];
    // a new turn begins whenever an immediate of ours runs after the calls of the previous one
    const start = async (value: number): Promise<number> => {
      if (turn.length === 0) setImmediate(() => (started.push(turn), (turn = [])));
      turn.push(value);
      return value * 10;
    };
    const run = paced(start, 3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => run(index)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(started.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // the first starts at once, when it is asked for; the nine asked for in the same turn go three a turn
    expect(started.map((batch) => batch.length)).toEqual([1, 3, 3, 3]);
  });

  it('a call that throws or rejects fails alone; the rest still start', async () => {
    const run = paced(async (value: number) => {
      if (value === 1) throw new Error('no spawn');
      return value;
    }, 1);
    const outcomes = await Promise.allSettled([run(0), run(1), run(2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
