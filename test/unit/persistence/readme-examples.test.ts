// The seed README's persistence examples, in TypeScript, against the zero-setup default (PGlite
// files under <projectDir>/.data/pglite): no server needed.
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  AuditEventType,
  Conversation,
  ConversationMessage,
  FactType,
  InMemoryKnowledgeStore,
  InMemoryAuditStore,
  PersistenceManager,
  Scope,
  Task,
  TaskState,
  configurePersistence,
  getPersistenceManager,
} from '../../../src/persistence';
import { loadPgliteOutsideJest } from '../../conformance/pglite-loader';

describe('seed README persistence examples on PGlite', () => {
  let projectDir: string;
  let manager: PersistenceManager;
  beforeAll(() => {
    projectDir = mkdtempSync(join(tmpdir(), 'persistence-readme-'));
  });
  afterAll(async () => {
    await manager.close();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it('runs the File-Based Storage example with no setup', async () => {
    manager = new PersistenceManager({
      projectDir,
      loadPglite: loadPgliteOutsideJest,
      knowledgeStore: new InMemoryKnowledgeStore(),
      auditStore: new InMemoryAuditStore(),
    });
    expect(manager.backend).toBe('pglite');

    // Store memory (key-value)
    await manager.memory.set('user_name', 'Alice', Scope.PROJECT);
    const name = await manager.memory.get('user_name');
    expect(name).toBe('Alice');

    // Store conversations
    const conv = Conversation.parse({ title: 'Chat 1' });
    conv.messages.push(ConversationMessage.parse({ role: 'user', content: 'Hello!' }));
    await manager.conversations.save(conv);

    // Store tasks
    const task = Task.parse({ name: 'Review code', conversationId: conv.id });
    await manager.tasks.save(task);
    await manager.tasks.update(task.id, { state: TaskState.COMPLETE });

    // Store preferences
    await manager.preferences.set('theme', 'dark');

    expect(existsSync(join(projectDir, '.data', 'pglite'))).toBe(true);
    expect((await manager.conversations.get(conv.id))?.messages.map((m) => m.content)).toEqual([
      'Hello!',
    ]);
    expect((await manager.tasks.get(task.id))?.completedAt).toBeInstanceOf(Date);
    expect(await manager.preferences.get('theme')).toBe('dark');
  });

  it('runs the Conversation Branching example', async () => {
    const originalConv = await manager.conversations.save({
      title: 'Original',
      messages: [{ role: 'user', content: 'Question' }],
    });
    const originalMsg = originalConv.messages[0]!;
    // Create a branched message (e.g., user edited their message)
    const branchId = randomUUID();
    const editedMsg = ConversationMessage.parse({
      id: randomUUID(),
      role: 'user',
      content: 'Updated question',
      parentMessageId: originalMsg.id, // Points to original
      branchId,
    });
    await manager.conversations.addMessages(originalConv.id, [editedMsg]);
    expect(
      (await manager.conversations.getMessages(originalConv.id)).map((m) => m.content),
    ).toEqual(['Updated question']);

    // Fork a conversation
    const forkedConv = await manager.conversations.fork(originalConv.id, editedMsg.id, {
      title: 'Forked conversation',
    });
    expect(forkedConv.parentConversationId).toBe(originalConv.id);
    expect(forkedConv.messages.map((m) => m.content)).toEqual(['Updated question']);
  });

  it('runs the Enhanced Tasks example', async () => {
    const task1 = await manager.tasks.save({ name: 'Download' });
    const task2 = await manager.tasks.save({ name: 'Validate' });
    const task = await manager.tasks.save({
      id: randomUUID(),
      name: 'Process large dataset',
      description: 'Multi-step data processing',
      state: TaskState.IN_PROGRESS,
      // Dependencies - this task depends on others
      dependencies: [task1.id, task2.id],
      // Scheduling
      priority: 10, // Higher = more important
      dueAt: new Date('2024-12-31T00:00:00Z'),
      // Checkpoint for resumable operations
      checkpointData: { step: 5, processed: 1000 },
      checkpointAt: new Date(),
      // Execution tracking
      attempts: 2,
      lastError: 'Temporary network failure',
    });
    expect(await manager.tasks.get(task.id)).toEqual(task);
  });

  it('runs the Knowledge and Audit store examples', async () => {
    if (manager.hasKnowledge()) {
      await manager.knowledge.saveFact({
        id: randomUUID(),
        key: 'user.preferred_language',
        value: 'Python',
        factType: FactType.PREFERENCE,
      });
    }
    if (manager.hasAudit()) {
      // Log an event
      await manager.audit.logEvent({
        id: randomUUID(),
        eventType: AuditEventType.TOOL_CALL,
        action: 'Called search tool',
        details: { query: 'python docs' },
      });
      // Record performance metric
      await manager.audit.recordMetric({
        id: randomUUID(),
        name: 'llm_latency',
        value: 1250.5,
        unit: 'ms',
        tags: { model: 'gpt-4' },
      });
    }
    expect((await manager.knowledge?.getFactByKey('user.preferred_language'))?.value).toBe(
      'Python',
    );
    expect((await manager.audit?.getMetricSummary('llm_latency'))?.count).toBe(1);
  });

  it('keeps data across managers on the same project directory', async () => {
    await manager.close();
    manager = new PersistenceManager({ projectDir, loadPglite: loadPgliteOutsideJest });
    expect(await manager.memory.get('user_name')).toBe('Alice');
    expect(manager.hasKnowledge()).toBe(false);
    expect(manager.hasAudit()).toBe(false);
  });

  it('configurePersistence / getPersistenceManager give a global manager', async () => {
    configurePersistence({ projectDir, backend: 'memory' });
    const global = getPersistenceManager();
    expect(getPersistenceManager()).toBe(global);
    await global.memory.set('k', 1);
    configurePersistence({ projectDir, backend: 'memory' });
    expect(getPersistenceManager()).not.toBe(global);
    await global.close();
  });
});
