/**
 * The artifact kinds of lvis-pipe's steps: how each domain value is stored in the cache. The
 * domain modules know nothing of the cache; a kind pairs a name with a codec. Small results are
 * JSON; the dataset and the histograms (millions of numbers) have binary codecs of their own.
 */
import type { ArtifactKind } from '../runner/step/step.js';
import { decodeDataset, encodeDataset } from '../lvis/dataset/codec.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import type { CategoryAp } from '../lvis/eval/evaluate.js';
import type { ChartSet } from '../lvis/plots/types.js';
import type { KeptCategories } from '../lvis/prune/kept-categories.js';
import type { GtImages } from '../lvis/prune/prune-gt.js';
import type { ImagePlan } from '../lvis/images/plan.js';
import type { ReportContent } from '../lvis/report/model.js';
import { decodeHistograms, encodeHistograms, type Histograms } from '../lvis/sampler/histograms.js';
import type { SampleQuality } from '../lvis/sampler/quality.js';
import type { RareQuotas } from '../lvis/sampler/quotas.js';
import type { Sample } from '../lvis/sampler/sample.js';
import type { SampleDetails } from '../lvis/sampler/sampler.js';
import type { TargetMix } from '../lvis/sampler/target-mix.js';
import type { TierStats } from '../lvis/sampler/tier-stats.js';

function jsonKind<T>(name: string, description: string): ArtifactKind<T> {
  return {
    name,
    storage: 'value',
    description: `${description} (JSON)`,
    encode: (value) => new TextEncoder().encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as T,
  };
}

export const datasetKind: ArtifactKind<Dataset> = {
  name: 'lvis.dataset',
  storage: 'value',
  description: 'An LVIS/COCO detection dataset in columnar form (categories, images, annotations, source byte ranges)',
  encode: encodeDataset,
  decode: decodeDataset,
};

export const histogramsKind: ArtifactKind<Histograms> = {
  name: 'lvis.histograms',
  storage: 'value',
  description: 'Per-tier reference counts per (category, size) and each image’s sparse contribution (binary typed arrays)',
  encode: encodeHistograms,
  decode: decodeHistograms,
};

export const tierStatsKind = jsonKind<TierStats>('lvis.tier-stats', 'Per-tier counts of categories, annotations and images, and totals');
export const targetMixKind = jsonKind<TargetMix>('lvis.target-mix', 'Target share of images per tier, blended from annotation and class shares');
export const rareQuotasKind = jsonKind<RareQuotas>('lvis.rare-quotas', 'Per rare category: annotations, images and its image quota clipped by rare_cap');
export const sampleKind = jsonKind<Sample>('lvis.sample', 'A sampled subset: selected image indices and ids (selection order) and the kept categories');
export const sampleQualityKind = jsonKind<SampleQuality>('lvis.sample-quality', 'Quality metrics of a sample against the full set: a flat record of numbers');
export const sampleDetailsKind = jsonKind<SampleDetails>(
  'lvis.sample-details',
  'Per-tier and per-(category, size) shares full vs subset, objective trace and rare quota usage of a sample',
);
export const keptCategoriesKind = jsonKind<KeptCategories>('lvis.kept-categories', 'The categories a subset keeps: ids (ascending) and names');
export const gtImagesKind = jsonKind<GtImages>('lvis.image-ids', 'The image ids of a GT file, in file order, with their heights and widths');
export const chartsKind = jsonKind<ChartSet>('lvis.charts', 'The charts of a run: Vega-Lite specs with their data inline');
export const reportContentKind = jsonKind<ReportContent>('lvis.report-content', 'What a run report shows besides the run itself: its title and charts');
export const evalMetricsKind = jsonKind<Record<string, number>>(
  'lvis.eval-metrics',
  'LVIS metrics as the LVIS API names them (AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300; -1: nothing to average) for box AP, and with the prefix segm/ for mask AP: a flat record of numbers',
);
export const imagePlanKind = jsonKind<ImagePlan>('lvis.image-plan', 'The images of a run: each one’s id, split folder, file name, width and height, for the subset and the pruned val');
export const categoryApKind = jsonKind<CategoryAp[]>('lvis.category-ap', 'The AP of each category of the GT: id, name, frequency, ap (-1: no GT)');
