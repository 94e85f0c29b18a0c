/**
 * The database (components/database.ts) in the whole program under Pulumi's mocks, with an external
 * MySQL: no in-cluster database, a schema Job, Trillian pointed at it, the password only in its Secret.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { modelFor, workloadOf } from "../support/program";
import { evaluateRecorded, registrations } from "../support/registrations";

describe("program: external database", () => {
    const password = "Ext3rnalDbPassw0rdForTests";
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({
            stack: "dev",
            overrides: {
                databaseMode: "external",
                databaseHost: "mysql.corp.example",
                databasePort: "3307",
                databasePassword: password,
                databaseEgressCidrs: "10.20.30.40/32",
            },
        });
    });

    it("runs no in-cluster database and loads the schema with a valid Job", () => {
        // Rekor v2's log is the only StatefulSet left (its own tile volume, not a database).
        assert.deepEqual(
            ev.cloud.ofType("kubernetes:apps/v1:StatefulSet").map((s) => s.name),
            ["rekor-v2-server"],
        );
        assert.ok(!ev.cloud.ofType("kubernetes:core/v1:PersistentVolumeClaim").some((p) => p.name.startsWith("database-")));
        const jobs = ev.cloud.ofType("kubernetes:batch/v1:Job");
        assert.equal(jobs.length, 1);
        new (modelFor(jobs[0].type))(jobs[0].inputs).validate();
        const env = jobs[0].inputs.spec.template.spec.containers[0].env;
        assert.ok(
            env.some((e: any) => e.name === "MYSQL_PWD" && e.valueFrom?.secretKeyRef),
            "the password reaches mysql from the Secret",
        );
    });

    it("points Trillian at the external host and port", () => {
        for (const image of [upstreamImages.trillianLogServer, upstreamImages.trillianLogSigner]) {
            const { container } = workloadOf(ev, image);
            assert.ok(
                container.args.includes("--mysql_uri=trillian:$(DB_PASSWORD)@tcp(mysql.corp.example:3307)/trillian?parseTime=true"),
                container.args.join(" "),
            );
        }
    });

    it("the configured password is only in the credentials Secret, as a secret", () => {
        const holders = ev.cloud.resources.filter((r) => JSON.stringify(r.inputs).includes(password));
        assert.deepEqual(
            holders.map((r) => r.type),
            ["kubernetes:core/v1:Secret"],
        );
        const reg = registrations(ev.cloud).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === holders[0].name)!;
        assert.ok(reg.secretInputPaths.some((p) => p.startsWith(".stringData")));
        assert.ok(!JSON.stringify(ev.outputs).includes(password));
    });
});
