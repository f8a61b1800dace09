// Node side (tests only): the AuditStore conformance suite. Every implementation, ours (memory,
// Postgres, PGlite) and yours, runs these same tests; see docs/persistence.md.
import { randomUUID } from 'node:crypto';
import { AuditEventType } from '../../persistence/audit/models';
import { Scope } from '../../persistence/models';
import type { AuditStore } from '../../persistence/audit/store';
import type { StoreFactory } from './helpers';
import { expectCode, HOSTILE_TEXTS, scopeOptions, testRunner } from './helpers';

/**
 * The `AuditStore` contract: events filtered by run, conversation, agent, type and time range;
 * errors and their resolution; metrics filtered by tags, and their summary.
 *
 * Call it at the top level of a test file (or inside a `describe`). It uses the test runner's
 * globals (`describe`, `it`, `beforeEach`, `afterEach`, `expect`): run it under Jest, or Vitest
 * with `globals: true`. It imports no test-runner package.
 *
 * @param name Names the implementation in the test titles.
 * @param factory Builds a fresh store for each test (see `StoreFactory`).
 */
export function describeAuditStore(name: string, factory: StoreFactory<AuditStore>): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`AuditStore conformance: ${name}`, () => {
    let store: AuditStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());
    const t = (s: number) => new Date(Date.parse('2024-03-01T00:00:00Z') + s * 1000);

    it('logs events and queries them by run, conversation, agent, type and time range', async () => {
      const conv = randomUUID();
      await store.logEvent({
        eventType: AuditEventType.AGENT_START,
        runId: 'r1',
        agentKey: 'a',
        timestamp: t(0),
      });
      await store.logEvent({
        eventType: AuditEventType.TOOL_CALL,
        runId: 'r1',
        conversationId: conv,
        action: 'Called search tool',
        details: { query: 'python docs' },
        timestamp: t(1),
      });
      await store.logEvent({
        eventType: AuditEventType.AGENT_END,
        runId: 'r2',
        agentKey: 'b',
        timestamp: t(2),
      });
      expect((await store.getEvents()).map((e) => e.eventType)).toEqual([
        'agent_end',
        'tool_call',
        'agent_start',
      ]);
      expect((await store.getEvents({ runId: 'r1' })).map((e) => e.eventType)).toEqual([
        'tool_call',
        'agent_start',
      ]);
      expect((await store.getEvents({ conversationId: conv }))[0]?.details).toEqual({
        query: 'python docs',
      });
      expect((await store.getEvents({ agentKey: 'b' })).map((e) => e.runId)).toEqual(['r2']);
      expect(
        (await store.getEvents({ eventTypes: ['agent_start', 'agent_end'] })).map((e) => e.runId),
      ).toEqual(['r2', 'r1']);
      expect(
        (await store.getEvents({ startTime: t(1), endTime: t(2) })).map((e) => e.eventType),
      ).toEqual(['tool_call']);
      expect(await store.getEvents({ limit: 1 })).toHaveLength(1);
      expect(await store.getEvents({}, Scope.GLOBAL)).toEqual([]);
      await expectCode(
        store.logEvent({ eventType: 'nope' as never }),
        'VALIDATION_ERROR',
        'entry.eventType',
      );
    });

    it('orders entries with equal timestamps newest first by write order', async () => {
      for (const action of ['first', 'second', 'third']) {
        await store.logEvent({ eventType: AuditEventType.CUSTOM, action, timestamp: t(5) });
        await store.logError({ errorType: action, timestamp: t(5) });
        await store.recordMetric({ name: 'tie', value: 1, unit: action, timestamp: t(5) });
      }
      const order = ['third', 'second', 'first'];
      expect((await store.getEvents()).map((e) => e.action)).toEqual(order);
      expect((await store.getErrors()).map((e) => e.errorType)).toEqual(order);
      expect((await store.getMetrics({ name: 'tie' })).map((m) => m.unit)).toEqual(order);
    });

    it('logs and resolves errors', async () => {
      const e1 = await store.logError({
        severity: 'warning',
        errorType: 'Timeout',
        message: 'slow',
        runId: 'r1',
        timestamp: t(0),
      });
      await store.logError({
        severity: 'critical',
        errorType: 'Crash',
        message: HOSTILE_TEXTS.nul!,
        stackTrace: 'at x',
        timestamp: t(1),
      });
      expect((await store.getErrors()).map((e) => e.errorType)).toEqual(['Crash', 'Timeout']);
      expect((await store.getErrors({ severity: 'critical' }))[0]?.message).toBe(HOSTILE_TEXTS.nul);
      expect(await store.resolveError(e1.id, 'raised the timeout')).toBe(true);
      expect(await store.resolveError(randomUUID())).toBe(false);
      const resolved = await store.getErrors({ resolved: true });
      expect(resolved.map((e) => [e.id, e.resolutionNotes])).toEqual([
        [e1.id, 'raised the timeout'],
      ]);
      expect(resolved[0]?.resolvedAt).toBeInstanceOf(Date);
      expect((await store.getErrors({ resolved: false })).map((e) => e.errorType)).toEqual([
        'Crash',
      ]);
      expect(
        (await store.getErrors({ runId: 'r1', startTime: t(0), endTime: t(1) })).map((e) => e.id),
      ).toEqual([e1.id]);
    });

    it('records metrics, filters by tags and summarises', async () => {
      const values = [100, 200, 300, 400, 1250.5];
      for (const [i, v] of values.entries()) {
        await store.recordMetric({
          name: 'llm_latency',
          value: v,
          unit: 'ms',
          tags: { model: i % 2 === 0 ? 'gpt-4' : 'claude' },
          runId: 'r1',
          timestamp: t(i),
        });
      }
      await store.recordMetric({ name: 'tokens', value: 7, timestamp: t(9) });
      expect((await store.getMetrics({ name: 'llm_latency' })).map((m) => m.value)).toEqual(
        [...values].reverse(),
      );
      expect((await store.getMetrics({ tags: { model: 'claude' } })).map((m) => m.value)).toEqual([
        400, 200,
      ]);
      expect(await store.getMetrics({ tags: { model: 'none' } })).toEqual([]);
      expect(await store.getMetrics()).toHaveLength(6);
      const s = await store.getMetricSummary('llm_latency');
      expect(s).toMatchObject({ count: 5, min: 100, max: 1250.5, sum: 2250.5, avg: 450.1 });
      expect(s.p50).toBeCloseTo(300, 6);
      expect(s.p95).toBeCloseTo(400 + (1250.5 - 400) * 0.8, 6);
      expect(s.p99).toBeCloseTo(400 + (1250.5 - 400) * 0.96, 6);
      expect(
        (await store.getMetricSummary('llm_latency', { startTime: t(1), endTime: t(3) })).count,
      ).toBe(2);
      expect(await store.getMetricSummary('missing')).toEqual({
        count: 0,
        min: 0,
        max: 0,
        avg: 0,
        sum: 0,
        p50: 0,
        p95: 0,
        p99: 0,
      });
      await expectCode(
        store.recordMetric({ name: 'x', value: Number.POSITIVE_INFINITY }),
        'VALIDATION_ERROR',
        'metric.value',
      );
      // tag filters are compared as stored (a jsonb column in Postgres): NUL and lone surrogates
      // are refused everywhere, as they are in the tags of a recorded metric
      await expectCode(
        store.getMetrics({ tags: { model: 'x\uD800' } }),
        'VALIDATION_ERROR',
        'query.tags.model',
      );
      await expectCode(store.getMetrics({ tags: { ['\u0000']: 'x' } }), 'VALIDATION_ERROR');
      await expectCode(
        store.recordMetric({ name: 'x', value: 1, tags: { model: '\uDC00' } }),
        'VALIDATION_ERROR',
        'metric.tags.model',
      );
    });
  });
}
