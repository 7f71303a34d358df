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

/**
 * `list_categories` (write, prune-gt): which categories the written file lists. Set it the same
 * for the subset and the pruned val (the shipped pipeline does, through one param): a training
 * framework that numbers classes by their position in the list (mmdetection) then scores the
 * model's label i as the same category on both.
 */
export const LIST_CATEGORIES_OPTION_SCHEMA = {
  enum: ['all', 'kept'],
  default: 'all',
  description:
    '`all`: the categories list stays whole (annotations and neg / not-exhaustive lists are still pruned); `kept`: only the kept categories are listed. Set it the same on `write` and `prune-gt`',
} as const;

/**
 * An output named `.zip`: the JSON writers write plain JSON, or gzip for `.gz`; a zip would be
 * plain JSON under a zip's name, which no unzip opens. Said where `out` is set (a step's check()).
 */
export function zipOutputProblems(out: unknown): { at: 'options'; key: string; message: string }[] {
  return typeof out === 'string' && /\.zip$/i.test(out)
    ? [{ at: 'options', key: 'out', message: '`out` ends in .zip, which lvis-pipe reads but does not write: name it .json, or .json.gz for a compressed file' }]
    : [];
}
