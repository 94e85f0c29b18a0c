/**
 * End-to-end, identityProvider "dex": the program's Dex, from its own config Secret, in front of a
 * real OpenLDAP (e2e/directory.ts), with Fulcio trusting Dex's TLS through oidcIssuerCaCert.
 *  - alice (corp.example, signers group) logs in through Dex's LDAP form, signs with cosign and the
 *    program's command, and verifies with the program's trusted root and policy;
 *  - bob (corp.example, no group) and eve (other.example, signers group) get no token at all, though
 *    the directory accepts their passwords: "only @corp, only signers" is enforced at the IdP.
 * Needs the Dex binary (SIGSTORE_DEX_BINARY, e2e/dex.ts) and Debian's slapd/ldap-utils; without
 * them this scenario reports itself NOT RUN, loudly, and the rest of the suite runs as before.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { dexIssuer, DexIssuer, dexUnavailable } from "./dex";
import { Directory, directoryUsers, signersGroup, slapdBinary, startDirectory } from "./directory";
import { shellResult, Stack, startStack } from "./harness";

/** Fulcio's OID for the OIDC issuer in a certificate (1.3.6.1.4.1.57264.1.8, the DER-encoded string form). */
const issuerV2Oid = "1.3.6.1.4.1.57264.1.8";

function unavailable(): string | undefined {
    if (!fs.existsSync(slapdBinary) || !fs.existsSync("/usr/bin/ldapadd")) return "slapd or ldap-utils is not installed (Debian packages slapd, ldap-utils)";
    return dexUnavailable();
}

describe("end-to-end: identityProvider dex, LDAP users through the program's Dex", function () {
    const missing = unavailable();
    if (missing) {
        it("NOT RUN: the Dex + LDAP scenario", function () {
            console.log(`\n    !!!!! NOT RUN: the Dex + LDAP identity scenario: ${missing} !!!!!\n`);
            this.skip();
        });
        return;
    }

    let work: string;
    let directory: Directory;
    let dex: DexIssuer;
    let stack: Stack;

    before(async function () {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "sigstore-e2e-dex-"));
        directory = await startDirectory(work);
        dex = await dexIssuer(work, directory);
        stack = await startStack({ log: (line) => console.log(`    ${line}`), database: "trillian_dex", issuer: dex });
    });

    after(async function () {
        await stack?.stop();
        await directory?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("the directory is what the scenario claims: passwords right, memberOf maintained", function () {
        for (const user of Object.values(directoryUsers)) {
            assert.equal(directory.whoami(user), `dn:uid=${user.uid},ou=people,dc=corp,dc=example`);
            assert.deepEqual(directory.memberOf(user), user.signer ? [signersGroup] : []);
        }
    });

    it("Fulcio, the signing config and the verify command name Dex's issuer", function () {
        assert.equal(stack.outputs.urls.oidcIssuer, dex.issuerUrl);
        assert.ok(JSON.parse(stack.outputs.signingConfig).oidcUrls.some((u: { url: string }) => u.url === dex.issuerUrl));
        assert.ok(stack.outputs.cosign.v3.verify.includes(`--certificate-oidc-issuer=${dex.issuerUrl}`), stack.outputs.cosign.v3.verify);
    });

    it("alice (corp.example, signers) gets a token, signs and verifies; her certificate names her and Dex", async function () {
        const login = await dex.login(directoryUsers.alice);
        assert.ok(login.idToken, `alice was refused: ${login.refusal}`);
        const claims = JSON.parse(Buffer.from(login.idToken.split(".")[1], "base64url").toString());
        assert.deepEqual([claims.iss, claims.email, claims.email_verified], [dex.issuerUrl, "alice@corp.example", true]);
        assert.ok(claims.exp - claims.iat <= 600, "ID tokens live 10 minutes at most");

        fs.writeFileSync(path.join(stack.work, "artifact"), `release by alice ${Date.now()}\n`);
        const sign = await shellResult(stack.sh(`${stack.outputs.cosign.v3.sign} --identity-token="$ID_TOKEN"`, { ID_TOKEN: login.idToken }));
        assert.equal(sign.status, 0, `cosign sign-blob failed:\n${sign.output}\n${stack.logs()}`);
        const verify = await shellResult(stack.sh(stack.outputs.cosign.v3.verify));
        assert.equal(verify.status, 0, `cosign verify-blob failed:\n${verify.output}`);

        const bundle = JSON.parse(fs.readFileSync(path.join(stack.work, "artifact.sigstore.json"), "utf8"));
        const cert = new x509.X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64"));
        const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
        assert.deepEqual(
            san.names.items.map((n) => n.value),
            ["alice@corp.example"],
        );
        const issuer = cert.getExtension(issuerV2Oid);
        assert.ok(issuer && Buffer.from(issuer.value).toString("utf8").includes(dex.issuerUrl), "the certificate records Dex as the issuer");
    });

    for (const [who, why] of [
        ["bob", "in corp.example but not in the signers group"],
        ["eve", "in the signers group but of other.example"],
    ] as const) {
        it(`${who} (${why}) gets no token from Dex, though the directory accepts the password`, async function () {
            const login = await dex.login(directoryUsers[who]);
            assert.equal(login.idToken, undefined, `${who} got a token`);
            assert.match(login.refusal ?? "", /Invalid|incorrect/i, `${who}: ${login.refusal}`);
        });
    }

    it("StartTLS (ldapTransport starttls): Dex upgrades the directory connection it would not be allowed to bind on in plain text; still only alice", async function () {
        assert.ok(directory.plainBindRefused(), "the directory accepts a plain-text bind: the StartTLS check would prove nothing");
        await stack.cluster.stop("dex");
        const next = await stack.reconfigure({ ldapTransport: "starttls", ldapPort: String(directory.startTlsPort) }, []);
        const config = next.cloud.ofType("kubernetes:core/v1:Secret").find((r) => r.name === "dex-config")!.inputs.stringData["config.yaml"];
        assert.match(config, /startTLS: true/);
        await dex.start(stack.cluster);
        const alice = await dex.login(directoryUsers.alice);
        assert.ok(alice.idToken, `alice was refused over StartTLS: ${alice.refusal}`);
        for (const user of [directoryUsers.bob, directoryUsers.eve])
            assert.equal((await dex.login(user)).idToken, undefined, `${user.uid} got a token over StartTLS`);
    });
});
