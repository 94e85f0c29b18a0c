/**
 * A real corporate directory for the identity scenario: Debian's OpenLDAP (slapd), serving LDAPS
 * with a certificate from a CA of the run's own, with the memberof overlay (what Active Directory
 * does natively), seeded over LDAP (so the overlay maintains memberOf) with:
 *   alice@corp.example  in cn=signers      → may sign
 *   bob@corp.example    in no group        → in the domain, not a signer
 *   eve@other.example   in cn=signers      → a signer, from another domain
 * and the service account Dex binds as. Loopback only; stopped with the stack.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { freePort, stopProcess, tail } from "./local-cluster";

export const slapdBinary = "/usr/sbin/slapd";
export const suffix = "dc=corp,dc=example";
export const signersGroup = `cn=signers,ou=groups,${suffix}`;
export const peopleBase = `ou=people,${suffix}`;
export const dexBindDn = `cn=dex,ou=services,${suffix}`;

export interface DirectoryUser {
    uid: string;
    mail: string;
    password: string;
    signer: boolean;
}

export const directoryUsers: Record<"alice" | "bob" | "eve", DirectoryUser> = {
    alice: { uid: "alice", mail: "alice@corp.example", password: "alice-Pa55", signer: true },
    bob: { uid: "bob", mail: "bob@corp.example", password: "bob-Pa55", signer: false },
    eve: { uid: "eve", mail: "eve@other.example", password: "eve-Pa55", signer: true },
};

export interface Directory {
    host: string;
    /** LDAPS. */
    port: number;
    /** Plain LDAP, where clients must StartTLS before binding (the server refuses binds without TLS). */
    startTlsPort: number;
    caPem: string;
    bindPassword: string;
    /** `ldapwhoami` as the user: proves a password is right when Dex refuses the user for another reason. */
    whoami(user: DirectoryUser): string;
    /** Whether a simple bind in plain text (no StartTLS) is refused: "confidentiality required". */
    plainBindRefused(): boolean;
    /** The user's memberOf values, as the directory maintains them. */
    memberOf(user: DirectoryUser): string[];
    stop(): Promise<void>;
}

/** A CA and, when `sans` are given, a server certificate it signs (openssl; P-256; valid two days). */
export function testCertificates(
    dir: string,
    name: string,
    commonName: string,
    sans: string[],
): { caPem: string; certFile: string; keyFile: string; caFile: string } {
    fs.mkdirSync(dir, { recursive: true });
    const f = (n: string) => path.join(dir, `${name}-${n}`);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
    const newP256Key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
        "req",
        "-x509",
        ...newP256Key,
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.crt"),
        "-days",
        "2",
        "-subj",
        `/CN=${name} test CA`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    );
    openssl("req", ...newP256Key, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", `/CN=${commonName}`);
    fs.writeFileSync(f("ext.cnf"), `subjectAltName=${sans.join(",")}\nextendedKeyUsage=serverAuth\n`);
    openssl(
        "x509",
        "-req",
        "-in",
        f("server.csr"),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-out",
        f("server.crt"),
        "-days",
        "2",
        "-extfile",
        f("ext.cnf"),
    );
    return { caPem: fs.readFileSync(f("ca.crt"), "utf8"), certFile: f("server.crt"), keyFile: f("server.key"), caFile: f("ca.crt") };
}

function slapdConfig(dir: string, tls: { certFile: string; keyFile: string; caFile: string }, adminPassword: string): string {
    return [
        ...["core", "cosine", "nis", "inetorgperson"].map((s) => `include /etc/ldap/schema/${s}.schema`),
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        "moduleload memberof",
        `pidfile ${dir}/slapd.pid`,
        `argsfile ${dir}/slapd.args`,
        `TLSCACertificateFile ${tls.caFile}`,
        `TLSCertificateFile ${tls.certFile}`,
        `TLSCertificateKeyFile ${tls.keyFile}`,
        "database mdb",
        `suffix "${suffix}"`,
        `rootdn "cn=admin,${suffix}"`,
        `rootpw ${adminPassword}`,
        `directory ${dir}/data`,
        "overlay memberof",
        // No simple bind, and no read, without TLS (ssf): the StartTLS port is useless in plain text.
        "security simple_bind=128 ssf=128",
        // Passwords are only ever compared (binds); bound users, Dex's account included, read the rest.
        "access to attrs=userPassword by anonymous auth by * none",
        "access to * by users read by * none",
        "",
    ].join("\n");
}

function seed(bindPassword: string): string {
    const entries = [
        `dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp`,
        ...["people", "groups", "services"].map((ou) => `dn: ou=${ou},${suffix}\nobjectClass: organizationalUnit\nou: ${ou}`),
        `dn: ${dexBindDn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: dex\nuserPassword: ${bindPassword}`,
        ...Object.values(directoryUsers).map(
            (u) =>
                `dn: uid=${u.uid},${peopleBase}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.uid}\nsn: ${u.uid}\nmail: ${u.mail}\nuserPassword: ${u.password}`,
        ),
        // After the users: the memberof overlay records memberOf on the members as the group is added.
        `dn: ${signersGroup}\nobjectClass: groupOfNames\ncn: signers\n` +
            Object.values(directoryUsers)
                .filter((u) => u.signer)
                .map((u) => `member: uid=${u.uid},${peopleBase}`)
                .join("\n"),
    ];
    return entries.join("\n\n") + "\n";
}

async function waitForPort(port: number, child: ChildProcess, log: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${tail(log)}`);
        const open = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => {
                s.end();
                resolve(true);
            });
            s.on("error", () => resolve(false));
        });
        if (open) return;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`slapd did not listen on ${port}:\n${tail(log)}`);
}

/** Starts slapd (LDAPS on a free loopback port) and seeds it. */
export async function startDirectory(work: string): Promise<Directory> {
    const dir = path.join(work, "directory");
    fs.mkdirSync(path.join(dir, "data"), { recursive: true });
    const tls = testCertificates(dir, "directory", "localhost", ["DNS:localhost", "IP:127.0.0.1"]);
    const adminPassword = "directory-admin";
    const bindPassword = "dex-b1nd-$ecret";
    fs.writeFileSync(path.join(dir, "slapd.conf"), slapdConfig(dir, tls, adminPassword));
    const port = await freePort();
    const startTlsPort = await freePort();
    const log = path.join(dir, "slapd.log");
    // -d: stay in the foreground (any level, even 0); 256 logs connections and operations.
    const child = spawn(slapdBinary, ["-f", path.join(dir, "slapd.conf"), "-h", `ldaps://localhost:${port}/ ldap://localhost:${startTlsPort}/`, "-d", "256"], {
        stdio: ["ignore", fs.openSync(log, "w"), fs.openSync(log, "a")],
    });
    const stop = () => stopProcess(child);
    try {
        await waitForPort(port, child, log);
        // 127.0.0.1: libldap checks "localhost" against the machine's own name instead (tls2.c); Dex (Go) uses "localhost".
        const url = `ldaps://127.0.0.1:${port}`;
        const env = { ...process.env, LDAPTLS_CACERT: tls.caFile };
        const ldif = path.join(dir, "seed.ldif");
        fs.writeFileSync(ldif, seed(bindPassword));
        execFileSync("ldapadd", ["-x", "-H", url, "-D", `cn=admin,${suffix}`, "-w", adminPassword, "-f", ldif], { env, stdio: ["ignore", "pipe", "pipe"] });
        const ldap = (command: string, args: string[]) =>
            execFileSync(command, ["-x", "-H", url, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        return {
            host: "localhost",
            port,
            startTlsPort,
            caPem: tls.caPem,
            bindPassword,
            stop,
            plainBindRefused: () => {
                try {
                    execFileSync("ldapwhoami", ["-x", "-H", `ldap://127.0.0.1:${startTlsPort}`, "-D", dexBindDn, "-w", bindPassword], { stdio: "pipe" });
                    return false;
                } catch (e) {
                    return /Confidentiality required/.test(String((e as { stderr?: Buffer }).stderr));
                }
            },
            whoami: (u) => ldap("ldapwhoami", ["-D", `uid=${u.uid},${peopleBase}`, "-w", u.password]).trim(),
            memberOf: (u) =>
                [
                    ...ldap("ldapsearch", ["-LLL", "-D", dexBindDn, "-w", bindPassword, "-b", `uid=${u.uid},${peopleBase}`, "-s", "base", "memberOf"]).matchAll(
                        /^memberOf: (.*)$/gm,
                    ),
                ].map((m) => m[1]),
        };
    } catch (e) {
        await stop();
        throw e;
    }
}
