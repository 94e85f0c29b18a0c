// Types for token-client.mjs (lets TypeScript e2e code `await import('./oidc/token-client.mjs')`).
export interface GetIdTokenOptions {
    /** Exact issuer URL, e.g. http://127.0.0.1:8080/realms/sigstore (no trailing slash). */
    issuer: string;
    clientId: string;
    /** Login name, `<user>@<domain>`; becomes sub and email of the token. */
    user: string;
    /** Default http://127.0.0.1/auth/callback (the one registered by issuer.mjs). */
    redirectUri?: string;
    /** Default "openid email". */
    scope?: string;
}
/** Runs the authorization-code + PKCE flow against issuer.mjs and resolves to the raw ID token (JWT). */
export function getIdToken(opts: GetIdTokenOptions): Promise<string>;
