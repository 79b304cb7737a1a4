// Headless Chromium for the panel's tests. npm run test:browser installs chromium when it is missing.
import { CHROMIUM } from "../../bench/chromium";

export { CHROMIUM };

/** Why the browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  return CHROMIUM ? null : "chromium is not installed; `npm run test:browser` installs Debian's chromium and runs these tests";
}
