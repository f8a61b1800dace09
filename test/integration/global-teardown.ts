// Jest global teardown of the integration project: stops the dev server global setup started.
export default async function globalTeardown(): Promise<void> {
  await globalThis.__temporalDevServer?.stop();
}
