/** The pipeline's `sweep:` section: its names and values must fit the params and the steps. */
import { checkParamValue, isPlainObject, type ParamDecl } from './params.js';
import { type Diagnostic } from '../../base/diagnostic.js';
import { didYouMean, listNames } from '../../base/suggest.js';
import { YamlSource, type DocPath } from './yaml-source.js';
import type { ResolvedStep } from './types.js';

export function checkSweep(
  sweep: Record<string, unknown>,
  src: YamlSource,
  decls: Map<string, ParamDecl>,
  steps: ReadonlyMap<string, ResolvedStep>,
  diags: Diagnostic[],
): void {
  const known = [...decls.keys()];
  const check = (name: string, keyAt: DocPath, part: 'key' | 'value' = 'key') => {
    const decl = decls.get(name);
    if (!decl) {
      diags.push(src.diagnosticAt(keyAt, `sweep: unknown param \`${name}\`${didYouMean(name, known)}; the pipeline's params are ${listNames(known)}`, part));
      return false;
    }
    return true;
  };
  // Metric names: `metric` cannot be checked before the run (a metrics output's names are
  // its values' keys), but the `step.output.` of `step.output.metric` can.
  const metricsOutputs = [...steps.values()].flatMap((st) => Object.entries(st.module.outputs).filter(([, o]) => o.metrics).map(([name]) => `${st.id}.${name}`));
  const checkMetric = (name: unknown, at: DocPath) => {
    if (typeof name !== 'string') return;
    const parts = name.replace(/\?$/, '').split('.');
    if (parts.length < 3) return;
    const prefix = `${parts[0]}.${parts[1]}`;
    if (metricsOutputs.includes(prefix)) return;
    diags.push(
      src.diagnosticAt(
        at,
        `sweep: metric \`${name}\`: \`${prefix}\` is not a metrics output${didYouMean(prefix, metricsOutputs)}; ` +
          (metricsOutputs.length ? `the pipeline's metrics outputs: ${listNames(metricsOutputs)}` : 'the pipeline has no metrics output'),
      ),
    );
  };
  checkMetric(sweep.sort_by, ['sweep', 'sort_by']);
  if (Array.isArray(sweep.metrics)) sweep.metrics.forEach((m, i) => checkMetric(m, ['sweep', 'metrics', i]));
  if (isPlainObject(sweep.chart)) {
    checkMetric(sweep.chart.y, ['sweep', 'chart', 'y']);
    for (const k of ['x', 'color'] as const) if (typeof sweep.chart[k] === 'string') check(sweep.chart[k], ['sweep', 'chart', k], 'value');
  }
  if (isPlainObject(sweep.grid)) {
    for (const [name, values] of Object.entries(sweep.grid)) {
      if (!check(name, ['sweep', 'grid', name]) || !Array.isArray(values)) continue;
      values.forEach((v, i) => {
        const problem = checkValue(decls.get(name)!, v);
        if (problem) diags.push(src.diagnosticAt(['sweep', 'grid', name, i], `sweep: param \`${name}\` ${problem}`));
      });
    }
  }
  if (Array.isArray(sweep.variants)) {
    sweep.variants.forEach((variant, i) => {
      if (!isPlainObject(variant)) return;
      for (const [name, v] of Object.entries(variant)) {
        if (!check(name, ['sweep', 'variants', i, name])) continue;
        const problem = checkValue(decls.get(name)!, v);
        if (problem) diags.push(src.diagnosticAt(['sweep', 'variants', i, name], `sweep: param \`${name}\` ${problem}`));
      }
    });
  }
}

function checkValue(decl: ParamDecl, v: unknown): string | undefined {
  return checkParamValue(decl.type, v);
}
