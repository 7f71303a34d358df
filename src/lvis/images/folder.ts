/**
 * The images folder (`${out_dir}/images`): the images step's own, marked by a file in it, so
 * that it never removes files from a folder it did not make. What is in it: one subfolder per
 * split, one file per image; anything else (a file at the top, a link, an earlier subset's
 * images, a temp file a killed run left) is for `sync-images.ts` to remove.
 */
import { lstatSync, readdirSync, unlinkSync, type Dirent } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';

/** The folder's mark: it is the images step's to keep. */
export const MARKER = '.lvis-pipe-images';

const MARKER_TEXT = 'This folder is kept by the lvis-pipe images step: it holds exactly the images of the last run.\nFiles put here by hand are removed.\n';

export interface FolderListing {
  /** `split/file` → size, for every regular file in a split subfolder. */
  files: Map<string, number>;
  /** Entries that are not a split subfolder's regular file (absolute paths). */
  strays: string[];
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Makes `dir` the images step's: it is made, or is empty, or carries the mark; else a Diagnostic. */
export async function claimFolder(dir: string): Promise<void> {
  const names = entries(dir).map((e) => e.name);
  if (names.includes(MARKER)) return;
  if (names.length > 0) {
    const shown = names.slice(0, 5).map((n) => JSON.stringify(n)).join(', ');
    throw new DiagnosticError([
      {
        severity: 'error',
        message:
          `the images folder ${displayPath(dir)} holds files the images step did not put there (${shown}${names.length > 5 ? `, … ${names.length} in all` : ''}). ` +
          'It keeps its folder to the run’s images and would remove them: give it an empty folder (the `dir` option), or empty this one',
      },
    ]);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, MARKER), MARKER_TEXT);
}

/** What the folder holds now. */
export function listFolder(dir: string): FolderListing {
  const out: FolderListing = { files: new Map(), strays: [] };
  for (const e of entries(dir)) {
    if (e.name === MARKER) continue;
    const sub = path.join(dir, e.name);
    if (!e.isDirectory()) {
      out.strays.push(sub);
      continue;
    }
    for (const f of entries(sub)) {
      const file = path.join(sub, f.name);
      const size = f.isFile() ? lstatSync(file).size : 0;
      if (size > 0) out.files.set(`${e.name}/${f.name}`, size);
      else out.strays.push(file);
    }
  }
  return out;
}

/**
 * Removes `paths` (files, links, folders: never what a link points to). Files and links are
 * unlinked in a plain loop (an image a few µs; `rm` per file, which stats first and goes through
 * the thread pool, took 6× as long for a new subset's 9,000 images); folders go with `rm`.
 */
export async function removeAll(paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    try {
      unlinkSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code !== 'EISDIR' && code !== 'EPERM') throw err; // (Linux says EISDIR for a folder, macOS EPERM)
      await rm(p, { recursive: true, force: true });
    }
  }
}
