// Owns the connection deadlines of one TCP transport: FIFO lists per duration and one Node timer for all of them.

/**
 * Something with a deadline. The link fields belong to the TimerQueue (an intrusive list: arming
 * and disarming allocate nothing); only the queue writes them.
 */
export interface Timed {
  tqPrev: Timed | null;
  tqNext: Timed | null;
  tqList: TimerList | null;
  /** Monotonic ms (performance.now()) at which the deadline passes. */
  tqDeadline: number;
  /** The deadline passed; the entry is already unlinked (tqList === null). */
  deadlinePassed(): void;
}

/** The entries armed with one duration, in arming order, hence in deadline order. */
export class TimerList {
  readonly ms: number;
  head: Timed | null = null;
  tail: Timed | null = null;

  constructor(ms: number) {
    this.ms = ms;
  }
}

/**
 * Expiry runs at most this long after a deadline (plus event-loop latency): the one timer is set for
 * the earliest deadline rounded up to a multiple of this, so deadlines close together share a wake-up.
 */
export const TIMER_SLACK_MS = 25;

/**
 * Deadlines of every connection of a transport in one place, instead of a Node Timeout per connection
 * (an object, an async id and a timer-list insert on accept, an unlink on close). Every connection
 * arms one of a few durations (idle, busy idle, read, answer, linger) and its deadline is "now +
 * duration", so appending to that duration's list keeps each list sorted: arming, re-arming
 * (unlink + append) and disarming are O(1), and expiry only looks at list heads (the design of
 * Node's own timer lists, without the per-timer object).
 */
export class TimerQueue {
  readonly #lists = new Map<number, TimerList>();
  #timer: NodeJS.Timeout | null = null;
  /** When #timer fires (monotonic ms), or Infinity when no timer is set. */
  #at = Infinity;
  #closed = false;

  /** (Re)arms `e` to pass its deadline `ms` from now. */
  arm(e: Timed, ms: number, now: number = performance.now()): void {
    let list = e.tqList;
    if (list === null || list.ms !== ms) {
      if (list !== null) unlink(e, list);
      list = this.#lists.get(ms) ?? this.#newList(ms);
    } else if (list.tail === e) {
      // Already last: a new, later deadline keeps the order (the common re-arm of a busy connection).
      e.tqDeadline = now + ms;
      return;
    } else {
      unlink(e, list);
    }
    e.tqDeadline = now + ms;
    e.tqList = list;
    e.tqPrev = list.tail;
    e.tqNext = null;
    if (list.tail === null) list.head = e;
    else list.tail.tqNext = e;
    list.tail = e;
    if (list.head === e) this.#schedule(e.tqDeadline, now);
  }

  disarm(e: Timed): void {
    const list = e.tqList;
    if (list !== null) unlink(e, list);
  }

  /** Stops the timer; nothing expires afterwards (the transport destroys what is left). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#at = Infinity;
  }

  #newList(ms: number): TimerList {
    const list = new TimerList(ms);
    this.#lists.set(ms, list);
    return list;
  }

  #schedule(deadline: number, now: number): void {
    if (this.#closed) return;
    const at = Math.ceil(deadline / TIMER_SLACK_MS) * TIMER_SLACK_MS;
    if (at >= this.#at) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#at = at;
    // Unref'd like the per-connection timers were: open connections alone do not keep a thread alive.
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - now)));
    this.#timer.unref();
  }

  #fire = (): void => {
    this.#timer = null;
    this.#at = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const list of this.#lists.values()) {
      let e = list.head;
      while (e !== null && e.tqDeadline <= now) {
        unlink(e, list);
        // May re-arm itself or others (appending behind the heads looked at here) or destroy.
        e.deadlinePassed();
        e = list.head;
      }
      if (e !== null && e.tqDeadline < next) next = e.tqDeadline;
    }
    if (next !== Infinity) this.#schedule(next, now);
  };
}

function unlink(e: Timed, list: TimerList): void {
  if (e.tqPrev === null) list.head = e.tqNext;
  else e.tqPrev.tqNext = e.tqNext;
  if (e.tqNext === null) list.tail = e.tqPrev;
  else e.tqNext.tqPrev = e.tqPrev;
  e.tqPrev = null;
  e.tqNext = null;
  e.tqList = null;
}
