import { describe, expect, it } from 'vitest';
import { coalesced } from '../../../lib/coalesced.ts';

describe('coalesced', () => {
  it('runs once at a time; calls during a run fold into one more run, whose outcome they all get', async () => {
    let runs = 0;
    let active = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const reload = coalesced(async () => {
      runs++;
      active++;
      most = Math.max(most, active);
      await new Promise<void>((resolve) => gates.push(resolve));
      active--;
      return runs;
    });
    const first = reload();
    const during = [reload(), reload(), reload()];
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
    expect(await first).toBe(2);
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    expect(runs).toBe(2);
    expect(most).toBe(1);

    const later = reload();
    await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
    expect(await later).toBe(3);
  });
});
