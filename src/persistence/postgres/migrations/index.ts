// Node side only: the ordered list of schema migrations.
import { migration0001 } from './0001-init';
import { migration0002 } from './0002-pgvector';
import { migration0003 } from './0003-payload-blobs';
import { migration0004 } from './0004-transcripts';

/** One forward-only schema migration. */
export interface Migration {
  /** 1, 2, 3, … without gaps. */
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in version order. Append new ones; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
];
