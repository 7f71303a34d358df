/**
 * glibc's transparent huge pages for a benchmark's child processes (huge-pages.ts, and
 * eval-masks.ts's extra rows): `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, which glibc reads when
 * a process starts, and whether this machine can use it.
 */
import { existsSync, readFileSync } from 'node:fs';

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** The kernel's THP mode (`always`, `madvise` or `never`), or why there is none to read. */
export function thpMode(): string {
  const file = '/sys/kernel/mm/transparent_hugepage/enabled';
  if (process.platform !== 'linux') return 'none (not Linux)';
  if (!existsSync(file)) return `none (no ${file})`;
  return /\[(\w+)\]/.exec(readFileSync(file, 'utf8'))?.[1] ?? 'unknown';
}

export function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

/** Why the setting cannot help here (undefined when it can), and what was found. */
export function hugePagesUnavailable(): { unavailable: string | undefined; found: string } {
  const mode = thpMode();
  const glibc = glibcVersion();
  const found = `THP mode \`${mode}\`, glibc ${glibc ?? 'not found'}`;
  const [major, minor] = (glibc ?? '0.0').split('.').map(Number);
  const ok = mode === 'madvise' && (major! > 2 || (major === 2 && minor! >= 35));
  return { unavailable: ok ? undefined : `the setting needs Linux with glibc ≥ 2.35 and the kernel's THP in \`madvise\` mode; this machine has ${found}`, found };
}

/** This process's environment for a child, without GLIBC_TUNABLES, or with only the setting. */
export function hugePagesEnv(huge: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GLIBC_TUNABLES;
  if (huge) env.GLIBC_TUNABLES = HUGE_PAGES_TUNABLE;
  return env;
}
