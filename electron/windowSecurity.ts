import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent, Session, WebContents } from 'electron';

/**
 * What the app's window may do beyond showing its own page, in one place so the main
 * process and its tests share it: which external links open in the user's browser (only
 * the exact URLs the app links to), that the page never navigates or is redirected
 * anywhere, that no permission is ever granted or reported granted, and that IPC is taken
 * only from the app's own page in the app's own window.
 */

/**
 * The external pages the app links to, exactly (https only). The UI has no external links
 * today; a link added to the UI must be added here, or it opens nothing.
 */
const EXTERNAL_LINKS: readonly string[] = [];

/** True when `url` is one of `EXTERNAL_LINKS` (compared after parsing, so `https://x/` and `https://x` agree). */
export function isAllowedExternalLink(url: string, allowed: readonly string[] = EXTERNAL_LINKS): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return false;
  return allowed.some((link) => new URL(link).href === parsed.href);
}

/** The `file://` URL of the app's page, the only page allowed to call the main process. */
export function appPageUrl(indexHtml: string): string {
  return pathToFileURL(indexHtml).href;
}

/** True when `url` is the app's own page (its query and fragment aside: the UI keeps its state in the hash). */
export function isAppPage(url: string | undefined | null, pageUrl: string): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  parsed.hash = '';
  parsed.search = '';
  return parsed.protocol === 'file:' && parsed.href === new URL(pageUrl).href;
}

/**
 * Why an IPC call must be refused, or null to take it: the sender must be the app's own
 * window (`expected`), and its frame must exist (a frame that navigated away or was
 * destroyed has none) and show the app's page.
 */
export function ipcSenderProblem(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, expected: WebContents | null, pageUrl: string): string | null {
  if (expected === null || event.sender !== expected) return 'the request did not come from the app window';
  const frame = event.senderFrame;
  if (!frame) return 'the request came from a frame that is gone';
  if (frame.parent !== null) return 'the request came from a sub-frame';
  if (!isAppPage(frame.url, pageUrl)) return `the request came from ${frame.url || 'an unknown page'}, not the app's page`;
  return null;
}

/** Locks a window's contents: no navigation, no redirects, no new windows (allow-listed links go to the browser), no webviews. */
export function guardWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // documentation links open in the user's browser, never inside the app; nothing else opens at all
    if (isAllowedExternalLink(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Denies every permission request and answers every permission check "not granted" (camera, notifications, HID, …). */
export function denyAllPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
