/**
 * Assembles an LVIS/COCO-format JSON file from pieces: raw member texts (info, licenses,
 * categories) and runs of image/annotation records copied byte for byte from the source
 * file of a Dataset.
 *
 * The layout is that of the official LVIS files (Python's `json.dump` defaults): one line,
 * `", "` between members and elements, `": "` after keys. Records are copied unchanged,
 * so a pretty-printed source keeps its records' inner layout.
 *
 * Record runs are copied in the order the plan lists them, and the source must be read in
 * ascending byte order (see SourceRangeReader): plans list members in the source's
 * top-level order and records in index order, which guarantees it.
 */
import { type ProgressReporter } from '../../base/progress.js';
import type { Dataset } from '../dataset/dataset.js';
import type { ChunkedFileWriter } from './output-file.js';
import { setMember } from './json-members.js';
import { SourceRangeReader } from './source-ranges.js';

/** Records of one table, copied from the source (or replaced by an edited text). */
export interface RecordRun {
  kind: 'records';
  table: 'images' | 'annotations';
  /** Indices into the table, ascending. */
  indices: Int32Array;
  /**
   * Edits of some records, by table index: the record's source text goes in, the text to
   * write comes out. The others are copied unchanged.
   */
  edits?: ReadonlyMap<number, (recordText: string) => string>;
}

export type MemberValue =
  | { kind: 'raw'; text: string }
  | { kind: 'array'; items: readonly string[] }
  | RecordRun;

export interface LvisFilePlan {
  members: Array<{ key: string; value: MemberValue }>;
}

export interface WriteProgress {
  progress?: ProgressReporter;
  signal?: AbortSignal;
  label?: string;
}

/**
 * Writes `plan` to `writer`, copying record runs from `ds`'s source file.
 * Returns the number of bytes written.
 */
export async function writeLvisJson(
  ds: Dataset,
  plan: LvisFilePlan,
  writer: ChunkedFileWriter,
  opts: WriteProgress = {},
): Promise<number> {
  const runs = plan.members.map((m) => m.value).filter((v): v is RecordRun => v.kind === 'records');
  const totalRecords = runs.reduce((n, r) => n + r.indices.length, 0);
  const reader = runs.length ? await SourceRangeReader.open(ds.source, opts.signal) : undefined;
  let done = 0;
  opts.progress?.start(opts.label ?? 'writing records', totalRecords, 'records');
  try {
    await text(writer, '{');
    for (let m = 0; m < plan.members.length; m++) {
      const { key, value } = plan.members[m]!;
      await text(writer, `${m ? ', ' : ''}${JSON.stringify(key)}: `);
      if (value.kind === 'raw') await text(writer, value.text);
      else if (value.kind === 'array') {
        await text(writer, '[');
        for (let i = 0; i < value.items.length; i++) await text(writer, i ? `, ${value.items[i]}` : value.items[i]!);
        await text(writer, ']');
      } else {
        const table = ds[value.table];
        const what = value.table === 'images' ? 'image' : 'annotation';
        const sink = (bytes: Uint8Array) => writer.write(bytes);
        await text(writer, '[');
        const { indices, edits } = value;
        // The hot loop (hundreds of thousands of records): no promise unless a read window
        // must be refilled or the output buffer flushed.
        for (let i = 0; i < indices.length; i++) {
          if (i) {
            const p = writer.write(SEPARATOR);
            if (p) await p;
          }
          const idx = indices[i]!;
          const start = table.byteStart[idx]!;
          const end = table.byteEnd[idx]!;
          const edit = edits?.get(idx);
          if (edit) {
            const source = await reader!.read(start, end);
            await text(writer, edit(source.toString('utf8')));
          } else if (!reader!.copyRecordSync(start, end, writer)) {
            await reader!.copyRecord(start, end, () => `${what} id ${table.id[idx]}`, sink);
          }
          if ((++done & 4095) === 0) {
            opts.progress?.update(done);
            if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
          }
        }
        await text(writer, ']');
      }
    }
    await text(writer, '}');
    opts.progress?.update(done);
    opts.progress?.done();
  } finally {
    await reader?.close();
  }
  return writer.bytesWritten;
}

const SEPARATOR = Buffer.from(', ');

function text(writer: ChunkedFileWriter, s: string): Promise<void> | undefined {
  return writer.writeText(s);
}

/** What `info.lvis_pipe` records about how a file was made. */
export type ProvenanceNote = Record<string, string | number | boolean | number[] | null>;

/**
 * The `info` member with `info.lvis_pipe` set to `note` (replacing an earlier note, e.g. when
 * a written subset is pruned again). The LVIS API, detectron2 and mmdetection never read
 * `info`, so the extra key is safe. Returns the new raw text; `info` that is not a JSON
 * object (never seen in LVIS/COCO) is left alone and `undefined` is returned.
 */
export function infoWithProvenance(infoRaw: string | undefined, note: ProvenanceNote): string | undefined {
  const base = infoRaw ?? '{}';
  if (!base.trimStart().startsWith('{')) return undefined;
  return setMember(base, 'lvis_pipe', pythonStyleJson(note));
}

/** JSON with Python `json.dump`'s separators (`", "`, `": "`), like the rest of an LVIS file. */
export function pythonStyleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonStyleJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonStyleJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Plans the top-level members in the source's order. `values` gives each member's value by
 * key; keys it leaves undefined are copied from the Dataset's raw extras (info, licenses,
 * ...). Keys in `values` that the source does not have (e.g. `info` added for the note) go
 * first.
 */
export function planInSourceOrder(ds: Dataset, values: Map<string, MemberValue>): LvisFilePlan {
  const extras = new Map(ds.extra.map((e) => [e.key, e.raw]));
  const members: LvisFilePlan['members'] = [];
  for (const [key, value] of values) if (!ds.topLevelOrder.includes(key)) members.push({ key, value });
  for (const key of ds.topLevelOrder) {
    const value = values.get(key);
    if (value) members.push({ key, value });
    else if (extras.has(key)) members.push({ key, value: { kind: 'raw', text: extras.get(key)! } });
    else throw new Error(`internal: no value for top-level member ${key}`);
  }
  return { members };
}
