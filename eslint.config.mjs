// ESLint flat config: typescript-eslint's type-aware recommended rules, minus the ones listed below
// with the reason, and eslint-config-prettier last so that no rule argues with the formatter
// (formatting is Prettier's job: `npm run lint` runs `prettier --check .` too).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: [
            "**/node_modules/**", // includes examples/consumer/node_modules
            "bin/**", // tsc's outDir
            ".e2e-work/**", // the end-to-end suite's scratch space
            ".scratch/**", // a developer's untracked experiments (.gitignore)
        ],
    },
    {
        linterOptions: {
            // A disable comment that no longer silences anything is an error, so none outlives its reason.
            reportUnusedDisableDirectives: "error",
        },
    },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            globals: globals.node,
            parserOptions: {
                // The tsconfig.json that covers each file (the root one; examples/consumer has its own).
                // The .mjs files are in no tsconfig: they get a default project, so they are type-aware too.
                projectService: { allowDefaultProject: ["*.mjs", "e2e/oidc/*.mjs"] },
                tsconfigRootDir: import.meta.dirname,
            },
        },
        rules: {
            // Unused names are usually a bug or a leftover; a leading _ says "unused on purpose".
            "@typescript-eslint/no-unused-vars": [
                "error",
                {
                    argsIgnorePattern: "^_",
                    varsIgnorePattern: "^_",
                    caughtErrorsIgnorePattern: "^_",
                    destructuredArrayIgnorePattern: "^_",
                    ignoreRestSiblings: true,
                },
            ],

            // URL and URLSearchParams print themselves well in a template (their toString is the URL or
            // the query). The rule's default allows them only from TypeScript's DOM lib; here they
            // come from @types/node (module "url").
            "@typescript-eslint/restrict-template-expressions": [
                "error",
                {
                    allow: [
                        { from: "lib", name: ["Error", "URL", "URLSearchParams"] },
                        { from: "package", package: "url", name: ["URL", "URLSearchParams"] },
                    ],
                },
            ],

            // Off: `any` here is deliberate, at the places that walk untyped JSON (Kubernetes objects,
            // Pulumi state and mock registrations, the servers' HTTP answers in the e2e and cluster
            // suites). Typing each of them would add casts, not safety; tsc's `strict` checks the rest.
            // The no-unsafe-* family reports every use of such a value (about 1,800 places), so it
            // goes with it.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",

            // Off: an `async` function without `await` is how a Promise-returning interface is
            // implemented here (runCommand, stop, a Pulumi inline program). Dropping `async` to please
            // the rule would turn a throw into a synchronous exception instead of a rejected promise:
            // a change in behaviour, not a fix.
            "@typescript-eslint/require-await": "off",
        },
    },
    prettier,
);
