// Node side: the heartbeat loop of the long activities (model calls, tool calls, steps).
import type { Context } from '@temporalio/activity';

/**
 * Heartbeats at once and then every third of the activity's heartbeat timeout (kept between
 * 100 ms and 1 s), sending `details()` each time, until the returned function is called.
 * Heartbeats carry cancellation to the activity and let Temporal notice a dead worker within the
 * timeout; the SDK throttles them, so a short interval costs little. Does nothing in a local
 * activity.
 */
export function startHeartbeats(ctx: Context, details: () => unknown): () => void {
  // A local activity does not heartbeat (its cancellation reaches it without one).
  if (ctx.info.isLocal) return () => undefined;
  const every = Math.max(100, Math.min(1000, (ctx.info.heartbeatTimeoutMs ?? 3000) / 3));
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), every);
  return () => clearInterval(timer);
}
