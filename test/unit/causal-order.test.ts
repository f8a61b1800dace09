// CausalOrder: how RunHandle.events() places transient events (live step progress, token deltas)
// among the durable ones it polls, whatever order they arrive in.
import { CausalOrder } from '../../src/client/causal-order';
import type { RunEvent } from '../../src/core/types';
import type { TransientEvent } from '../../src/events/event-bus';

const RUN = 'run-1';
let seq = 0;

function durable(type: string, payload: Record<string, unknown> = {}): RunEvent {
  seq += 1;
  return { seq, runId: RUN, type, payload, timestamp: new Date(0).toISOString() };
}

function transient(type: string, payload: Record<string, unknown>): TransientEvent {
  return { runId: RUN, type, payload, timestamp: new Date(0).toISOString() };
}

const step = { stepName: 'fetch', stepIndex: 0, totalSteps: 2 };
const started = () => durable('step.started', { ...step, attempt: 1, maxAttempts: 1 });
const announcement = () =>
  durable('progress.update', { ...step, progressPercent: 0, description: 'Executing fetch' });
const live = (stepPercent: number, description = 'working') =>
  transient('progress.update', {
    ...step,
    attempt: 1,
    stepPercent,
    progressPercent: stepPercent / 2,
    description,
    transient: true,
  });
const inStep = (stepPercent: number, description = 'working') =>
  durable('progress.update', {
    ...step,
    attempt: 1,
    stepPercent,
    progressPercent: stepPercent / 2,
    description,
  });
const completed = () => durable('step.completed', { ...step, attempt: 1, durationMs: 5 });
const delta = (turn: number, text: string) =>
  transient('assistant.delta', { turn, attempt: 1, index: 0, delta: text });
const message = (turn: number) =>
  durable('assistant.message', { turn, model: 'm', finishReason: 'stop', content: 'x' });

/** What a watcher yields: durable events by type, transient ones marked with `~`. */
function describe(events: RunEvent[]): string[] {
  const percent = (e: RunEvent) => JSON.stringify(e.payload.stepPercent);
  return events.map((e) =>
    e.type === 'assistant.delta'
      ? `~delta:${String(e.payload.delta)}`
      : e.payload.transient
        ? `~progress:${percent(e)}`
        : e.payload.stepPercent !== undefined
          ? `progress:${percent(e)}`
          : e.type,
  );
}

beforeEach(() => {
  seq = 0;
});

test('step progress that arrives before run.started and step.started waits for them, then passes live', () => {
  const o = new CausalOrder(RUN, 0);
  const out: RunEvent[] = [];
  const mark = o.mark;
  o.add(live(10));
  expect(o.ready()).toEqual([]);
  expect(o.waiting).toBe(true);
  // The durable read, begun before the update arrived, does not release it by itself.
  for (const e of [durable('run.started'), started(), announcement()]) out.push(...o.durable(e));
  out.push(...o.covered(mark));
  // step.started anchored it: it follows the executor's announcement.
  expect(describe(out)).toEqual(['run.started', 'step.started', 'progress.update', '~progress:10']);
  // Later updates of the running step pass at once.
  o.add(live(50));
  expect(describe(o.ready())).toEqual(['~progress:50']);
  // Their seq repeats the last durable event's.
  expect(out.at(-1)?.seq).toBe(3);
});

test('each update once: durable in-step progress is skipped after live progress of the same attempt', () => {
  const o = new CausalOrder(RUN, 0);
  const out: RunEvent[] = [];
  for (const e of [durable('run.started'), started(), announcement()]) out.push(...o.durable(e));
  out.push(...o.endOfPage());
  o.add(live(30));
  out.push(...o.ready());
  // The durable copies of the reports (coarser, later) and the final one: skipped.
  out.push(...o.durable(inStep(30)));
  o.add(live(100, 'done'));
  out.push(...o.ready());
  out.push(...o.durable(inStep(100, 'done')));
  out.push(...o.durable(completed()));
  expect(describe(out)).toEqual([
    'run.started',
    'step.started',
    'progress.update',
    '~progress:30',
    '~progress:100',
    'step.completed',
  ]);
});

test('durable progress shown first: the live copy of the same report and older ones are dropped', () => {
  const o = new CausalOrder(RUN, 0);
  const out: RunEvent[] = [];
  for (const e of [durable('run.started'), started(), announcement(), inStep(40)]) {
    out.push(...o.durable(e));
  }
  out.push(...o.endOfPage());
  o.add(live(20));
  o.add(live(40));
  o.add(live(70));
  out.push(...o.ready());
  expect(describe(out)).toEqual([
    'run.started',
    'step.started',
    'progress.update',
    'progress:40',
    '~progress:70',
  ]);
});

test('live progress read in the same page as its step completion goes before step.completed', () => {
  const o = new CausalOrder(RUN, 0);
  const mark0 = o.mark;
  o.add(live(50));
  o.add(live(100));
  const out: RunEvent[] = [];
  for (const e of [durable('run.started'), started(), announcement(), completed()]) {
    out.push(...o.durable(e));
  }
  out.push(...o.covered(mark0));
  expect(describe(out)).toEqual([
    'run.started',
    'step.started',
    'progress.update',
    '~progress:50',
    '~progress:100',
    'step.completed',
  ]);
  // A late one of the completed step is stale.
  o.add(live(100, 'late'));
  expect(o.covered(o.mark)).toEqual([]);
});

test('deltas of the next model call wait for a durable read begun after they arrived', () => {
  const o = new CausalOrder(RUN, 0);
  const out: RunEvent[] = [];
  out.push(...o.durable(durable('run.started')));
  out.push(...o.covered(o.mark));
  // Turn 1 streams; its first delta waits for a read begun after it.
  o.add(delta(1, 'a'));
  expect(o.ready()).toEqual([]);
  const mark = o.mark;
  o.add(delta(1, 'b')); // arrived during that read: same model call, anchored with the first
  out.push(...o.covered(mark));
  expect(describe(out)).toEqual(['run.started', '~delta:a', '~delta:b']);
  // The rest of the call's deltas pass at once.
  o.add(delta(1, 'c'));
  out.push(...o.ready());
  // Turn 2's deltas arrive before the watcher read turn 1's message and the tool events.
  o.add(delta(2, 'x'));
  const mark2 = o.mark;
  for (const e of [message(1), durable('tool.call'), durable('tool.result')]) {
    out.push(...o.durable(e));
  }
  out.push(...o.covered(mark2));
  out.push(...o.durable(message(2)));
  // A delta of turn 2 arriving after its message is stale.
  o.add(delta(2, 'late'));
  out.push(...o.covered(o.mark));
  expect(describe(out)).toEqual([
    'run.started',
    '~delta:a',
    '~delta:b',
    '~delta:c',
    'assistant.message',
    'tool.call',
    'tool.result',
    '~delta:x',
    'assistant.message',
  ]);
});

test('the terminal event comes last: held transient events go before it, later ones are dropped', () => {
  const o = new CausalOrder(RUN, 0);
  const out: RunEvent[] = [];
  o.add(delta(1, 'a'));
  for (const e of [durable('run.started'), durable('run.cancelled')]) out.push(...o.durable(e));
  expect(o.ended).toBe(true);
  o.add(delta(1, 'b'));
  out.push(...o.covered(o.mark), ...o.ready());
  expect(describe(out)).toEqual(['run.started', '~delta:a', 'run.cancelled']);
});

test('durable events already handled are not yielded again', () => {
  const o = new CausalOrder(RUN, 2);
  const a = durable('run.started');
  const b = durable('x');
  const c = durable('y');
  expect(o.durable(a)).toEqual([]);
  expect(o.durable(b)).toEqual([]);
  expect(o.durable(c)).toEqual([c]);
  expect(o.durable(c)).toEqual([]);
  expect(o.cursor).toBe(3);
});
