/**
 * The documentation stays true to the repository: the configuration reference is exactly what
 * Pulumi.yaml renders to (docs/config-reference.ts), every relative link in the README and docs/
 * reaches a file (and, with #, a heading of it), and the README stays a newcomer's page.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { secretKeys } from "../config";
import { configReference, githubSlug, parseConfigSchema } from "../docs/config-reference";

const root = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const projectText = read("Pulumi.yaml");

/** Every .md file under a directory, as paths relative to the repository root. */
function markdownFiles(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : markdownFiles(rel);
        return e.name.endsWith(".md") ? [rel] : [];
    });
}

/** A Markdown text without its fenced code blocks. */
function withoutFences(markdown: string): string {
    return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** A Markdown text without code (links there are not links). */
function withoutCode(markdown: string): string {
    return withoutFences(markdown).replace(/`[^`\n]*`/g, "");
}

/** The anchors GitHub gives a Markdown file's headings (a repeated heading gets -1, -2, …). */
function anchors(markdown: string): Set<string> {
    const seen = new Map<string, number>();
    const result = new Set<string>();
    for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
        const slug = githubSlug(m[1]);
        const n = seen.get(slug) ?? 0;
        seen.set(slug, n + 1);
        result.add(n === 0 ? slug : `${slug}-${n}`);
    }
    return result;
}

/** The targets of a file's inline links and images, outside code. */
function linkTargets(markdown: string): string[] {
    return [...withoutCode(markdown).matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

describe("documentation", () => {
    it("docs/configuration.md is what Pulumi.yaml renders to", () => {
        assert.equal(read("docs/configuration.md"), configReference(projectText), "docs/configuration.md is stale: run `npm run docs:config`");
    });

    it("the configuration reference has a row for every declared key and every secret key", () => {
        const reference = read("docs/configuration.md");
        const declared = Object.keys(YAML.parse(projectText).config);
        for (const key of [...declared, ...secretKeys]) {
            const rows = reference.match(new RegExp(`^\\| \`${key}\` \\|`, "gm")) ?? [];
            assert.equal(rows.length, 1, `docs/configuration.md has ${rows.length} rows for ${key}`);
        }
    });

    it("the secret keys Pulumi.yaml's header lists are exactly config/'s, and every key has a description", () => {
        const { sections, secretKeys: documented } = parseConfigSchema(projectText);
        assert.deepEqual(documented.map((k) => k.key).sort(), [...secretKeys].sort());
        for (const k of [...sections.flatMap((s) => s.keys), ...documented]) assert.ok(k.description.length > 10, `${k.key} has no real description`);
    });

    it("the generator: sections, required keys, defaults, escaping and links to docs/ pages", () => {
        const md = configReference(
            [
                "name: p",
                "# Secret keys, not declared:",
                "#   token  A token; see docs/identity.md.",
                "config:",
                "  # --- First ---",
                "  # The note, with `<code>` and <html>.",
                "  a:",
                "    type: string",
                '    description: A, see docs/operations.md, "Stack setup"; a | b.',
                "  # required: config/ needs it",
                "  b:",
                "    type: integer",
                "    default: 0",
                "    description: B.",
                "  # --- Second ---",
                "  c:",
                "    type: boolean",
                "    default: false",
                "    description: C <x>.",
                "",
            ].join("\n"),
        );
        assert.match(md, /^## First\n\nThe note, with `<code>` and &lt;html>\.\n/m);
        assert.match(md, /^\| `a` \| string \| – \(\*\*required\*\*\) \| A, see \[Stack setup\]\(operations\.md#stack-setup\); a \\\| b\. \|$/m);
        assert.match(md, /^\| `b` \| integer \| – \(\*\*required\*\*\) \| B\. \|$/m);
        assert.match(md, /^- `b`: config\/ needs it\.$/m);
        assert.match(md, /^## Second\n\n\| Key/m);
        assert.match(md, /^\| `c` \| boolean \| `false` \| C &lt;x>\. \|$/m);
        assert.match(md, /^\| `token` \| string, \*\*secret\*\* \| – \| A token; see \[identity\.md\]\(identity\.md\)\. \|$/m);
    });

    it("GitHub's heading anchors", () => {
        assert.equal(githubSlug("Fulcio CA modes (`caMode`)"), "fulcio-ca-modes-camode");
        assert.equal(githubSlug("Registry mirror / air-gapped clusters"), "registry-mirror--air-gapped-clusters");
        assert.equal(githubSlug('"Only @corp" at each layer'), "only-corp-at-each-layer");
        assert.equal(githubSlug("End-to-end: `npm run test:e2e`"), "end-to-end-npm-run-teste2e");
        assert.deepEqual([...anchors("# A\n## A\n```\n# not a heading\n```\n## B\n")], ["a", "a-1", "b"]);
    });

    const files = ["README.md", ...markdownFiles("docs"), ...markdownFiles("examples")];
    for (const file of files) {
        it(`every relative link in ${file} reaches a file, and a heading there`, () => {
            const problems: string[] = [];
            for (const target of linkTargets(read(file))) {
                if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
                const [filePart, anchor] = target.split("#", 2);
                const resolved = filePart ? path.join(path.dirname(file), decodeURIComponent(filePart)) : file;
                if (!fs.existsSync(path.join(root, resolved))) {
                    problems.push(`${target}: no ${resolved}`);
                    continue;
                }
                if (anchor !== undefined && resolved.endsWith(".md") && !anchors(read(resolved)).has(anchor)) {
                    problems.push(`${target}: no heading #${anchor} in ${resolved}`);
                }
            }
            assert.deepEqual(problems, []);
        });
    }

    it("the README fits a newcomer's screen: at most 450 lines, Quick start within the first 60", () => {
        const lines = read("README.md").split("\n");
        assert.ok(lines.length <= 450, `README.md has ${lines.length} lines`);
        const quickStart = lines.findIndex((l) => l === "## Quick start");
        assert.ok(quickStart >= 0 && quickStart < 60, `Quick start is at line ${quickStart + 1}`);
    });

    it("the README keeps the one-line setup and deploy, and the test commands", () => {
        const readme = read("README.md");
        assert.ok(readme.includes("npm ci && pulumi stack select dev --create && pulumi up -s dev"));
        for (const command of ["npm test", "npm run test:e2e", "npm run test:cluster", "npm run bench"]) assert.ok(readme.includes(command), command);
        for (const page of ["configuration", "outputs", "identity", "rotation", "operations", "testing", "performance"]) {
            assert.ok(readme.includes(`](docs/${page}.md`), `README links docs/${page}.md`);
        }
    });
});
