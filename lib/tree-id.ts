/**
 * Trillian tree IDs: positive int64 values, written in decimal. createtree prints exactly one on
 * stdout followed by a newline (its logs go to stderr); anything else means something went wrong,
 * and we would rather fail the update than record garbage as a tree ID.
 */

const maxInt64 = 9223372036854775807n;

/** Returns the value when `text` is a canonical positive int64 in decimal, otherwise undefined. */
export function parsePositiveInt64(text: string): bigint | undefined {
    if (!/^[1-9]\d{0,18}$/.test(text)) return undefined;
    const n = BigInt(text);
    return n <= maxInt64 ? n : undefined;
}

/** Validates createtree's stdout and returns the tree ID as a decimal string. */
export function parseCreatetreeOutput(stdout: string, tree: string): string {
    const trimmed = stdout.replace(/\r?\n$/, "");
    if (parsePositiveInt64(trimmed) === undefined) {
        const shown = stdout.length > 200 ? `${stdout.slice(0, 200)}…` : stdout;
        throw new Error(
            `createtree for the ${tree} tree printed ${JSON.stringify(shown)} on stdout; expected only a tree ID ` +
                `(a positive 64-bit decimal integer and a newline). No tree ID was recorded; check the command's stderr above.`,
        );
    }
    return trimmed;
}

/**
 * Validates freezetree.sh's stdout (when the tree was frozen: RFC 3339 UTC to the second, and a
 * newline) and returns the time. It ends the retired key's validity in the trusted root.
 */
export function parseFreezeOutput(stdout: string, tree: string): string {
    const trimmed = stdout.replace(/\r?\n$/, "");
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(trimmed) || Number.isNaN(Date.parse(trimmed))) {
        const shown = stdout.length > 200 ? `${stdout.slice(0, 200)}…` : stdout;
        throw new Error(
            `freezetree for the ${tree} tree printed ${JSON.stringify(shown)} on stdout; expected only the time it was frozen ` +
                `(RFC 3339 UTC, e.g. 2026-11-26T19:40:00Z, and a newline). No freeze was recorded; check the command's stderr above.`,
        );
    }
    return trimmed;
}
