/**
 * Runs a dynamic resource's provider as the engine's Node.js dynamic provider host does
 * (@pulumi/pulumi cmd/dynamic-provider): the serialized provider text from the `__provider` input,
 * loaded as a module, its `handler()` called, then create, or diff and update against the previous
 * state. So the mocks run the exact code the real engine would, serialization included.
 * `now` stands in for the clock of the `up` (Date.now inside the provider).
 */
import Module from "node:module";
import * as path from "node:path";

const providerKey = "__provider";

function loadProvider(serialized: string): any {
    const m = new Module(path.join(__dirname, "serialized-provider.js"));
    m.paths = (Module as any)._nodeModulePaths(__dirname);
    (m as any)._compile(serialized, m.id);
    return m.exports.handler();
}

/** Date.now at `now` while `run` runs: the provider's clock is the `up`'s. */
async function atTime<T>(now: Date, run: () => Promise<T>): Promise<T> {
    const real = Date.now;
    Date.now = () => now.getTime();
    try {
        return await run();
    } finally {
        Date.now = real;
    }
}

/** The state after an `up`: created, updated when the provider's diff says so, or unchanged. */
export async function dynamicResourceState(inputs: Record<string, any>, previous: Record<string, any> | undefined, now: Date): Promise<Record<string, any>> {
    const serialized = inputs[providerKey];
    if (typeof serialized !== "string") throw new Error("dynamic resource without a serialized provider");
    const provider = loadProvider(serialized);
    const news = Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== providerKey));
    return atTime(now, async () => {
        if (!previous) return { ...(await provider.create(news)).outs, [providerKey]: serialized };
        const diff = await provider.diff("id", previous, news);
        if (diff.replaces?.length) throw new Error(`dynamic resource would be replaced (${diff.replaces.join(", ")})`);
        if (!diff.changes) return previous;
        return { ...(await provider.update("id", previous, news)).outs, [providerKey]: serialized };
    });
}
