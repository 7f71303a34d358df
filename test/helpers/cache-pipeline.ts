/** The small pipeline of test steps that the runner cache tests share. */
import { runCli, statuses, Workspace } from './runner-fixture.js';

export const PIPELINE = `# a small pipeline of test steps
params:
  suffix: "!"
  input: data/in.txt
steps:
  src:
    type: source
    options: { path: "\${params.input}" }
  up:
    type: upper
    inputs: { text: src }
    options: { suffix: "\${params.suffix}" }
  other:
    type: source
    options: { path: data/other.txt }
  both:
    type: concat
    inputs: { a: up, b: other.text }
  n:
    type: count
    inputs: { text: both }
  out:
    type: write
    inputs: { text: both }
    options: { out: out/result.txt }
`;

export function setup(): Workspace {
  const ws = new Workspace();
  ws.write('data/in.txt', 'hello world');
  ws.write('data/other.txt', 'other text');
  ws.write('p.yaml', PIPELINE);
  return ws;
}

export async function run(ws: Workspace, ...args: string[]) {
  const r = await runCli(['run', 'p.yaml', '--json', ...args], { cwd: ws.dir });
  return { ...r, status: r.events.length ? statuses(r.events) : {} };
}

export const ALL_CACHED = { src: 'cached', up: 'cached', other: 'cached', both: 'cached', n: 'cached', out: 'cached' };
