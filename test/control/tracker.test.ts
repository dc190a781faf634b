// Tests the CLOSE_WAIT leak tracker's bookkeeping with synthetic samples: first-seen kept, vanished inodes forgotten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseWaitTracker } from '../../src/control/sampler.ts';

test('first-seen time survives across samples; an inode that leaves CLOSE_WAIT is forgotten', () => {
  const t = new CloseWaitTracker();
  t.observe(1000, new Map([[11, 100], [12, 100]]));
  t.observe(4000, new Map([[11, 100], [13, 200]]));
  assert.equal(t.firstSeen(11), 1000, 'still the first sighting');
  assert.equal(t.firstSeen(12), undefined, 'closed meanwhile: forgotten');
  assert.equal(t.firstSeen(13), 4000);
  assert.equal(t.size, 2);
  // An inode number reused later starts a new history.
  t.observe(5000, new Map());
  assert.equal(t.size, 0);
  t.observe(9000, new Map([[11, 100]]));
  assert.equal(t.firstSeen(11), 9000);
});
