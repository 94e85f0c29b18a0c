/**
 * The configuration reference (docs/configuration.md), generated from Pulumi.yaml, its one source:
 *
 * - each declared key's `type`, `default` and `description`;
 * - the sections: a comment `# --- Title ---` before a key starts one, and the comment lines right
 *   below it (before the key) are the section's note;
 * - a comment `# required: <why>` before a key that config/ requires although it is declared with a
 *   default (the CLI cannot express a condition); a key declared without a default is required by the CLI;
 * - the secret keys, which Pulumi.yaml deliberately does not declare (the CLI would require a declared
 *   `secret: true` key in every stack): the header comment lists them after a line starting
 *   "Secret keys", one a line, `#   <key>  <description>`.
 *
 * In the texts, `docs/<page>.md` becomes a link to that page, and `docs/<page>.md, "<Heading>"` a link
 * to that heading. `npm run docs:config` writes the file; tests/docs.test.ts checks it is current.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

export interface ConfigKeyDoc {
    key: string;
    type: string;
    /** Undefined when declared without a default (the CLI then requires the key). */
    default?: string | number | boolean;
    description: string;
    required: boolean;
    /** Why a key with a default is required anyway (the `# required:` comment). */
    requiredWhy?: string;
    secret: boolean;
}

export interface ConfigSection {
    title: string;
    note?: string;
    keys: ConfigKeyDoc[];
}

export interface ConfigSchemaDoc {
    sections: ConfigSection[];
    secretKeys: ConfigKeyDoc[];
}

const sectionLine = /^\s*---\s+(.+?)\s+---\s*$/;
const requiredLine = /^\s*required:\s*(.*)$/;
const secretKeyLine = /^ {2,}(\w+) {2,}(\S.*)$/;

/** Reads the keys, their sections and the secret keys out of Pulumi.yaml's text. */
export function parseConfigSchema(projectYaml: string): ConfigSchemaDoc {
    const doc = YAML.parseDocument(projectYaml);
    if (doc.errors.length > 0) throw doc.errors[0];
    const root = doc.contents;
    if (!YAML.isMap(root)) throw new Error("Pulumi.yaml: not a mapping");
    const configPair = root.items.find((p) => YAML.isScalar(p.key) && p.key.value === "config");
    if (!configPair || !YAML.isMap(configPair.value)) throw new Error("Pulumi.yaml: no config mapping");
    const config = configPair.value;

    const sections: ConfigSection[] = [];
    config.items.forEach((pair, i) => {
        if (!YAML.isScalar(pair.key) || !YAML.isMap(pair.value)) throw new Error(`Pulumi.yaml: config item ${i} is not "key: {type, default, description}"`);
        const key = String(pair.key.value);
        // The first key's comment belongs to the mapping itself in the yaml AST.
        const comment = [i === 0 ? config.commentBefore : undefined, pair.key.commentBefore].filter((c) => c).join("\n");
        let requiredWhy: string | undefined;
        let noteOpen = false;
        for (const line of comment.split("\n")) {
            const section = sectionLine.exec(line);
            const required = requiredLine.exec(line);
            if (section) {
                sections.push({ title: section[1], keys: [] });
                noteOpen = true;
            } else if (required) {
                requiredWhy = required[1].trim();
                noteOpen = false;
            } else if (noteOpen && line.trim()) {
                const current = sections[sections.length - 1];
                current.note = current.note ? `${current.note} ${line.trim()}` : line.trim();
            }
        }
        if (sections.length === 0) throw new Error(`Pulumi.yaml: ${key} comes before the first "# --- Section ---" comment`);
        const spec = pair.value.toJSON() as { type?: string; default?: string | number | boolean; description?: string };
        if (!spec.type) throw new Error(`Pulumi.yaml: ${key} has no type`);
        if (!spec.description) throw new Error(`Pulumi.yaml: ${key} has no description`);
        sections[sections.length - 1].keys.push({
            key,
            type: spec.type,
            default: spec.default,
            description: spec.description,
            required: spec.default === undefined || requiredWhy !== undefined,
            requiredWhy,
            secret: false,
        });
    });

    const header = (YAML.isScalar(configPair.key) ? configPair.key.commentBefore : undefined) ?? "";
    const headerLines = header.split("\n");
    const start = headerLines.findIndex((l) => l.trim().startsWith("Secret keys"));
    const secretKeys: ConfigKeyDoc[] = [];
    if (start >= 0) {
        for (const line of headerLines.slice(start + 1)) {
            const m = secretKeyLine.exec(line);
            if (!m) {
                if (secretKeys.length > 0) break;
                continue; // the rest of the sentence that introduces the list
            }
            secretKeys.push({ key: m[1], type: "string", description: m[2].trim(), required: false, secret: true });
        }
    }
    return { sections, secretKeys };
}

/** GitHub's anchor for a heading: its text lower-cased, punctuation dropped, spaces as hyphens. */
export function githubSlug(heading: string): string {
    const text = heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1") // a link's text
        .replace(/[`*]/g, ""); // code and emphasis marks
    return text
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-");
}

/** A text of Pulumi.yaml as Markdown in a table cell of a page under docs/. */
function markdown(text: string): string {
    const linked = text.replace(/docs\/([\w./-]+\.md)(?:, "([^"]+)")?/g, (_, page: string, heading?: string) =>
        heading ? `[${heading}](${page}#${githubSlug(heading)})` : `[${page}](${page})`,
    );
    // `<` outside code spans would start an HTML tag; `|` would end the cell.
    return linked
        .split(/(`[^`]*`)/)
        .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
        .join("")
        .replace(/\|/g, "\\|");
}

function defaultCell(k: ConfigKeyDoc): string {
    if (k.required) return "– (**required**)";
    if (k.default === undefined || k.default === "") return "–";
    return `\`${String(k.default).replace(/\|/g, "\\|")}\``;
}

function table(keys: ConfigKeyDoc[]): string[] {
    return [
        "| Key | Type | Default | Meaning |",
        "|---|---|---|---|",
        ...keys.map((k) => `| \`${k.key}\` | ${k.secret ? `${k.type}, **secret**` : k.type} | ${defaultCell(k)} | ${markdown(k.description)} |`),
    ];
}

const list = (keys: string[]) => keys.map((k) => `\`${k}\``).join(", ");

/** docs/configuration.md for this Pulumi.yaml text. */
export function configReference(projectYaml: string): string {
    const { sections, secretKeys } = parseConfigSchema(projectYaml);
    const all = sections.flatMap((s) => s.keys);
    const cliRequired = all.filter((k) => k.default === undefined);
    const programRequired = all.filter((k) => k.default !== undefined && k.required);
    const secretTitle = "Secret keys";
    const lines = [
        "<!-- Generated from Pulumi.yaml by `npm run docs:config` (docs/config-reference.ts). Edit Pulumi.yaml, then run it. -->",
        "",
        "# Configuration reference",
        "",
        `Every key the program reads: the ${all.length} keys declared in [\`Pulumi.yaml\`](../Pulumi.yaml), in its sections, plus the`,
        `${secretKeys.length} [secret keys](#${githubSlug(secretTitle)}) it does not declare. All are in the project namespace \`sigstore:\``,
        "(`pulumi config set <key> <value> -s <stack>`). `config/` validates every value; a bad stack file fails with one",
        "error listing every problem, each naming the key, the value and what is allowed. How to set up a stack",
        "is in [operations.md](operations.md#stack-setup).",
        "",
        "Defaults are Pulumi.yaml's, which equal `config/defaults.ts` (`tests/config/schema.test.ts` keeps them equal); image",
        'tags default to the tested versions in `versions.ts`. Every optional key is declared with a default, and `""`',
        '(shown as "–") means unset. Only the keys marked **required** must be in a stack:',
        "",
        ...cliRequired.map((k) => `- \`${k.key}\`: declared without a default, so the Pulumi CLI requires it;`),
        ...programRequired.map((k) => `- \`${k.key}\`: ${markdown(k.requiredWhy ?? "")}.`),
        "",
        "`tests/cli-config.test.ts` applies the CLI's own rules to both stack files and to a fresh stack holding only",
        "the required keys.",
        "",
        `The secret keys (${list(secretKeys.map((k) => k.key))}) are **not** declared in \`Pulumi.yaml\`: the CLI`,
        "would make a declared `secret: true` key required in every stack (a default is never encrypted). `config/`",
        "refuses each of them unless it was set with `pulumi config set --secret`. Pulumi.yaml's header comment lists them.",
        "",
        ...[...sections.map((s) => s.title), secretTitle].map((t) => `- [${t}](#${githubSlug(t)})`),
    ];
    for (const s of sections) {
        lines.push("", `## ${s.title}`, "");
        if (s.note) lines.push(markdown(s.note), "");
        lines.push(...table(s.keys));
    }
    lines.push("", `## ${secretTitle}`, "", "Set each with `pulumi config set --secret <key>`; config/ refuses a plain value.", "", ...table(secretKeys));
    return lines.join("\n") + "\n";
}

export const projectFile = path.join(__dirname, "..", "Pulumi.yaml");
export const referenceFile = path.join(__dirname, "configuration.md");

if (require.main === module) {
    fs.writeFileSync(referenceFile, configReference(fs.readFileSync(projectFile, "utf8")));
    console.log(`wrote ${path.relative(process.cwd(), referenceFile)}`);
}
