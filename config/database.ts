/** The Trillian database: in the cluster (generated password, sized volume), or an external one. */
import { defaults } from "./defaults";
import { dnsName, hostWithoutPort, quantity } from "./checks";
import { Check, Reader } from "./reader";
import { databaseEngines, databaseModes, databasePorts, DatabaseConfig } from "./types";

const sqlIdentifier: Check = (v) => (/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(v) ? undefined : "must be letters, digits and '_' (at most 32 characters)");

export function readDatabase(r: Reader): DatabaseConfig {
    const mode = r.oneOf("databaseMode", databaseModes, defaults.databaseMode);
    const common = {
        storageSize: r.string("databaseStorageSize", defaults.databaseStorageSize, quantity),
        storageClass: r.optional("databaseStorageClass", dnsName),
        expectedSigningsPerDay: r.int("expectedSigningsPerDay", defaults.expectedSigningsPerDay, 0, 100_000_000),
        retentionYears: r.int("retentionYears", defaults.retentionYears, 1, 100),
    };
    if (mode === "in-cluster") return { mode, ...common };
    const engine = r.oneOf("databaseEngine", databaseEngines, defaults.databaseEngine);
    const port = r.int("databasePort", defaults.databasePort, 0, 65535);
    return {
        mode,
        ...common,
        external: {
            engine,
            host: r.required("databaseHost", hostWithoutPort("databasePort")),
            port: port === 0 ? databasePorts[engine] : port,
            name: r.string("databaseName", defaults.databaseName, sqlIdentifier),
            user: r.string("databaseUser", defaults.databaseUser, sqlIdentifier),
            password: r.requiredSecret("databasePassword", 'when databaseMode is "external"'),
        },
    };
}
