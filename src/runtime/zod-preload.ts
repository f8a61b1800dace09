// Sandbox-safe: loaded once per worker thread, before any run, through the workflow bundler's
// `preloadModules` (worker/index.ts). Evaluating zod here puts its modules in the reusable V8
// context's shared module cache, so runs do not each evaluate zod again.
// The SDK deep-freezes what a preloaded module leaves on `globalThis` and in its exports, so the
// global state zod sets up lazily (its default locale and memoizer, `globalThis.__zod_globalConfig`)
// is set up here first, by building, using and converting one schema: after the freeze zod only
// reads it. (A run calling `z.config()` would fail: the configuration is shared by every run.)
// zod declares itself free of side effects, so the bundler would drop a bare `require('zod')`;
// this module uses it.
import { z } from 'zod';

const probe = z.object({
  text: z.string().min(1).optional(),
  items: z.array(z.union([z.number(), z.null()])),
  extra: z.record(z.string(), z.unknown()).optional(),
});
probe.safeParse({ text: '', items: [1, null, 'x'] });
z.toJSONSchema(probe, { io: 'input' });

/** True once zod is loaded and set up (read by nothing; it keeps the module's work). */
export const zodPreloaded: boolean = probe.safeParse({ items: [] }).success;
