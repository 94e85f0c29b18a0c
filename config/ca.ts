/** Fulcio's CA: generated (self-signed or chained to the enterprise root), or in an HSM or a KMS. */
import { defaults } from "./defaults";
import { pem, subjectAttribute } from "./checks";
import { Reader } from "./reader";
import { CaConfig, caModes } from "./types";

export function readCa(r: Reader): CaConfig {
    const mode = r.oneOf("caMode", caModes, defaults.caMode);
    const common = {
        organization: r.string("caOrganization", defaults.caOrganization, subjectAttribute),
        commonName: r.string("caCommonName", defaults.caCommonName, subjectAttribute),
        // At least a day, at most 30 years: Fulcio refuses to issue past its CA's expiry.
        validityHours: r.int("caValidityHours", defaults.caValidityHours, 24, 262800),
        // Refused for pkcs11 and kms by the applicability rules (config/applicability.ts).
        generation: r.int("fulcioCaGeneration", defaults.fulcioCaGeneration, 1, 100),
    };
    switch (mode) {
        case "self-signed":
            return { mode, ...common };
        case "chained":
            return {
                mode,
                ...common,
                rootCertPem: r.required("caRootCert", pem("CERTIFICATE"), `when caMode is "chained": the enterprise root certificate (PEM)`),
                rootKeyPem: r.requiredSecret("caRootKey", `when caMode is "chained" (the enterprise root's private key, PEM)`),
            };
        case "pkcs11":
            return {
                mode,
                ...common,
                generation: 1,
                hsmRootId: r.required(
                    "caHsmRootId",
                    (v) => (/^\d+$/.test(v) ? undefined : "must be the numeric CKA_ID of the CA key in the HSM"),
                    `when caMode is "pkcs11"`,
                ),
                pkcs11Config: r.requiredSecret("caPkcs11Config", `when caMode is "pkcs11" (crypto11 JSON: Path, TokenLabel, Pin)`),
                certChainPem: r.required(
                    "caCertChain",
                    pem("CERTIFICATE"),
                    `when caMode is "pkcs11": the CA's public chain (PEM, root last) for the trusted root`,
                ),
            };
        case "kms":
            return {
                mode,
                ...common,
                generation: 1,
                kmsResource: r.required(
                    "caKmsResource",
                    (v) =>
                        /^(awskms|gcpkms|azurekms|hashivault):\/\/.+/.test(v)
                            ? undefined
                            : "must be a KMS URI such as hashivault://fulcio-ca or awskms:///arn:...",
                    `when caMode is "kms"`,
                ),
                certChainPem: r.required("caCertChain", pem("CERTIFICATE"), `when caMode is "kms": the CA's chain (PEM, issuing cert first, root last)`),
            };
    }
}
