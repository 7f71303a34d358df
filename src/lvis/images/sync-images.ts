/**
 * The images folder made to hold exactly the run's images (the subset's and the pruned val's)
 * at `<dir>/<split>/<file>`: what is there and right stays, what is missing is placed from
 * images_root or the download store or downloaded, what is not the run's is removed. Quick when
 * nothing is to do (a listing and a stat per image): it runs on every run, cache hits included.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import type { ProgressReporter } from '../../base/progress.js';
import { downloadImages, type DownloadJob, type DownloadOutcome } from './download.js';
import { MARKER, claimFolder, listFolder, removeAll, type FolderListing } from './folder.js';
import { imageUrl } from './manifest.js';
import { describePlacement, placeImage, placeImages } from './place.js';
import { distinctImages, type ImagePlan, type ImageRef } from './plan.js';
import { checkRoot, findSources, missingFromRoot, storeFolder, storePath } from './sources.js';
import { shownProxy, type Proxy } from './proxy.js';

export interface DownloadSettings {
  base: URL;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  maxBytes: number;
  backoffMs: number;
  /** The cache's data folder for downloads (kept across runs). */
  dataDir: string;
  /** The HTTP proxy to go through (proxy.ts `proxyFor`), if any. */
  proxy?: Proxy;
}

export interface SyncImagesOptions {
  dir: string;
  imagesRoot?: string;
  download?: DownloadSettings;
  progress?: ProgressReporter;
  log: (message: string) => void;
  signal: AbortSignal;
}

const key = (r: ImageRef) => `${r.split}/${r.file}`;
const count = (n: number) => n.toLocaleString('en-US');

/** Images of the plan without a coco_url cannot be placed: an error when placing is asked for. */
function checkUrls(plan: ImagePlan): void {
  for (const list of [plan.train, ...(plan.val ? [plan.val] : [])]) {
    const w = list.withoutUrl;
    if (w.count > 0) {
      throw new DiagnosticError([{ severity: 'error', message: `${list.label}: ${count(w.count)} images have no coco_url (image ids ${w.firstIds.join(', ')}${w.count > w.firstIds.length ? ', …' : ''}), so the images step cannot tell where they go` }]);
    }
  }
}

/** What to remove: files that are not the run's, strays, and split folders the run has no image in. */
async function staleEntries(dir: string, listing: FolderListing, wanted: Map<string, ImageRef>): Promise<string[]> {
  const splits = new Set([...wanted.values()].map((r) => r.split));
  const stale = [...listing.files.keys()].filter((k) => !wanted.has(k)).map((k) => path.join(dir, k));
  const folders = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !splits.has(e.name)).map((e) => path.join(dir, e.name));
  return [...folders, ...stale.filter((f) => !folders.includes(path.dirname(f))), ...listing.strays];
}

async function download(absent: ImageRef[], o: SyncImagesOptions, d: DownloadSettings): Promise<DownloadOutcome> {
  const store = storeFolder(d.dataDir, d.base);
  const tmpRoot = path.join(d.dataDir, 'tmp');
  const tmpDir = path.join(tmpRoot, String(process.pid));
  // Temp files of killed runs (the cache's lock says no other process is running).
  for (const name of await readdir(tmpRoot).catch(() => [] as string[])) if (name !== String(process.pid)) await rm(path.join(tmpRoot, name), { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const jobs: DownloadJob[] = absent.map((ref) => {
    const dest = storePath(store, ref);
    return { ref, url: imageUrl(d.base, ref), dest, then: async () => void (await placeImage({ src: dest, dest: path.join(o.dir, ref.split, ref.file) })) };
  });
  const splits = new Set(absent.map((r) => path.join(o.dir, r.split)));
  for (const s of splits) await mkdir(s, { recursive: true });
  if (d.proxy) o.log(`downloading through the proxy ${shownProxy(d.proxy.url)} (${d.proxy.from})`);
  const { proxy, ...settings } = d;
  return downloadImages(jobs, { ...settings, ...(proxy ? { proxy: proxy.url } : {}), tmpDir, signal: o.signal, ...(o.progress ? { progress: o.progress } : {}), log: o.log });
}

/** `host`: what was asked (the images host, or the proxy), and what to check when it cannot be reached. */
function downloadFailures(out: DownloadOutcome, toDownload: number, inPlace: number, host: { name: string; check: string }): DiagnosticError {
  const lines = out.failed.slice(0, 5).map((f) => `  ${f.url}: ${f.message}`);
  if (out.failed.length > 5) lines.push(`  … and ${count(out.failed.length - 5)} more`);
  const others = out.notTried ? ` the other ${count(out.notTried)} were not tried` : '';
  const why =
    out.hostDown !== undefined
      ? `; ${host.name} could not be reached, and it never answered${others ? `, so${others}` : ''} (${host.check})`
      : others
        ? `; after ${count(out.failed.length)} failures in a row${others} (is images_url right, and the server up?)`
        : '';
  const rerun = inPlace > 0 ? `The other ${count(inPlace)} image${inPlace === 1 ? ' is' : 's are'} in place; a rerun` : 'A rerun';
  return new DiagnosticError([
    {
      severity: 'error',
      message: `${count(out.failed.length + out.notTried)} of the ${count(toDownload)} images to download are missing${why}. ${rerun} fetches only what is missing:\n${lines.join('\n')}`,
    },
  ]);
}

/** Makes `o.dir` hold exactly the plan's images; says what it did through `o.log`. */
export async function syncImages(plan: ImagePlan, o: SyncImagesOptions): Promise<void> {
  checkUrls(plan);
  if (o.imagesRoot !== undefined) checkRoot(o.imagesRoot, o.dir);
  const refs = distinctImages(plan);
  const wanted = new Map(refs.map((r) => [key(r), r]));
  const listing = listFolder(o.dir);
  const missing = refs.filter((r) => !listing.files.has(key(r)));
  const store = o.download ? storeFolder(o.download.dataDir, o.download.base) : undefined;
  const sources = findSources(missing, o.dir, o.imagesRoot, store);
  if (sources.absent.length > 0 && !o.download) throw missingFromRoot(sources.absent, refs.length, o.imagesRoot!);
  await claimFolder(o.dir);
  const stale = await staleEntries(o.dir, listing, wanted);
  await removeAll(stale);
  const how = await placeImages(sources.placements, o.progress, o.signal);
  const parts = [`${count(refs.length - missing.length)} were in place`];
  if (sources.placements.length) parts.push(`placed ${describePlacement(how)} from ${sources.fromStore === sources.placements.length ? 'the download store' : sources.fromStore ? 'images_root and the download store' : 'images_root'}`);
  if (stale.length) parts.push(`removed ${count(stale.length)} of earlier runs`);
  o.log(`${displayPath(o.dir)}: ${count(refs.length)} images (${describeLists(plan)}): ${parts.join(', ')}`);
  if (sources.absent.length === 0) return;
  const out = await download(sources.absent, o, o.download!);
  o.log(`downloaded ${count(out.fetched)} images, ${out.meter.summary()}${out.failed.length + out.notTried ? `; ${count(out.failed.length + out.notTried)} failed` : ''}`);
  const d = o.download!;
  const host = d.proxy
    ? { name: `the proxy ${d.proxy.url.host} (${d.proxy.from})`, check: `is ${d.proxy.from} right, and is the proxy up?` }
    : { name: d.base.host, check: 'is images_url right, and is the network up?' };
  if (out.failed.length + out.notTried > 0) throw downloadFailures(out, sources.absent.length, refs.length - sources.absent.length + out.fetched, host);
}

function describeLists(plan: ImagePlan): string {
  return [plan.train, ...(plan.val ? [plan.val] : [])].map((l) => `${count(l.images.length)} in ${l.label}`).join(', ');
}

/**
 * When no image is to be placed (neither images_root nor downloads asked for): how far the
 * images folder, if an earlier run made one, is from this run's images; undefined when it is
 * right or absent.
 */
export function unplacedNote(plan: ImagePlan, dir: string): string | undefined {
  const listing = listFolder(dir);
  if (listing.files.size === 0 && listing.strays.length === 0) return undefined;
  const wanted = new Set(distinctImages(plan).map(key));
  const lacking = [...wanted].filter((k) => !listing.files.has(k)).length;
  const extra = [...listing.files.keys()].filter((k) => !wanted.has(k)).length;
  if (lacking === 0 && extra === 0) return undefined;
  const marked = existsSync(path.join(dir, MARKER));
  return `${displayPath(dir)} ${marked ? 'was made by an earlier run and ' : ''}lacks ${count(lacking)} of this run's images and holds ${count(extra)} other${extra === 1 ? '' : 's'}: it is not updated unless images_root or download_images is set`;
}
