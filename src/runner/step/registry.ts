/**
 * The set of step types a runner knows. The runner is generic: the CLI hands it the
 * project's steps (src/steps/index.ts), tests hand it small test steps. A registry also
 * says where it can be re-imported from (a module URL and export name), so that a worker
 * thread can load the same steps for CPU-heavy work.
 */
import type { ArtifactKind, StepModule } from './step.js';

export interface RegistrySource {
  /** URL of the ES module that exports the step list (e.g. file:///.../dist/src/steps/index.js). */
  moduleUrl: string;
  /** Name of the export holding `StepModule[]`. */
  exportName: string;
}

/** The built-in kind every registry has: a file on disk (`storage: 'file'`). */
export const FILE_KIND: ArtifactKind = { name: 'file', storage: 'file', description: 'a file' };

export class StepRegistry {
  readonly modules: ReadonlyMap<string, StepModule>;
  readonly kinds: ReadonlyMap<string, ArtifactKind<any>>;
  readonly source: RegistrySource | undefined;

  constructor(modules: readonly StepModule[], source?: RegistrySource) {
    const byType = new Map<string, StepModule>();
    const kinds = new Map<string, ArtifactKind<any>>([[FILE_KIND.name, FILE_KIND]]);
    const problems: string[] = [];
    for (const m of modules) {
      if (byType.has(m.type)) problems.push(`two step modules declare type \`${m.type}\``);
      byType.set(m.type, m);
      for (const k of m.kinds ?? []) {
        const prev = kinds.get(k.name);
        if (prev && prev !== k) problems.push(`artifact kind \`${k.name}\` is declared twice (by \`${m.type}\` and another step) with different objects`);
        kinds.set(k.name, k);
      }
    }
    for (const m of modules) {
      for (const [name, spec] of Object.entries(m.inputs)) {
        if (!kinds.has(spec.kind)) problems.push(`step type \`${m.type}\`: input \`${name}\` has unknown kind \`${spec.kind}\``);
      }
      for (const [name, spec] of Object.entries(m.outputs)) {
        const kind = kinds.get(spec.kind);
        if (!kind) problems.push(`step type \`${m.type}\`: output \`${name}\` has unknown kind \`${spec.kind}\``);
        else if (spec.pathOption && kind.storage !== 'file') problems.push(`step type \`${m.type}\`: output \`${name}\` has a pathOption but kind \`${spec.kind}\` is not a file kind`);
      }
    }
    // A broken registry is a programming error, not a user mistake: fail loudly.
    if (problems.length) throw new Error(`invalid step registry:\n  ${problems.join('\n  ')}`);
    this.modules = byType;
    this.kinds = kinds;
    this.source = source;
  }

  get(type: string): StepModule | undefined {
    return this.modules.get(type);
  }

  kind(name: string): ArtifactKind<any> {
    const k = this.kinds.get(name);
    if (!k) throw new Error(`unknown artifact kind ${name}`);
    return k;
  }

  types(): string[] {
    return [...this.modules.keys()].sort();
  }
}

/** Loads a registry from its module URL (used by worker threads). */
export async function importRegistry(source: RegistrySource): Promise<StepRegistry> {
  const mod = (await import(source.moduleUrl)) as Record<string, unknown>;
  const list = mod[source.exportName];
  if (!Array.isArray(list)) throw new Error(`${source.moduleUrl} has no array export ${source.exportName}`);
  return new StepRegistry(list as StepModule[], source);
}
