/** "did you mean ...?" for misspelt names: the closest candidate within a small edit distance. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  return best !== undefined && bestDist <= limit ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c ? ` (did you mean \`${c}\`?)` : '';
}

/** Levenshtein distance, O(|a|·|b|); names here are short. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** `a, b and c` for messages (backquoted). */
export function listNames(names: readonly string[], max = 20): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, max).map((n) => `\`${n}\``);
  const more = names.length > max ? `, … (${names.length - max} more)` : '';
  return shown.join(', ') + more;
}
