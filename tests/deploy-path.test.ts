/**
 * How `pulumi up` loads the program: Pulumi's Node.js host maps tsconfig `noCheck` to ts-node's
 * transpile-only mode (as PULUMI_NODEJS_TRANSPILE_ONLY=true does), so deploys do not pay for a type
 * check. Type safety stays in `npm test`, whose tsc overrides noCheck.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pluginVersions, toolchainVersion } from "../cluster/toolchain";

const root = path.resolve(__dirname, "..");
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8"));
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

describe("deploy path: the program loads transpile-only, type checks stay in npm test", () => {
    it("tsconfig sets noCheck (deploys transpile only) and an explicit rootDir (TypeScript 6 refuses transpiling without it: TS5011)", () => {
        assert.equal(tsconfig.compilerOptions.noCheck, true);
        assert.equal(tsconfig.compilerOptions.rootDir, ".");
    });

    it("npm test and npm run build type-check despite noCheck", () => {
        for (const script of ["test", "build"]) assert.match(pkg.scripts[script], /^tsc --noEmit -p \. --noCheck false\b/, script);
    });

    it("every program module compiles and loads in transpile-only mode, as under `pulumi up`", () => {
        const modules = [
            "versions.ts",
            ...fs
                .readdirSync(path.join(root, "config"))
                .filter((f) => f.endsWith(".ts"))
                .map((f) => `config/${f}`),
            ...fs
                .readdirSync(path.join(root, "components"))
                .filter((f) => f.endsWith(".ts"))
                .map((f) => `components/${f}`),
            ...fs
                .readdirSync(path.join(root, "lib"))
                .filter((f) => f.endsWith(".ts"))
                .map((f) => `lib/${f}`),
        ];
        const script = `require("ts-node").register({ transpileOnly: true, project: "tsconfig.json" });
            for (const m of ${JSON.stringify(modules)}) require("./" + m);
            process.stdout.write("loaded " + ${modules.length});`;
        const out = execFileSync(process.execPath, ["-e", script], {
            cwd: root,
            env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
            encoding: "utf8",
        });
        assert.equal(out, `loaded ${modules.length}`);
    });
});

describe("deploy path: the versions the cluster suite deploys with are the program's", () => {
    it("the Pulumi CLI built for the suite is the version of @pulumi/pulumi", () => {
        assert.equal(toolchainVersion("PULUMI_VERSION"), `v${pkg.dependencies["@pulumi/pulumi"]}`);
    });

    it("the plugins installed are the versions the npm packages request", () => {
        assert.deepEqual(pluginVersions(), {
            kubernetes: pkg.dependencies["@pulumi/kubernetes"],
            command: pkg.dependencies["@pulumi/command"],
            tls: pkg.dependencies["@pulumi/tls"],
            random: pkg.dependencies["@pulumi/random"],
        });
        assert.ok(
            Object.values(pluginVersions()).every((v) => /^\d+\.\d+\.\d+$/.test(v)),
            "exact versions, no ranges",
        );
    });
});
