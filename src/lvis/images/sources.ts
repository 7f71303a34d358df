/**
 * Where each missing image comes from: images_root (`<root>/<split>/<file>`), the download
 * store (fetched by an earlier run), or the web. Found by a stat each, before anything is placed.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import type { ImageRef } from './plan.js';
import type { Placement } from './place.js';

export interface Sources {
  placements: Placement[];
  /** Found in the download store (counted for the summary). */
  fromStore: number;
  /** Found nowhere: to download, or an error. */
  absent: ImageRef[];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The store folder of a base URL: its host, readable, and a hash of the whole URL. */
export function storeFolder(dataDir: string, base: URL): string {
  const host = base.host.replace(/[^A-Za-z0-9.-]/g, '_');
  return path.join(dataDir, `${host}-${createHash('sha256').update(base.href).digest('hex').slice(0, 12)}`);
}

export function storePath(store: string, ref: ImageRef): string {
  return path.join(store, ref.split, ref.file);
}

/** Where each of `missing` is; `dir` is the images folder. */
export function findSources(missing: ImageRef[], dir: string, root: string | undefined, store: string | undefined): Sources {
  const out: Sources = { placements: [], fromStore: 0, absent: [] };
  for (const ref of missing) {
    const dest = path.join(dir, ref.split, ref.file);
    const fromRoot = root !== undefined ? path.join(root, ref.split, ref.file) : undefined;
    const fromStore = store !== undefined ? storePath(store, ref) : undefined;
    if (fromRoot !== undefined && isFile(fromRoot)) out.placements.push({ src: fromRoot, dest });
    else if (fromStore !== undefined && isFile(fromStore)) {
      out.placements.push({ src: fromStore, dest });
      out.fromStore++;
    } else out.absent.push(ref);
  }
  return out;
}

/** images_root must be a folder, and not inside the images folder (whose other files are removed). */
export function checkRoot(root: string, dir: string): void {
  const problem = (() => {
    try {
      if (!statSync(root).isDirectory()) return 'is not a folder';
    } catch {
      return 'does not exist';
    }
    const rel = path.relative(path.resolve(dir), path.resolve(root));
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return `is inside the images folder ${displayPath(dir)}, which the images step empties of all but the run's images`;
    return undefined;
  })();
  if (problem) throw new DiagnosticError([{ severity: 'error', message: `images_root ${displayPath(root)} ${problem}` }]);
}

/** The error for images missing from images_root (nothing has been placed yet). */
export function missingFromRoot(absent: ImageRef[], total: number, root: string): DiagnosticError {
  const shown = absent.slice(0, 5).map((r) => `${r.split}/${r.file}`);
  return new DiagnosticError([
    {
      severity: 'error',
      message:
        `${absent.length.toLocaleString('en-US')} of the run's ${total.toLocaleString('en-US')} images are not in images_root ${displayPath(root)}: ` +
        `${shown.join(', ')}${absent.length > shown.length ? ', …' : ''}. It must hold COCO's split folders (train2017/, val2017/); ` +
        'or set download_images: true to fetch what is missing. Nothing was placed',
    },
  ]);
}
