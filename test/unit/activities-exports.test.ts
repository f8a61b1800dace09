// The `agent-runtime-core/activities` entry exports every activity factory, and together they
// build exactly what createActivities registers.
import * as entry from '../../activities';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { InMemoryTranscriptStore } from '../../src/transcripts/memory';

test('each activity factory is exported and createActivities is their union', () => {
  const deps: entry.ActivityDeps = { llm: new MockLLMClient() };
  const separately = {
    invokeModel: entry.createInvokeModel(deps),
    loadTranscript: entry.createLoadTranscript(new InMemoryTranscriptStore()),
    ...entry.createToolActivities(deps),
    runStep: entry.createRunStep(deps),
    ...entry.createCheckpointActivities(deps),
    ...entry.createRunPersistenceActivities(deps),
  };
  expect(Object.keys(separately).sort()).toEqual(Object.keys(entry.createActivities(deps)).sort());
  for (const fn of Object.values(separately)) expect(typeof fn).toBe('function');
});
