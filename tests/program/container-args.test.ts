/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: container flags the
 * real binaries accept (tests/support/upstream-flags.ts), and no $(VAR) Kubernetes would pass literally.
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../support/mocks";
import { containers, describeEachStack } from "../support/program";
import { Binary, checkArgs } from "../support/upstream-flags";

const binaryByImage: Array<[RegExp, Binary]> = [
    [/\/log_server[:@]/, "trillian_log_server"],
    [/\/log_signer[:@]/, "trillian_log_signer"],
    [/\/rekor-server[:@]/, "rekor-server serve"],
    [/\/fulcio[:@]/, "fulcio serve"],
    [/\/ctfe[:@]/, "ct_server"],
    [/\/timestamp-server[:@]/, "timestamp-server serve"],
    [/\/rekor-tiles\/posix[:@]/, "posix serve"],
];
/** Images whose arguments are not flags of a Sigstore binary (checked elsewhere or have none). */
const imagesWithoutFlagCheck = [/\/redis[:@]/, /\/db_server[:@]/, /\/nginx-unprivileged[:@]/];

describeEachStack(({ stack, evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("every container's args pass checkArgs for its binary", () => {
        const seen = new Set<Binary>();
        const problems: string[] = [];
        for (const { resource, container } of containers(ev)) {
            const binary = binaryByImage.find(([re]) => re.test(container.image))?.[1];
            if (!binary) {
                assert.ok(
                    imagesWithoutFlagCheck.some((re) => re.test(container.image)),
                    `${resource.name}: no binary known for image ${container.image}`,
                );
                continue;
            }
            seen.add(binary);
            assert.ok(Array.isArray(container.args) && container.args.length > 0, `${resource.name} passes flags`);
            assert.equal(container.command, undefined, `${resource.name}: args go to the image's entrypoint`);
            problems.push(...checkArgs(binary, container.args).map((p) => `${resource.name}: ${p}`));
        }
        assert.deepEqual(problems, []);
        // Rekor v2 runs only with rekorVersion v2: in the dev stack, not in prod.
        const expected = binaryByImage.map(([, b]) => b).filter((b) => stack === "dev" || b !== "posix serve");
        assert.deepEqual([...seen].sort(), expected.sort(), "every Sigstore binary was checked");
    });

    it("every $(VAR) in container args refers to an env var of that container", () => {
        for (const { resource, container } of containers(ev)) {
            const env = new Set((container.env ?? []).map((e: any) => e.name));
            for (const arg of [...(container.args ?? []), ...(container.command ?? [])]) {
                for (const m of String(arg).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
                    assert.ok(
                        env.has(m[1]),
                        `${resource.name}: ${arg} uses $(${m[1]}), which the container does not define (Kubernetes would pass it literally)`,
                    );
                }
            }
        }
    });
});
