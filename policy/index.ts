/**
 * The sigstore-baseline policy pack: `pulumi preview --policy-pack policy` (docs/operations.md, "Policy as code").
 * The rules are in rules.ts; this file only registers them with the engine.
 */
import { PolicyPack } from "@pulumi/policy";
import { sigstoreBaseline } from "./rules";

new PolicyPack("sigstore-baseline", { policies: sigstoreBaseline });
