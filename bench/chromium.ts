// Debian's chromium for the panel's bench and browser tests (driven by playwright-core; never a
// browser that playwright downloads). bash scripts/install-chromium.sh installs it.
import { existsSync } from "node:fs";

export const CHROMIUM: string | null = process.env.MOONSCOPE_CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;
