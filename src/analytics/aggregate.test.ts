import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SoukError } from '../errors.ts';
import {
  noResultQueries,
  parseAnalyticsLimit,
  parsePeriod,
  periodStart,
  popularQueries,
  RingLog,
  SearchLog,
  topClickedProducts,
} from './aggregate.ts';

const NOW = Date.UTC(2026, 11, 1, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('analytics aggregation', () => {
  it('buckets by period from the timestamps', () => {
    assert.equal(periodStart('24h', NOW), NOW - DAY);
    assert.equal(periodStart('7d', NOW), NOW - 7 * DAY);
    assert.equal(periodStart('30d', NOW), NOW - 30 * DAY);
    assert.equal(periodStart('all', NOW), -Infinity);

    const log = new SearchLog();
    log.record('Hoodie ', 5, NOW - HOUR);
    log.record('hoodie', 3, NOW - 2 * HOUR);
    log.record('tent', 0, NOW - 3 * DAY);
    log.record('tent', 0, NOW - 3 * DAY);
    log.record('tent', 0, NOW - 3 * DAY);
    log.record('kayak', 2, NOW - 20 * DAY);
    log.record('ancient', 0, NOW - 60 * DAY);
    log.record('', 10, NOW); // browsing is not a query
    const day = popularQueries(log, { period: '24h', limit: 10, now: NOW });
    assert.deepEqual(day, [
      { query: 'hoodie', searches: 2, noResults: 0, meanHits: 4, lastAt: new Date(NOW - HOUR).toISOString() },
    ]);
    assert.deepEqual(
      popularQueries(log, { period: '7d', limit: 10, now: NOW }).map((q) => [q.query, q.searches]),
      [
        ['tent', 3],
        ['hoodie', 2],
      ],
    );
    assert.deepEqual(
      popularQueries(log, { period: '30d', limit: 10, now: NOW }).map((q) => q.query),
      ['tent', 'hoodie', 'kayak'],
    );
    assert.equal(popularQueries(log, { period: 'all', limit: 10, now: NOW }).length, 4);
    assert.equal(popularQueries(log, { period: 'all', limit: 2, now: NOW }).length, 2);
  });

  it('lists queries that found nothing and top clicked products', () => {
    const log = new SearchLog();
    log.record('tent', 0, NOW - HOUR);
    log.record('tent', 4, NOW - HOUR); // found something later: one of two searches empty
    log.record('xyzzy', 0, NOW - 2 * HOUR);
    log.record('xyzzy', 0, NOW - 3 * HOUR);
    log.record('hoodie', 3, NOW - HOUR);
    assert.deepEqual(
      noResultQueries(log, { period: '24h', limit: 10, now: NOW }).map((q) => [q.query, q.searches]),
      [
        ['xyzzy', 2],
        ['tent', 1],
      ],
    );
    const clicks = [
      { productId: 'A', at: NOW - HOUR },
      { productId: 'B', at: NOW - 2 * HOUR },
      { productId: 'B', at: NOW - 3 * HOUR },
      { productId: 'C', at: NOW - 10 * DAY },
    ];
    assert.deepEqual(
      topClickedProducts(clicks, { period: '24h', limit: 10, now: NOW }).map((p) => [p.productId, p.clicks]),
      [
        ['B', 2],
        ['A', 1],
      ],
    );
    assert.deepEqual(
      topClickedProducts(clicks, { period: '30d', limit: 1, now: NOW }).map((p) => p.productId),
      ['B'],
    );
  });

  it('keeps only the newest records', () => {
    const ring = new RingLog<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    assert.deepEqual([...ring], [3, 4, 5]);
    assert.equal(ring.size, 3);
  });

  it('rejects bad parameters naming them', () => {
    assert.equal(parsePeriod(undefined), '24h');
    assert.equal(parsePeriod('7d'), '7d');
    assert.throws(
      () => parsePeriod('1y'),
      (e: unknown) => e instanceof SoukError && e.details.field === 'period',
    );
    assert.equal(parseAnalyticsLimit('5'), 5);
    assert.throws(
      () => parseAnalyticsLimit('0'),
      (e: unknown) => e instanceof SoukError && e.details.field === 'limit',
    );
    assert.throws(() => parseAnalyticsLimit('abc'), /limit/);
  });
});
