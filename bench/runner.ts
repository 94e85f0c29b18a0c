/**
 * How every benchmark script runs: its `main` against an overall time bound, and every server the
 * e2e harness started stopped at the end, on error, on timeout and on Ctrl-C. `main` returns the
 * exit code.
 */
import { stopAllStacks } from "../e2e/harness";

export function runBenchmark(main: () => Promise<number>, timeoutMs: number): void {
    const shutdown = async (code: number): Promise<never> => {
        await stopAllStacks();
        process.exit(code);
    };
    process.once("SIGINT", () => void shutdown(130));
    process.once("SIGTERM", () => void shutdown(143));
    let timer: NodeJS.Timeout | undefined;
    const overall = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`benchmark exceeded ${timeoutMs / 1000} s`)), timeoutMs);
    });
    Promise.race([main(), overall]).then(
        (code) => {
            clearTimeout(timer);
            return shutdown(code);
        },
        (e) => {
            clearTimeout(timer);
            console.error(e instanceof Error ? (e.stack ?? e.message) : e);
            return shutdown(1);
        },
    );
}
