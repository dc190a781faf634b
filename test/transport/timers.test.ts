// Tests the TCP transport's TimerQueue: deadlines fire in order, not early, within the stated slack; re-arm and disarm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMER_SLACK_MS, TimerQueue } from '../../src/transport/timers.ts';
import type { Timed, TimerList } from '../../src/transport/timers.ts';

class Entry implements Timed {
  tqPrev: Timed | null = null;
  tqNext: Timed | null = null;
  tqList: TimerList | null = null;
  tqDeadline = 0;
  readonly name: string;
  readonly fired: { name: string; at: number }[];
  onFire: (() => void) | null = null;

  constructor(name: string, fired: { name: string; at: number }[]) {
    this.name = name;
    this.fired = fired;
  }

  deadlinePassed(): void {
    assert.equal(this.tqList, null, 'unlinked before the callback');
    this.fired.push({ name: this.name, at: performance.now() });
    this.onFire?.();
  }
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('deadlines of several durations fire in deadline order, never early, and the queue holds no timer when empty', async () => {
  const q = new TimerQueue();
  const fired: { name: string; at: number }[] = [];
  const t0 = performance.now();
  const a = new Entry('a', fired);
  const b = new Entry('b', fired);
  const c = new Entry('c', fired);
  q.arm(a, 120);
  q.arm(b, 40);
  q.arm(c, 80);
  await until(() => fired.length === 3, 3000);
  assert.deepEqual(fired.map((f) => f.name), ['b', 'c', 'a']);
  const want: Record<string, number> = { a: 120, b: 40, c: 80 };
  for (const f of fired) assert.ok(f.at - t0 >= want[f.name]!, `${f.name} not early: ${(f.at - t0).toFixed(1)} ms`);
  // Loose upper bound (a shared, loaded machine): the slack plus scheduling latency.
  for (const f of fired) assert.ok(f.at - t0 < want[f.name]! + TIMER_SLACK_MS + 1000, `${f.name} late: ${(f.at - t0).toFixed(1)} ms`);
  q.close();
});

test('re-arming moves a deadline later; disarming cancels it; the callback may re-arm', async () => {
  const q = new TimerQueue();
  const fired: { name: string; at: number }[] = [];
  const moved = new Entry('moved', fired);
  const cancelled = new Entry('cancelled', fired);
  const again = new Entry('again', fired);
  const t0 = performance.now();
  q.arm(moved, 40);
  q.arm(cancelled, 40);
  q.arm(again, 20);
  let rounds = 0;
  again.onFire = () => {
    if (++rounds < 3) q.arm(again, 20);
  };
  await new Promise((r) => setTimeout(r, 20));
  q.arm(moved, 100); // same duration, now counted from here
  q.disarm(cancelled);
  assert.equal(cancelled.tqList, null);
  // Both finish within the slack plus scheduling latency, in either order on a loaded machine.
  await until(() => fired.some((f) => f.name === 'moved') && fired.filter((f) => f.name === 'again').length === 3, 3000);
  await new Promise((r) => setTimeout(r, 100)); // a fourth 'again' or a late 'cancelled' would show here
  const m = fired.find((f) => f.name === 'moved')!;
  assert.ok(m.at - t0 >= 120, `re-armed deadline kept: ${(m.at - t0).toFixed(1)} ms`);
  assert.equal(fired.filter((f) => f.name === 'cancelled').length, 0);
  assert.equal(fired.filter((f) => f.name === 'again').length, 3);
  q.close();
});

test('after close() nothing fires', async () => {
  const q = new TimerQueue();
  const fired: { name: string; at: number }[] = [];
  q.arm(new Entry('x', fired), 10);
  q.close();
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(fired.length, 0);
});
