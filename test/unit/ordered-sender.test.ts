// The one ordered, throttled sender of activities (step progress, stream deltas).
import { OrderedSender } from '../../activities/ordered-sender';

afterEach(() => jest.useRealTimers());

test('without an interval every value is sent, one send at a time, in order', async () => {
  const sent: number[] = [];
  let running = 0;
  const sender = new OrderedSender<number>({
    send: async (n) => {
      running++;
      expect(running).toBe(1);
      await Promise.resolve();
      sent.push(n);
      running--;
    },
    onError: () => undefined,
  });
  for (let i = 1; i <= 5; i++) sender.push(i);
  await sender.flush();
  expect(sent).toEqual([1, 2, 3, 4, 5]);
});

test('with an interval: the first at once, then the latest per interval; flush sends what waits', async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const sent: number[] = [];
  const sender = new OrderedSender<number>({
    intervalMs: 250,
    send: async (n) => void sent.push(n),
    onError: () => undefined,
  });
  sender.push(1);
  sender.push(2);
  sender.push(3);
  await Promise.resolve();
  expect(sent).toEqual([1]);
  await jest.advanceTimersByTimeAsync(250);
  expect(sent).toEqual([1, 3]);
  sender.push(4);
  await sender.flush();
  expect(sent).toEqual([1, 3, 4]);
  // Within the interval of 4: waits, replaced by 6, dropped by stop().
  sender.push(5);
  sender.push(6);
  sender.stop();
  await jest.advanceTimersByTimeAsync(1000);
  expect(sent).toEqual([1, 3, 4]);
});

test('a refused value does not count against the interval; a failed send does not stop the next', async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const sent: string[] = [];
  const errors: unknown[] = [];
  let last: string | undefined;
  const sender = new OrderedSender<string>({
    intervalMs: 5000,
    accept: (v) => {
      if (v === last) return false;
      last = v;
      return true;
    },
    send: async (v) => {
      if (v === 'bad') throw new Error('bus down');
      sent.push(v);
    },
    onError: (err) => errors.push(err),
  });
  sender.push('bad');
  await jest.advanceTimersByTimeAsync(5000);
  sender.push('bad');
  await jest.advanceTimersByTimeAsync(10);
  // Refused (unchanged): the next value goes at once.
  sender.push('ok');
  await sender.flush();
  expect(sent).toEqual(['ok']);
  expect(errors).toHaveLength(1);
});
