// SlotPool (src/platform/slot_pool.ts): systrap's thread areas and physmem's stub batch frames come from it, so its
// order is what a fresh kernel hands out (lowest first) and what a freed slot becomes (the next one taken).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotPool } from '../dist/platform/slot_pool.js';

test('slots are handed out lowest first, given-back ones first of all (last in, first out), none past the end', () => {
  const p = new SlotPool(5, 9);
  assert.equal(p.free, 4);
  assert.deepEqual([p.take(), p.take()], [5, 6]);
  p.give(5);
  p.give(6);
  assert.equal(p.free, 4);
  assert.deepEqual([p.take(), p.take(), p.take(), p.take()], [6, 5, 7, 8]);
  assert.equal(p.free, 0);
  assert.equal(p.take(), undefined);
  p.give(7);
  assert.equal(p.free, 1);
  assert.equal(p.take(), 7);
  assert.equal(new SlotPool(3, 3).take(), undefined);
});
