/** Images: registry mirroring and tag overrides (air-gapped clusters pull from the mirror). */
import { ImageName, upstreamImages } from "../versions";
import { defaults } from "./defaults";
import { Check, Reader } from "./reader";
import { ImagesConfig } from "./types";

const imageTag: Check = (v) =>
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/.test(v)
        ? undefined
        : "must be an image tag (e.g. v1.7.3), optionally pinned with @sha256:<64 hex digits>";

const registry: Check = (v) =>
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*$/.test(v)
        ? undefined
        : "must be a registry host with an optional path, such as registry.corp.example:5000/sigstore (no scheme, no trailing slash)";

export function readImages(r: Reader): ImagesConfig {
    const mirror = r.optional("imageRegistry", registry);
    const trillian = r.string("trillianTag", defaults.trillianTag, imageTag);
    const tags: Record<ImageName, string> = {
        // The three Trillian images are released together and must match.
        trillianLogServer: trillian,
        trillianLogSigner: trillian,
        trillianDatabase: trillian,
        rekor: r.string("rekorTag", defaults.rekorTag, imageTag),
        fulcio: r.string("fulcioTag", defaults.fulcioTag, imageTag),
        ctlog: r.string("ctlogTag", defaults.ctlogTag, imageTag),
        redis: r.string("redisTag", defaults.redisTag, imageTag),
        dex: r.string("dexTag", defaults.dexTag, imageTag),
        timestampAuthority: r.string("tsaTag", defaults.tsaTag, imageTag),
        tufServer: r.string("tufServerTag", defaults.tufServerTag, imageTag),
        rekorV2: r.string("rekorV2Tag", defaults.rekorV2Tag, imageTag),
        policyController: r.string("policyControllerTag", defaults.policyControllerTag, imageTag),
    };
    const refs = {} as Record<ImageName, string>;
    for (const name of Object.keys(upstreamImages) as ImageName[]) {
        refs[name] = imageRef(upstreamImages[name], tags[name], mirror);
    }
    return { refs };
}

/**
 * Rewrites an upstream image to a mirror that keeps the upstream path (the layout `crane copy` and
 * most registry mirrors produce): gcr.io/trillian-opensource-ci/log_server → <mirror>/trillian-opensource-ci/log_server.
 */
export function imageRef(upstreamRef: string, tag: string, mirror?: string): string {
    const repository = upstreamRef.slice(0, upstreamRef.lastIndexOf(":"));
    const path = repository.slice(repository.indexOf("/") + 1);
    const base = mirror ? `${mirror}/${path}` : repository;
    return tag.startsWith("@") ? `${base}${tag}` : `${base}:${tag}`;
}
