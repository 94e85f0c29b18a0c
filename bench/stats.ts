/** Nearest-rank percentile (NaN for no values): the one the benchmark's tables use. */
export function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length === 0 ? NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs `task` over `items` with `concurrency` workers; no new item starts after `timeBoundMs`.
 * Resolves to the elapsed milliseconds.
 */
export async function inParallel<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>, timeBoundMs = Infinity): Promise<number> {
    let next = 0;
    const start = performance.now();
    const deadline = start + timeBoundMs;
    const worker = async () => {
        while (next < items.length && performance.now() < deadline) await task(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    return performance.now() - start;
}

/** Prints a titled table: the first column left-aligned, the others right-aligned. */
export function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
    const cells = [header, ...rows.map((r) => r.map(String))];
    const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    console.log(`\n${title}\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
    for (const r of cells.slice(1)) console.log(line(r));
}
