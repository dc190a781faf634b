// Primary-side metrics: transfer, NOTIFY and TSIG events on their diagnostics channels become labelled counters in a worker registry.
import { strict as assert } from 'node:assert';
import diagnostics from 'node:diagnostics_channel';
import { test } from 'node:test';
import { createWorkerRegistry } from '../../src/metrics/worker.ts';
import { NOTIFY_OUT_CHANNEL, TSIG_FAILURE_CHANNEL, XFR_OUT_CHANNEL } from '../../src/xfr/events.ts';
import type { NotifyOutEvent, TsigFailureEvent, XfrOutEvent } from '../../src/xfr/events.ts';

test('transfers out, NOTIFY sent and TSIG failures are counted by their labels', async () => {
  const { registry, dispose } = createWorkerRegistry();
  try {
    const xfr: XfrOutEvent = { zone: 'a.test.', kind: 'ixfr', form: 'ixfr', result: 'ok', transport: 'tcp', messages: 1, records: 6, bytes: 300, ms: 4 };
    diagnostics.channel(XFR_OUT_CHANNEL).publish(xfr);
    diagnostics.channel(XFR_OUT_CHANNEL).publish({ ...xfr, kind: 'axfr', form: 'none', result: 'refused', bytes: 30 });
    diagnostics.channel(NOTIFY_OUT_CHANNEL).publish({ zone: 'a.test.', remote: 'knot', result: 'timeout', attempts: 6 } satisfies NotifyOutEvent);
    diagnostics.channel(TSIG_FAILURE_CHANNEL).publish({ error: 'BADSIG' } satisfies TsigFailureEvent);
    const text = await registry.metrics();
    assert.match(text, /dunlin_xfr_out_total\{kind="ixfr",form="ixfr",result="ok"\} 1/);
    assert.match(text, /dunlin_xfr_out_total\{kind="axfr",form="none",result="refused"\} 1/);
    assert.match(text, /dunlin_xfr_out_bytes_total\{kind="ixfr"\} 300/);
    assert.match(text, /dunlin_xfr_out_duration_seconds_count\{kind="ixfr"\} 1/);
    assert.match(text, /dunlin_notify_sent_total\{result="timeout"\} 1/);
    assert.match(text, /dunlin_tsig_failures_total\{error="BADSIG"\} 1/);
  } finally {
    dispose();
  }
});
