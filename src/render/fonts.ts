/**
 * The fonts every chart is laid out and rendered with: DejaVu Sans (regular and bold), vendored
 * in src/render/fonts/ (see the README there). Rendering never loads system fonts, so a PNG is
 * the same on every machine.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The family name charts ask for; the browser falls back to its sans-serif when it lacks it. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';
/** The CSS font stack used in specs, so the HTML report degrades gracefully. */
export const CHART_FONT_STACK = `${CHART_FONT_FAMILY}, Verdana, sans-serif`;

export interface ChartFontFiles {
  regular: string;
  bold: string;
}

let cached: ChartFontFiles | undefined;

/**
 * Absolute paths of the vendored font files. This module runs from src/render/ (ts loaders) or
 * from dist/src/render/ (compiled): walk up to the package root, which holds src/render/fonts.
 */
export function chartFontFiles(): ChartFontFiles {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'src', 'render', 'fonts');
    if (existsSync(join(dir, 'package.json')) && existsSync(join(candidate, 'DejaVuSans.ttf'))) {
      cached = {
        regular: join(candidate, 'DejaVuSans.ttf'),
        bold: join(candidate, 'DejaVuSans-Bold.ttf'),
      };
      return cached;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error('lvis-pipe: cannot find the vendored chart fonts (src/render/fonts/DejaVuSans.ttf)');
    }
    dir = parent;
  }
}
