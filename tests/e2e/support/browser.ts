import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags for Debian's Chromium on build machines: no sandbox, no GPU, nothing phoning home. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The Chromium to drive: `$CHROMIUM_PATH`, else Debian's /usr/bin/chromium. */
function chromiumPath(): string {
  const candidate = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(candidate)) {
    throw new Error(
      `no Chromium at ${candidate}: the end-to-end tests drive a real browser. Install it with \`apt-get install -y chromium\` ` +
        '(Playwright cannot download browsers on these machines), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  return candidate;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}
