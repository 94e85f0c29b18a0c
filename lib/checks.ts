/** Input checks shared by the renderers in lib/: each error names the field and what is wrong. */

export function requireText(value: string, field: string, why = ""): string {
    if (typeof value !== "string" || value.trim() === "") throw new Error(`${field} must be a non-empty string${why}`);
    return value;
}

/**
 * An absolute http(s) URL, used verbatim: no credentials, query, fragment or whitespace (clients
 * and Fulcio compare or extend these strings, they never normalise them).
 */
export function requireHttpUrl(value: string, field: string): string {
    const url = requireText(value, field);
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw new Error(`${field} is not an absolute URL: ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
        throw new Error(`${field} must use https:// (or http://), got ${JSON.stringify(url)}`);
    }
    if (/\s/.test(url) || parsed.username || parsed.password || url.includes("?") || url.includes("#")) {
        throw new Error(`${field} must be a plain URL without credentials, query, fragment or whitespace, got ${JSON.stringify(url)}`);
    }
    return url;
}
