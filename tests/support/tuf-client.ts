/**
 * A real TUF client (tuf-js 5, the one @sigstore/tuf uses) against a repository's files served over
 * loopback HTTP: what a client that bootstrapped from `root` gets for a target, or the error it refuses with.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Updater } from "tuf-js";

export type Files = Record<string, string>;

/** Serves `files` (path → content) until stop(); `files` may be swapped to publish a new state. */
export async function serveFiles(initial: Files): Promise<{ url: string; publish(files: Files): void; stop(): Promise<void> }> {
    let files = initial;
    const server = http.createServer((req, res) => {
        const name = decodeURIComponent((req.url ?? "/").slice(1));
        if (name in files) res.end(files[name]);
        else {
            res.statusCode = 404;
            res.end();
        }
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as { port: number }).port;
    return {
        url: `http://127.0.0.1:${port}`,
        publish: (next) => (files = next),
        stop: () => new Promise((ok) => server.close(() => ok())),
    };
}

/** A client's cache: bootstrapped from `root` (its trusted root.json), kept across refreshes. */
export class TufClientCache {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "tuf-client-"));

    constructor(root: string) {
        fs.mkdirSync(path.join(this.dir, "metadata"));
        fs.mkdirSync(path.join(this.dir, "targets"));
        fs.writeFileSync(path.join(this.dir, "metadata", "root.json"), root);
    }

    /** Refreshes from the mirror and downloads `target`: its content. */
    async fetch(mirror: string, target: string): Promise<string> {
        const updater = new Updater({
            metadataBaseUrl: mirror,
            targetBaseUrl: `${mirror}/targets`,
            metadataDir: path.join(this.dir, "metadata"),
            targetDir: path.join(this.dir, "targets"),
        });
        await updater.refresh();
        const info = await updater.getTargetInfo(target);
        if (!info) throw new Error(`no target ${target}`);
        return fs.readFileSync(await updater.downloadTarget(info), "utf8");
    }

    /** The root version the client trusts now. */
    trustedRootVersion(): number {
        return JSON.parse(fs.readFileSync(path.join(this.dir, "metadata", "root.json"), "utf8")).signed.version;
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
