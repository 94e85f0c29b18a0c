import * as fs from "node:fs";
import * as path from "node:path";

const components = path.resolve(__dirname, "..", "..", "components");

/** The files of components/ the program joins into one Command script (read here independently of components/trillian.ts). */
export function componentScripts(...files: string[]): string {
    return files.map((f) => fs.readFileSync(path.join(components, f), "utf8")).join("\n");
}
