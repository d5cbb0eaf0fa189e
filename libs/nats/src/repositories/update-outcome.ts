/** How a compare-and-set update of one KV key ended. */
export const UpdateStatus = {
  /** The mutation was written on top of the revision it was computed from. */
  Updated: 'updated',
  /** The mutation asked for no change; nothing was written. */
  Unchanged: 'unchanged',
  /** The key has no value (never written, or deleted). */
  Missing: 'missing',
  /** Others kept writing the key: every attempt lost the race. The caller decides what that means. */
  Conflict: 'conflict',
} as const;
export type UpdateStatus = (typeof UpdateStatus)[keyof typeof UpdateStatus];

export type UpdateOutcome<T> =
  | { status: typeof UpdateStatus.Updated; value: T; revision: number }
  | { status: typeof UpdateStatus.Unchanged; value: T; revision: number }
  | { status: typeof UpdateStatus.Missing }
  | { status: typeof UpdateStatus.Conflict; attempts: number };

/** How a create of one KV key ended. */
export const CreateStatus = { Created: 'created', Exists: 'exists' } as const;
export type CreateStatus = (typeof CreateStatus)[keyof typeof CreateStatus];

export type CreateOutcome = { status: typeof CreateStatus.Created; revision: number } | { status: typeof CreateStatus.Exists };
