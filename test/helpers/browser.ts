// Headless Chromium for the panel's tests: Debian's chromium driven by playwright-core (never a
// browser that playwright downloads). npm run test:browser installs chromium when it is missing.
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.MOONSCOPE_CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;

/** Why the browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  return CHROMIUM ? null : "chromium is not installed; `npm run test:browser` installs Debian's chromium and runs these tests";
}
