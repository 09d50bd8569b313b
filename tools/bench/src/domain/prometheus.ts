/**
 * Sum of the samples of `metric` in a Prometheus text exposition whose labels include every
 * `name="value"` pair of `labels` (0 when there is none). Enough for counters and histogram
 * `_count`/`_sum` series; comments and other metrics are skipped.
 */
export function sumSamples(text: string, metric: string, labels: Readonly<Record<string, string>> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    // The name must end here: `foo_count` must not match `foo_count_total`.
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const close = rest.lastIndexOf('}');
    const labelText = rest[0] === '{' ? rest.slice(1, close) : '';
    if (!wanted.every((w) => labelText.split(/,(?=[a-zA-Z_][a-zA-Z0-9_]*=")/).includes(w))) continue;
    const value = Number(
      rest
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
