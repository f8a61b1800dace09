// Node side only: name-based record ids, so a retried activity writes the same records again
// instead of new ones.
import { v5 as uuidv5 } from 'uuid';

/** Namespace of our name-based ids (a fixed random UUID): changing it changes every stored id. */
const NAMESPACE = '5f0c5d7e-9a3b-4c1e-8d2f-6a7b3c9e1d40';

/**
 * A name-based UUID (RFC 9562 version 5): the same name always gives the same id. The name is
 * hashed as UTF-8 bytes (a lone surrogate as U+FFFD): passed as a string, `uuid` would throw on
 * one.
 */
export function deterministicId(name: string): string {
  return uuidv5(Buffer.from(name, 'utf8'), NAMESPACE);
}
