/**
 * sigstore-js (npm `sigstore` 4, the newest major on Node 20) as a second, independent client, run
 * as its own process so that it trusts the ingress stand-in's CA the way Node does
 * (NODE_EXTRA_CA_CERTS, read at start). It knows nothing but the mirror and the initial root:
 *
 *   trusted-root <mirror> <root.json> <cache>             prints the trusted root @sigstore/tuf fetched
 *   sign <mirror> <root.json> <cache> <file> <bundle>     signs keyless (ID token in $ID_TOKEN) with the
 *                                                         URLs of the served signing_config.v0.2.json
 *   verify <mirror> <root.json> <cache> <file> <bundle> <email> <issuer>
 */
import * as fs from "node:fs";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { getTrustedRoot, initTUF } from "@sigstore/tuf";
import * as sigstore from "sigstore";

/** The first URL of a service list in signing config v0.2 (the program lists one per service). */
function firstUrl(config: any, list: string): string {
    const url = config[list]?.[0]?.url;
    if (!url) throw new Error(`the served signing config has no ${list}`);
    return url;
}

async function main([command, mirror, rootPath, cachePath, ...rest]: string[]): Promise<void> {
    const tuf = { mirrorURL: mirror, rootPath, cachePath };
    if (command === "trusted-root") {
        // Back to its JSON form (protobuf-specs), to compare with the exported file.
        process.stdout.write(JSON.stringify(TrustedRoot.toJSON(await getTrustedRoot(tuf))));
    } else if (command === "sign") {
        const [file, bundlePath] = rest;
        const client = await initTUF(tuf);
        const config = JSON.parse(await client.getTarget("signing_config.v0.2.json"));
        const bundle = await sigstore.sign(fs.readFileSync(file), {
            fulcioURL: firstUrl(config, "caUrls"),
            rekorURL: firstUrl(config, "rekorTlogUrls"),
            tsaServerURL: firstUrl(config, "tsaUrls"),
            identityToken: process.env.ID_TOKEN,
        });
        fs.writeFileSync(bundlePath, JSON.stringify(bundle));
    } else if (command === "verify") {
        const [file, bundlePath, email, issuer] = rest;
        await sigstore.verify(JSON.parse(fs.readFileSync(bundlePath, "utf8")), fs.readFileSync(file), {
            tufMirrorURL: mirror,
            tufRootPath: rootPath,
            tufCachePath: cachePath,
            certificateIdentityEmail: email,
            certificateIssuer: issuer,
        });
        process.stdout.write("verified\n");
    } else {
        throw new Error(`unknown command ${command}`);
    }
}

main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
});
