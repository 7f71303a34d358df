/** Renderings of a pipeline's DAG: an indented text listing, Mermaid and Graphviz dot. */
import type { Pipeline } from '../pipeline/types.js';
import { relPosix } from '../pipeline/pipeline.js';

export type DagFormat = 'text' | 'mermaid' | 'dot';
export const DAG_FORMATS: readonly DagFormat[] = ['text', 'mermaid', 'dot'];

export function renderDag(p: Pipeline, format: DagFormat): string {
  switch (format) {
    case 'text':
      return textDag(p);
    case 'mermaid':
      return mermaidDag(p);
    case 'dot':
      return dotDag(p);
  }
}

function textDag(p: Pipeline): string {
  const lines: string[] = [];
  for (const id of p.order) {
    const s = p.steps.get(id)!;
    lines.push(`${id} (${s.type})${s.description ? ` — ${s.description}` : ''}`);
    for (const inp of Object.values(s.inputs)) lines.push(`  ← ${inp.name}: ${inp.step}.${inp.output} (${inp.kind})`);
    for (const f of s.files) lines.push(`  ← ${f.option}: file ${f.rel}`);
    for (const [name, spec] of Object.entries(s.module.outputs)) {
      const to = s.outputPaths[name] ? ` → ${relPosix(p.dir, s.outputPaths[name]!)}` : '';
      lines.push(`  → ${name} (${spec.kind})${to}`);
    }
  }
  return lines.join('\n') + '\n';
}

const mid = (s: string) => 's_' + s.replace(/[^A-Za-z0-9_]/g, '_');
const esc = (s: string) => s.replace(/"/g, '#quot;');

function mermaidDag(p: Pipeline): string {
  const lines = ['flowchart LR'];
  const files = new Map<string, string>();
  const fileNode = (rel: string) => {
    let n = files.get(rel);
    if (!n) {
      n = `f${files.size}`;
      files.set(rel, n);
      lines.push(`  ${n}[/"${esc(rel)}"/]`);
    }
    return n;
  };
  for (const id of p.order) {
    const s = p.steps.get(id)!;
    lines.push(`  ${mid(id)}["${esc(id)}<br/><i>${esc(s.type)}</i>"]`);
  }
  for (const id of p.order) {
    const s = p.steps.get(id)!;
    for (const inp of Object.values(s.inputs)) lines.push(`  ${mid(inp.step)} -->|${esc(inp.output === inp.name ? inp.name : `${inp.output} → ${inp.name}`)}| ${mid(id)}`);
    for (const f of s.files) lines.push(`  ${fileNode(f.rel)} -.-> ${mid(id)}`);
    for (const [name, abs] of Object.entries(s.outputPaths)) lines.push(`  ${mid(id)} -.->|${esc(name)}| ${fileNode(relPosix(p.dir, abs))}`);
  }
  return lines.join('\n') + '\n';
}

function dotDag(p: Pipeline): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['digraph pipeline {', '  rankdir=LR;', '  node [shape=box, style=rounded, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const files = new Set<string>();
  const fileNode = (rel: string) => {
    if (!files.has(rel)) {
      files.add(rel);
      lines.push(`  ${q('file:' + rel)} [label=${q(rel)}, shape=note, style=""];`);
    }
    return q('file:' + rel);
  };
  for (const id of p.order) lines.push(`  ${q(id)} [label=${q(`${id}\n(${p.steps.get(id)!.type})`)}];`);
  for (const id of p.order) {
    const s = p.steps.get(id)!;
    for (const inp of Object.values(s.inputs)) lines.push(`  ${q(inp.step)} -> ${q(id)} [label=${q(inp.output === inp.name ? inp.name : `${inp.output} → ${inp.name}`)}];`);
    for (const f of s.files) lines.push(`  ${fileNode(f.rel)} -> ${q(id)} [style=dashed];`);
    for (const [name, abs] of Object.entries(s.outputPaths)) lines.push(`  ${q(id)} -> ${fileNode(relPosix(p.dir, abs))} [style=dashed, label=${q(name)}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
