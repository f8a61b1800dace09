// Node side only: run event buses (durable ordered event logs with live delivery). Never import from workflow code.
export { InMemoryEventBus, PostgresEventBus, RedisEventBus } from './event-buses';
export type {
  EventBus,
  SubscribeOptions,
  GetEventsOptions,
  PostgresEventBusOptions,
  RedisEventBusOptions,
  TransientEvent,
  TransientSubscription,
} from './event-buses';
export { readRunEvents, type ReadRunEventsOptions } from './read-run-events';
