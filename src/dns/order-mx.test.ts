import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderMx } from './order-mx.js';

/** A deterministic random source cycling through the given values. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

test('ascending preference; input untouched', () => {
  const input = [
    { exchange: 'c.example', priority: 30 },
    { exchange: 'a.example', priority: 10 },
    { exchange: 'b.example', priority: 20 },
  ];
  const copy = structuredClone(input);
  assert.deepEqual(
    orderMx(input, seq(0)).map((r) => r.exchange),
    ['a.example', 'b.example', 'c.example'],
  );
  assert.deepEqual(input, copy);
});

test('equal preferences are shuffled with the given random source, groups stay ordered', () => {
  const input = [
    { exchange: 'x1', priority: 10 },
    { exchange: 'x2', priority: 10 },
    { exchange: 'x3', priority: 10 },
    { exchange: 'backup', priority: 50 },
    { exchange: 'first', priority: 5 },
  ];
  // Fisher-Yates over [x1,x2,x3]: i=2 j=floor(0*3)=0 -> [x3,x2,x1]; i=1 j=floor(0*2)=0 -> [x2,x3,x1]
  assert.deepEqual(
    orderMx(input, seq(0)).map((r) => r.exchange),
    ['first', 'x2', 'x3', 'x1', 'backup'],
  );
  // random close to 1 keeps the order
  assert.deepEqual(
    orderMx(input, seq(0.999999)).map((r) => r.exchange),
    ['first', 'x1', 'x2', 'x3', 'backup'],
  );
  // a random source returning exactly 1 (out of contract) still gives a permutation
  assert.deepEqual(
    orderMx(input, seq(1))
      .map((r) => r.exchange)
      .sort(),
    ['backup', 'first', 'x1', 'x2', 'x3'],
  );
});

test('every permutation of an equal group is reachable', () => {
  const input = ['a', 'b', 'c'].map((exchange) => ({ exchange, priority: 10 }));
  const seen = new Set<string>();
  const points = [0, 0.34, 0.67, 0.99];
  for (const p of points)
    for (const q of points)
      seen.add(
        orderMx(input, seq(p, q))
          .map((r) => r.exchange)
          .join(''),
      );
  assert.equal(seen.size, 6);
});

test('a host listed twice keeps its best preference only', () => {
  const out = orderMx(
    [
      { exchange: 'MX.example.', priority: 20 },
      { exchange: 'mx.example', priority: 10 },
      { exchange: 'other.example', priority: 15 },
    ],
    seq(0),
  );
  assert.deepEqual(out, [
    { exchange: 'mx.example', priority: 10 },
    { exchange: 'other.example', priority: 15 },
  ]);
});

test('empty input', () => {
  assert.deepEqual(orderMx([]), []);
});
