/**
 * The `load` step's columnar Dataset as evaluation GT. The loader has already checked ids,
 * references, bboxes and areas (and reports them with their file positions); what box
 * evaluation needs beyond that is an `area` on every annotation, since the LVIS API tests its
 * area ranges on that field (a COCO or LVIS file always has it; a hand-made file may not).
 */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { TIERS, type Dataset } from '../dataset/dataset.js';
import { diagnosticWithPosition, locateOffsets } from '../json/locate.js';
import { indexGtColumns, type GtIndex } from './gt-index.js';
import { FREQUENCIES } from './params.js';
import { MAX_REPORTED } from './problems.js';

/** The evaluator's GtIndex of a loaded dataset; throws DiagnosticError (file:line:col) for an annotation without `area`. */
export async function gtIndexFromDataset(ds: Dataset): Promise<GtIndex> {
  const an = ds.annotations;
  const missingArea: number[] = [];
  let missing = 0;
  for (let k = 0; k < an.count; k++) {
    if (Number.isNaN(an.area[k]!)) {
      if (missingArea.length < MAX_REPORTED) missingArea.push(k);
      missing++;
    }
  }
  if (missing > 0) throw await missingAreaError(ds, missingArea, missing);
  // Dataset tiers index ['f', 'c', 'r']; the evaluator's index FREQUENCIES ['r', 'c', 'f'].
  const tierMap = TIERS.map((t) => FREQUENCIES.indexOf(t));
  return indexGtColumns({
    imageIds: ds.images.id,
    categoryIds: ds.categories.id,
    categoryNames: ds.categories.name,
    categoryTier: Uint8Array.from(ds.categories.tier, (t) => tierMap[t]!),
    neg: ds.images.negCategories,
    notExhaustive: ds.images.notExhaustiveCategories,
    annotationCount: an.count,
    annImage: an.image,
    annCategory: an.category,
    annBox: an.bbox,
    annArea: an.area,
    annId: an.id,
    imageHeight: ds.images.height,
    imageWidth: ds.images.width,
  });
}

async function missingAreaError(ds: Dataset, listed: number[], total: number): Promise<DiagnosticError> {
  const an = ds.annotations;
  const message = (k: number) =>
    `annotation #${k}${Number.isNaN(an.id[k]!) ? '' : ` (id ${an.id[k]})`} has no "area": LVIS box evaluation sorts ground truth into small/medium/large by that field, so every annotation needs one`;
  const located = listed.every((k) => !Number.isNaN(an.byteStart[k]!));
  let diagnostics: Diagnostic[];
  if (located) {
    const offsets = listed.map((k) => an.byteStart[k]!);
    const positions = await locateOffsets(ds.source.path, offsets);
    diagnostics = listed.map((k) => diagnosticWithPosition(ds.source.path, an.byteStart[k]!, positions.get(an.byteStart[k]!)!, message(k)));
  } else {
    diagnostics = listed.map((k) => ({ severity: 'error', message: message(k), location: { file: displayPath(ds.source.path) } }));
  }
  if (total > listed.length) {
    diagnostics.push({ severity: 'error', message: `… and ${total - listed.length} more annotation(s) without "area"`, location: { file: displayPath(ds.source.path) } });
  }
  return new DiagnosticError(diagnostics);
}
