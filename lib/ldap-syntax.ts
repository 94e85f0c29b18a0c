/** LDAP syntax: distinguished names (RFC 4514 in practice) and search filters (RFC 4515). */

/** `attr=value` pairs separated by commas, with `\\,` escapes inside values. */
const dnPattern = /^\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*([^,\\]|\\.)+(,\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*([^,\\]|\\.)+)*$/;

export function isDistinguishedName(v: string): boolean {
    return dnPattern.test(v) && !/[\n\r\0]/.test(v);
}

/** One parenthesised expression with balanced parentheses. */
export function isLdapFilter(v: string): boolean {
    if (!v.startsWith("(") || !v.endsWith(")") || /[\n\r\0]/.test(v)) return false;
    let depth = 0;
    for (let i = 0; i < v.length; i++) {
        if (v[i] === "\\") {
            i += 2;
            continue;
        } // \XX hex escape
        if (v[i] === "(") depth++;
        if (v[i] === ")" && --depth === 0 && i !== v.length - 1) return false;
        if (depth < 0) return false;
    }
    return depth === 0;
}

/** DNs separated by ";" (DNs themselves contain commas). */
export function parseDnList(v: string): string[] | undefined {
    const dns = v
        .split(";")
        .map((d) => d.trim())
        .filter((d) => d !== "");
    return dns.every(isDistinguishedName) ? dns : undefined;
}
