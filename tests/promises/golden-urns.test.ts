/**
 * Promise: a resource is never renamed without an alias. Pulumi identifies a resource by its URN
 * (stack, project, parent's type, type, name); a changed URN without an alias naming the old one
 * deletes the old resource and creates a new one: a new key, an empty volume, a second tree.
 *
 * tests/golden/<variant>.urns lists, sorted, one per line, the URN of every resource each variant of
 * tests/support/render.ts registers. Any difference fails. When the change is intended, rewrite the
 * files and commit their diff with the change:
 *
 *   UPDATE_GOLDEN=1 npx mocha --no-config -r ts-node/register --timeout 600000 tests/promises/golden-urns.test.ts
 *
 * (`UPDATE_GOLDEN=1 npx mocha tests/promises/golden-urns.test.ts` works too, but the project's
 * .mocharc.json adds the whole suite to the run.)
 *
 * Renames are checked against the committed file BEFORE it is rewritten, so UPDATE_GOLDEN cannot wave
 * one through: a URN that disappears while one of the same type (or the same name: a renamed type
 * token) appears must be named by an alias of a current resource, or the test fails and the file is
 * left as it was. To really replace a resource by another of its type, remove it and add the new one
 * in two separate updates of the golden files.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../support/mocks";
import { aliasesOf, RecordedAlias, Registration, registrations } from "../support/registrations";
import { evaluated, renderVariantNames } from "./stacks";

const goldenDir = path.join(repoRoot, "tests", "golden");
const updating = process.env.UPDATE_GOLDEN === "1";
const updateCommand = "UPDATE_GOLDEN=1 npx mocha --no-config -r ts-node/register --timeout 600000 tests/promises/golden-urns.test.ts";

const goldenFile = (variant: string) => path.join(goldenDir, `${variant}.urns`);

function readGolden(variant: string): string[] | undefined {
    const file = goldenFile(variant);
    return fs.existsSync(file)
        ? fs
              .readFileSync(file, "utf8")
              .split("\n")
              .filter((line) => line !== "")
        : undefined;
}

// ---- URNs as the mock monitor makes them ----

interface UrnParts {
    stack: string;
    project: string;
    qualifiedType: string;
    name: string;
}

function parseUrn(urn: string): UrnParts {
    const [head, project, qualifiedType, ...name] = urn.split("::");
    return { stack: head.replace(/^urn:pulumi:/, ""), project, qualifiedType, name: name.join("::") };
}

/** The resource type at the end of a URN's qualified type (after the parent's type and `$`). */
const typeOf = (urn: string) => parseUrn(urn).qualifiedType.split("$").pop()!;
const nameOf = (urn: string) => parseUrn(urn).name;

/**
 * A URN as @pulumi/pulumi's MockMonitor.newUrn builds it (the parent's own type, not its whole
 * chain): the golden files hold mock URNs, so aliases must resolve the same way to be compared.
 */
function urnOf(stack: string, project: string, parentUrn: string, type: string, name: string): string {
    const qualified = parentUrn ? `${parseUrn(parentUrn).qualifiedType.split("$").pop()}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** An alias as a URN: a spec's empty fields mean "as the resource is now". */
function aliasUrn(r: Registration, alias: RecordedAlias): string {
    if ("urn" in alias) return alias.urn;
    const own = parseUrn(r.urn);
    const s = alias.spec;
    const parent = s.noParent ? "" : s.parentUrn || r.parent;
    return urnOf(s.stack || own.stack, s.project || own.project, parent, s.type || r.type, s.name || r.name);
}

/**
 * Every earlier URN a resource answers to: its own aliases, and its name and type under each of its
 * parent's earlier URNs (the engine carries a parent's aliases over to its children).
 */
function formerUrns(r: Registration, byUrn: Map<string, Registration>): string[] {
    const own = aliasesOf(r).map((a) => aliasUrn(r, a));
    const parent = byUrn.get(r.parent);
    const inherited = parent
        ? formerUrns(parent, byUrn).map((p) => {
              const u = parseUrn(r.urn);
              return urnOf(u.stack, u.project, p, r.type, r.name);
          })
        : [];
    return [...own, ...inherited];
}

/** Renames since the golden list: URNs gone while one of their type or name appeared, that no alias names. */
function renamesWithoutAlias(golden: string[], regs: Registration[]): string[] {
    const current = new Set(regs.map((r) => r.urn));
    const before = new Set(golden);
    const removed = golden.filter((urn) => !current.has(urn));
    const added = [...current].filter((urn) => !before.has(urn));
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const aliased = new Set(regs.flatMap((r) => formerUrns(r, byUrn)));
    return removed.flatMap((old) => {
        const successors = added.filter((urn) => typeOf(urn) === typeOf(old) || nameOf(urn) === nameOf(old));
        if (successors.length === 0 || aliased.has(old)) return [];
        return [`${old}\n    disappeared while ${successors.join(", ")} appeared, and no resource has an alias naming it.\n    ${aliasHint(old, successors)}`];
    });
}

/** What alias the renamed resource (or its parent) needs. */
function aliasHint(old: string, successors: string[]): string {
    const sameName = successors.some((urn) => nameOf(urn) === nameOf(old) && typeOf(urn) === typeOf(old));
    return sameName
        ? `Its parent or its parent's type changed: give the parent component aliases: [{ type: "<old type>" }] (its children follow), or the resource aliases: [{ parent: <old parent> }].`
        : `Give the renamed resource aliases: [{ name: "${nameOf(old)}" }] (add type or parent if those changed too).`;
}

function differences(golden: string[], current: string[]): string[] {
    const before = new Set(golden);
    const now = new Set(current);
    return [...current.filter((u) => !before.has(u)).map((u) => `+ ${u}`), ...golden.filter((u) => !now.has(u)).map((u) => `- ${u}`)];
}

describe("promise: no resource is renamed without an alias (golden URN lists)", function () {
    this.timeout(600_000);

    for (const name of renderVariantNames) {
        it(`${name}: every URN gone since tests/golden/${name}.urns while one of its type appeared is named by an alias`, async () => {
            const regs = registrations((await evaluated(name)).cloud);
            const problems = renamesWithoutAlias(readGolden(name) ?? [], regs);
            if (problems.length) assert.fail(`${name}: renamed without an alias (UPDATE_GOLDEN=1 will not accept this):\n  ${problems.join("\n  ")}`);
        });

        it(`${name}: registers exactly the URNs of tests/golden/${name}.urns`, async () => {
            const regs = registrations((await evaluated(name)).cloud);
            assert.equal(regs.length, new Set(regs.map((r) => r.urn)).size, `${name}: two resources share a URN`);
            const current = regs.map((r) => r.urn).sort();
            const golden = readGolden(name);
            if (updating && renamesWithoutAlias(golden ?? [], regs).length === 0) {
                fs.mkdirSync(goldenDir, { recursive: true });
                fs.writeFileSync(goldenFile(name), current.join("\n") + "\n");
                return;
            }
            assert.ok(golden, `tests/golden/${name}.urns does not exist: create it with\n  ${updateCommand}`);
            const diff = differences(golden, current);
            if (diff.length)
                assert.fail(
                    `${name}: the URNs differ from tests/golden/${name}.urns:\n  ${diff.join("\n  ")}\n` +
                        `If this is intended, rewrite the golden files and commit their diff:\n  ${updateCommand}`,
                );
        });
    }

    it("every golden file belongs to a variant of tests/support/render.ts", () => {
        const files = fs.existsSync(goldenDir) ? fs.readdirSync(goldenDir).filter((f) => f.endsWith(".urns")) : [];
        const stale = files.filter((f) => !renderVariantNames.includes(f.replace(/\.urns$/, "")));
        assert.deepEqual(stale, [], `golden files of no variant: delete them (tests/golden/${stale.join(", tests/golden/")})`);
    });
});
