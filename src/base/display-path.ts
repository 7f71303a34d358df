/**
 * How paths are shown to the user: as they would type them, relative to the CLI's working
 * directory when the file is below it, else absolute.
 */
import path from 'node:path';

let displayBase: string | undefined;

/** The folder paths are shown relative to (the CLI's cwd; defaults to process.cwd()). */
export function setDisplayBase(dir: string | undefined): void {
  displayBase = dir;
}

/** A path as the user would type it: relative to the cwd when below it. */
export function displayPath(file: string, cwd = displayBase ?? process.cwd()): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}
