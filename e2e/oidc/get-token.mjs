#!/usr/bin/env node
// Print an ID token (only the JWT, on stdout) for a user of e2e/oidc/issuer.mjs:
//
//   node e2e/oidc/get-token.mjs --issuer <url> --client-id <id> --user <email>
//
// Exit status 1 with a message on stderr on any failure; 2 on bad usage.

import { parseArgs } from "node:util";
import { getIdToken } from "./token-client.mjs";

let opt;
try {
    ({ values: opt } = parseArgs({
        options: { issuer: { type: "string" }, "client-id": { type: "string" }, user: { type: "string" } },
    }));
    if (!opt.issuer || !opt["client-id"] || !opt.user) throw new Error("--issuer, --client-id and --user are required");
} catch (err) {
    console.error(`get-token: ${err.message}\nusage: node e2e/oidc/get-token.mjs --issuer <url> --client-id <id> --user <email>`);
    process.exit(2);
}

try {
    const token = await getIdToken({ issuer: opt.issuer, clientId: opt["client-id"], user: opt.user });
    process.stdout.write(token); // no trailing newline: safe for `> file` + `cosign --identity-token=<file>`
} catch (err) {
    console.error(`get-token: ${err.message}${err.cause ? ` (${err.cause.message ?? err.cause})` : ""}`);
    process.exit(1);
}
