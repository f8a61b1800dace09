// Node side only: run event buses (durable ordered event logs with live delivery). Never import from workflow code.
export type {
  EventBus,
  SubscribeOptions,
  GetEventsOptions,
  TransientEvent,
  TransientSubscription,
} from './event-bus';
export { InMemoryEventBus } from './memory';
export { PostgresEventBus, type PostgresEventBusOptions } from './postgres';
export { RedisEventBus, type RedisEventBusOptions } from './redis';
export { readRunEvents, type ReadRunEventsOptions } from './read-run-events';
