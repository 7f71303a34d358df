/**
 * A step type's documentation, derived from its declaration (src/runner/step/options.ts): what
 * `lvis-pipe steps TYPE` prints and what the generated reference (docs/reference/steps.md)
 * holds, so that the two can never disagree with the code.
 */
import { describeOptions, type OptionDoc } from '../runner/step/options.js';
import type { StepRegistry } from '../runner/step/registry.js';
import type { StepModule } from '../runner/step/step.js';

export interface StepDoc {
  type: string;
  description: string;
  inputs: { name: string; kind: string; optional: boolean; description: string }[];
  outputs: { name: string; kind: string; pathOption?: string; metrics: boolean; description: string }[];
  options: OptionDoc[];
}

export function stepDoc(m: StepModule): StepDoc {
  return {
    type: m.type,
    description: m.description,
    inputs: Object.entries(m.inputs).map(([name, s]) => ({ name, kind: s.kind, optional: s.optional === true, description: s.description ?? '' })),
    outputs: Object.entries(m.outputs).map(([name, s]) => ({
      name,
      kind: s.kind,
      ...(s.pathOption ? { pathOption: s.pathOption } : {}),
      metrics: s.metrics === true,
      description: s.description ?? '',
    })),
    options: describeOptions(m.optionsSchema),
  };
}

export function stepDocs(registry: StepRegistry): StepDoc[] {
  return registry.types().map((t) => stepDoc(registry.get(t)!));
}

/** Plain text for a terminal: the step's inputs, outputs and options, one per line. */
export function stepDocText(d: StepDoc): string {
  const lines = [`${d.type}: ${d.description}`, ''];
  lines.push('inputs:');
  if (d.inputs.length === 0) lines.push('  (none)');
  for (const i of d.inputs) lines.push(`  ${i.name} (${i.kind}${i.optional ? ', optional' : ''})  ${i.description}`);
  lines.push('', 'outputs:');
  for (const o of d.outputs) lines.push(`  ${o.name} (${o.kind}${o.pathOption ? `, written at option ${o.pathOption}` : ''}${o.metrics ? ', metrics' : ''})  ${o.description}`);
  lines.push('', 'options:');
  if (d.options.length === 0) lines.push('  (none)');
  for (const o of d.options) {
    lines.push(`  ${o.name}: ${o.type}${o.default !== undefined ? `; default ${o.default}` : ''}`);
    if (o.description) lines.push(`      ${o.description}`);
  }
  return lines.join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown for the reference docs. */
export function stepDocMarkdown(d: StepDoc): string {
  const out = [`## \`${d.type}\``, '', d.description, ''];
  out.push('| input | kind | |', '|---|---|---|');
  if (d.inputs.length === 0) out.push('| (none) | | |');
  for (const i of d.inputs) out.push(`| \`${i.name}\` | \`${i.kind}\`${i.optional ? ' (optional)' : ''} | ${cell(i.description)} |`);
  out.push('', '| output | kind | |', '|---|---|---|');
  for (const o of d.outputs) {
    const where = o.pathOption ? ` Written where option \`${o.pathOption}\` says.` : '';
    out.push(`| \`${o.name}\` | \`${o.kind}\`${o.metrics ? ' (metrics)' : ''} | ${cell(o.description)}${where} |`);
  }
  out.push('', '| option | type | default | meaning |', '|---|---|---|---|');
  if (d.options.length === 0) out.push('| (none) | | | |');
  for (const o of d.options) out.push(`| \`${o.name}\` | ${cell(o.type)} | ${o.default !== undefined ? `\`${cell(o.default)}\`` : '—'} | ${cell(o.description)} |`);
  return out.join('\n');
}
