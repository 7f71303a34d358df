/**
 * The URLs of a run's images, one per line: what `wget -i` and `aria2c -i` read. Each URL is
 * the base URL (`images_url`) joined with the image's split folder and file name.
 */
import type { ImagePath } from './names.js';

/** The base URL as a folder (with its trailing slash). */
export function baseUrl(imagesUrl: string): URL {
  const u = new URL(imagesUrl);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

export function imageUrl(base: URL, p: ImagePath): URL {
  return new URL(`${encodeURIComponent(p.split)}/${encodeURIComponent(p.file)}`, base);
}

/** The manifest's text: one URL per line, each image once, in file order. */
export function manifestText(base: URL, images: readonly ImagePath[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const p of images) {
    const url = imageUrl(base, p).href;
    if (seen.has(url)) continue;
    seen.add(url);
    lines.push(url);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
