/**
 * How paths are shown to the user: as they would type them, relative to the CLI's working
 * directory when the file is below it, else absolute, with any control character escaped (a
 * file named `bad\x1b[2J.yaml` must not clear the screen when a message names it).
 */
import path from 'node:path';
import { escapeControls } from './diagnostic.js';

let displayBase: string | undefined;

/** The folder paths are shown relative to (the CLI's cwd; defaults to process.cwd()). */
export function setDisplayBase(dir: string | undefined): void {
  displayBase = dir;
}

/** A path as the user would type it: relative to the cwd when below it. */
export function displayPath(file: string, cwd = displayBase ?? process.cwd()): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  return escapeControls(rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs);
}
