// Moonscope's version, as package.json says it (test/facts.test.ts checks that they agree): written
// into every run.json and announced by the language server and the dashboard.
export const MOONSCOPE_VERSION = "0.1.0";
