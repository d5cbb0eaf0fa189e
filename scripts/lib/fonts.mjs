// The font the OCR tests render their text images with: DejaVu Sans, which sharp's fontconfig finds.
import { existsSync } from 'node:fs';
import { step, warn } from './log.mjs';
import { aptInstall, canInstallWithApt } from './os-packages.mjs';

/** Where Debian's fonts-dejavu-core puts the font (fontconfig reads that directory). */
const DEJAVU_SANS = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const HOW = 'Install the DejaVu fonts: Debian/Ubuntu `sudo apt-get install fonts-dejavu-core`, macOS `brew install --cask font-dejavu`';

/**
 * Makes sure DejaVu Sans is installed for the OCR accuracy tests (they render known text with it):
 * installs Debian's fonts-dejavu-core with apt-get when it is missing and we are root on Debian/Ubuntu;
 * elsewhere only warns, since fontconfig then falls back to another font and the tests may still pass.
 */
export function ensureTestFonts() {
  if (existsSync(DEJAVU_SANS) || process.platform !== 'linux') return;
  if (!canInstallWithApt()) {
    warn(`${DEJAVU_SANS} is missing: the OCR tests render their text with DejaVu Sans. ${HOW}`);
    return;
  }
  step('DejaVu Sans not found: installing fonts-dejavu-core with apt-get (root on Debian/Ubuntu) …');
  aptInstall(['fonts-dejavu-core'], HOW);
}
