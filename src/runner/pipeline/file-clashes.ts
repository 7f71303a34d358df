/**
 * A run must never write over a file it reads, nor write one file twice, nor keep a folder
 * (a step's sync folder, whose other files the step may remove) that holds a file of the run.
 * Paths are compared as the files they name: after symlinks are resolved (realpath of the file, or of the nearest
 * folder that exists for a file not written yet), and by device and inode, so that a hardlink
 * or a symlinked folder cannot hide an input behind another name. Checked before any step
 * runs, for a plain run and for every sweep variant (whose outputs move to its own folder).
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import type { ResolvedStep } from './types.js';
import type { YamlSource } from './yaml-source.js';

/** A file and what it is to a run: "the input `path` of step `train`". */
export interface NamedFile {
  /** How the user named it. */
  file: string;
  role: string;
  /** A step's sync folder that the file would lie in (runFileAt). */
  folder?: boolean;
  /** A folder the run reads that the file would lie in (runFileAt). */
  readFolder?: boolean;
}

interface Place extends NamedFile {
  step: string;
  option: string;
}

/** The file's identity: its resolved path, and device:inode when it exists. */
export function identity(file: string): { real: string; inode?: string } {
  let dir = path.resolve(file);
  const rest: string[] = [];
  for (;;) {
    try {
      const real = path.join(realpathSync(dir), ...rest.reverse());
      try {
        const st = statSync(real);
        return { real, inode: `${st.dev}:${st.ino}` };
      } catch {
        return { real };
      }
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return { real: path.resolve(file) };
      rest.push(path.basename(dir));
      dir = up;
    }
  }
}

/**
 * The run's inputs, outputs and sync folders; `skipAfterRun`: without the afterRun hooks' files
 * (which `report --out` replaces on purpose).
 */
function places(steps: ReadonlyMap<string, ResolvedStep>, skipAfterRun = false): { inputs: Place[]; outputs: Place[]; folders: Place[] } {
  const inputs: Place[] = [];
  const outputs: Place[] = [];
  const folders: Place[] = [];
  for (const step of steps.values()) {
    for (const f of step.files) inputs.push({ file: f.path, role: `the input \`${f.option}\` of step \`${step.id}\``, step: step.id, option: f.option });
    for (const [name, file] of Object.entries(step.outputPaths)) {
      const option = step.module.outputs[name]?.pathOption ?? name;
      outputs.push({ file, role: `the output \`${name}\` of step \`${step.id}\``, step: step.id, option });
    }
    for (const [option, dir] of Object.entries(step.syncPaths)) folders.push({ file: dir, role: `the folder \`${option}\` of step \`${step.id}\``, step: step.id, option });
    if (skipAfterRun) continue;
    for (const [option, file] of Object.entries(step.afterRunPaths)) outputs.push({ file, role: `the file \`${option}\` of step \`${step.id}\``, step: step.id, option });
  }
  return { inputs, outputs, folders };
}

function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Each file or folder of the run inside a sync folder (or that is one): one diagnostic, at the folder's option. */
function insideFolders(all: Place[], folders: Place[], at: (o: Place, message: string) => void): void {
  const real = new Map<Place, string>();
  const realOf = (x: Place) => real.get(x) ?? real.set(x, identity(x.file).real).get(x)!;
  for (const f of folders) {
    const inside = all.find((x) => x !== f && isWithin(realOf(x), realOf(f)));
    if (inside) {
      at(f, `${f.role} is ${displayPath(f.file)}, which holds ${inside.role} (${displayPath(inside.file)}): the step keeps that folder to its own files and may remove the others. Give it a folder of its own`);
    }
  }
}

/** `same(a, b)`: whether two named files are one file (identities computed once each). */
function sameFile(): (a: NamedFile, b: NamedFile) => boolean {
  const ids = new Map<NamedFile, ReturnType<typeof identity>>();
  const id = (x: NamedFile) => {
    let v = ids.get(x);
    if (!v) ids.set(x, (v = identity(x.file)));
    return v;
  };
  return (a, b) => {
    const ia = id(a);
    const ib = id(b);
    return ia.real === ib.real || (ia.inode !== undefined && ia.inode === ib.inode);
  };
}

const how = (a: NamedFile, b: NamedFile) => (path.resolve(a.file) === path.resolve(b.file) ? '' : ` (${displayPath(b.file)}, the same file through a link)`);

/**
 * Every output that is the same file as an input of the run, or as another output: one
 * diagnostic each, at the output's option, naming both places. Empty when there is none.
 */
export function fileClashes(steps: ReadonlyMap<string, ResolvedStep>, src: YamlSource): Diagnostic[] {
  const { inputs, outputs, folders } = places(steps);
  const same = sameFile();
  const diags: Diagnostic[] = [];
  const at = (o: Place, message: string) => diags.push(src.diagnosticAt(['steps', o.step, 'options', o.option], message));
  outputs.forEach((o, i) => {
    const input = inputs.find((inp) => same(o, inp));
    if (input) {
      at(o, `${o.role} would be written to ${displayPath(o.file)}, which is ${input.role}${how(o, input)}: the run would overwrite its own input. Write the outputs elsewhere (another out_dir or path)`);
      return;
    }
    // Two outputs at the very same path are reported where the paths are resolved (pipeline.ts).
    // Between outputs, one file means one resolved path, not one inode: outputs with the same
    // content are hard links to one cached object, and must not look like one file next run.
    const other = outputs.slice(0, i).find((prev) => path.resolve(prev.file) !== path.resolve(o.file) && identity(prev.file).real === identity(o.file).real);
    if (other) at(o, `${o.role} would be written to ${displayPath(o.file)}, which ${other.role} also writes${how(o, other)}: choose another path for one of them`);
  });
  insideFolders([...inputs, ...outputs, ...folders], folders, at);
  return diags;
}

/**
 * For a file a command writes besides the steps' outputs (`report --out`, a sweep's table and
 * chart): the first file of the run it would replace, an input or an output, else undefined.
 * `also` adds files the run is known to have read or written (a past run's record).
 * `report --out` may replace the report's own file; that is where it goes by default.
 */
export function runFileAt(
  target: string,
  steps: ReadonlyMap<string, ResolvedStep>,
  also: readonly NamedFile[] = [],
  opts: { skipAfterRun?: boolean } = {},
): NamedFile | undefined {
  const { inputs, outputs, folders } = places(steps, opts.skipAfterRun);
  const same = sameFile();
  const t: NamedFile = { file: target, role: 'the target' };
  const hit = [...inputs, ...also, ...outputs].find((f) => same(t, f));
  if (hit) return hit;
  // A step's sync folder keeps only its own files: one written there would be removed.
  const real = identity(target).real;
  const folder = folders.find((f) => isWithin(real, identity(f.file).real));
  if (folder) return { file: folder.file, role: `inside ${folder.role}`, folder: true };
  // A folder the run reads (a local copy of the images): a file written there replaces an input.
  const read = readFolders(steps).find((f) => isWithin(real, identity(f.file).real));
  return read ? { file: read.file, role: `inside ${read.role}`, readFolder: true } : undefined;
}

/** The folders the steps read (their `folderOptions`, set: absolute after resolution). */
function readFolders(steps: ReadonlyMap<string, ResolvedStep>): NamedFile[] {
  return [...steps.values()].flatMap((step) =>
    (step.module.folderOptions ?? []).flatMap((option) => {
      const dir = step.options[option];
      return typeof dir === 'string' && dir !== '' ? [{ file: dir, role: `the folder \`${option}\` of step \`${step.id}\`` }] : [];
    }),
  );
}

/** The message for a command's write that `runFileAt` found on a file of the run. */
export function overwriteMessage(what: string, target: string, hit: NamedFile): string {
  if (hit.readFolder) return `${what} ${displayPath(target)} is ${hit.role} (${displayPath(hit.file)}), which the run reads: a file written there could replace an input. Choose another path`;
  if (hit.folder) return `${what} ${displayPath(target)} is ${hit.role} (${displayPath(hit.file)}), which keeps only that step's files: the file would be removed by the next run. Choose another path`;
  return `${what} ${displayPath(target)} is ${hit.role}${how({ file: target, role: '' }, hit)}: writing it would replace that file. Choose another path`;
}
