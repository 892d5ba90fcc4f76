/**
 * Headless Chromium (Debian's `chromium`, or $CHROMIUM) taking a screenshot of a local page. No
 * network is needed or allowed to matter: the report must render from the file alone.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

export async function screenshot(
  htmlPath: string,
  pngPath: string,
  size = { width: 1040, height: 900 },
): Promise<void> {
  const args = [
    '--headless',
    // Root in a container has no user namespace for the sandbox; the page is our own file.
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    '--force-color-profile=srgb',
    // Any network request would fail instead of hanging: the report must not need one.
    '--proxy-server=127.0.0.1:9',
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${pngPath}`,
    pathToFileURL(htmlPath).href,
  ];
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run ${CHROMIUM} (install Debian's chromium package): ${error.message}`)),
    );
    child.once('close', () => resolve(text));
  });
  if (!existsSync(pngPath)) throw new Error(`${CHROMIUM} wrote no screenshot:\n${stderr}`);
}
