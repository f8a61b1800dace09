// The public API is deliberate: each entry exports exactly the names listed in public-api.json
// (change both together, and the README's "Which entry point" table), no internal helper leaks
// out, and agent-side names come from `agent-runtime-core/workflows` only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportsPerEntry } from '../../../scripts/count-exports';

const root = path.resolve(__dirname, '../../..');
const expected = JSON.parse(
  readFileSync(path.join(__dirname, 'public-api.json'), 'utf8'),
) as Record<string, string[]>;
const actual = exportsPerEntry(root);

describe('public API', () => {
  it('each entry exports exactly its listed names', () => {
    expect(Object.fromEntries(actual)).toEqual(expected);
  });

  it('no internal helper is exported', () => {
    const internals = [
      'escapeLike',
      'guardPool',
      'SafeKey',
      'resolveScope',
      'projectIdFor',
      'MIGRATIONS',
      'retryIntervalFor',
      'checkResumableState',
      'parseRetryAfter',
      'redactSecrets',
      'toResponseFormat',
      'countWords',
      'lastUserText',
      'toApplicationFailure',
      'toErrorInfo',
      'stepHandle',
      'isStepHandle',
      'waitForEventsUpdate',
      'eventsQuery',
    ];
    const leaks = [...actual].flatMap(([entry, names]) =>
      names.filter((n) => internals.includes(n)).map((n) => `${entry}: ${n}`),
    );
    expect(leaks).toEqual([]);
  });

  it('agent-side names are exported by ./workflows and not by the root', () => {
    const agentSide = [
      'AgentRuntime',
      'registerRuntime',
      'ToolCallingAgent',
      'Step',
      'StepExecutor',
      'defineTool',
      'getLLMClient',
    ];
    expect(actual.get('./workflows')).toEqual(expect.arrayContaining(agentSide));
    expect(actual.get('.')!.filter((n) => agentSide.includes(n))).toEqual([]);
  });

  it('one getLLMClient, and it is the run-side one', () => {
    const holders = [...actual].filter(([, names]) => names.includes('getLLMClient'));
    expect(holders.map(([entry]) => entry)).toEqual(['./workflows']);
  });
});
