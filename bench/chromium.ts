// Debian's chromium for the panel's bench and browser tests (driven by playwright-core; never a
// browser that playwright downloads). bash scripts/install-chromium.sh installs it.
import { findChromium } from "../daemon/doctor";

export const CHROMIUM: string | null = findChromium();
