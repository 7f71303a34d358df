/**
 * Option schemas that several steps share, written once so that they stay the same.
 */
/** `categories`: kept category ids given directly (prune-gt, prune-preds). */
export const KEPT_IDS_OPTION_SCHEMA = {
  type: 'array',
  items: { type: 'integer' },
  minItems: 1,
  uniqueItems: true,
  description: 'Kept category ids, instead of the `kept` input',
} as const;

/** `provenance`: note the run in info.lvis_pipe (write, prune-gt). */
export const PROVENANCE_OPTION_SCHEMA = {
  type: 'boolean',
  default: true,
  description: 'Record how the file was made in info.lvis_pipe (no tool reads info)',
} as const;
