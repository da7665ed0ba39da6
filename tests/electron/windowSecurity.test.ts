import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { appPageUrl, denyAllPermissions, guardWebContents, ipcSenderProblem, isAllowedExternalLink, isAppPage } from '../../electron/windowSecurity.js';

type Handler = (event: { preventDefault: () => void }, ...args: unknown[]) => void;

/** A stand-in for WebContents that records the handlers the guard installs. */
function fakeContents() {
  const handlers = new Map<string, Handler[]>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents = {
    on: (event: string, handler: Handler) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
      return contents;
    },
    setWindowOpenHandler: (handler: (details: { url: string }) => { action: string }) => {
      openHandler = handler;
    },
  };
  const fire = (name: string, ...args: unknown[]) => {
    const event = { preventDefault: vi.fn() };
    for (const handler of handlers.get(name) ?? []) handler(event, ...args);
    return event.preventDefault.mock.calls.length > 0;
  };
  return { contents, fire, open: (url: string) => openHandler?.({ url }) };
}

describe('window security', () => {
  const page = appPageUrl(path.resolve('/opt/MES Data/resources/app.asar/dist/renderer/index.html'));

  it('opens no external link that is not on the allow-list, and only https ones on it', () => {
    const allowed = ['https://docs.mesdata.dev/guide'];
    expect(isAllowedExternalLink('https://docs.mesdata.dev/guide', allowed)).toBe(true);
    expect(isAllowedExternalLink('https://docs.mesdata.dev/guide#top', allowed)).toBe(false);
    expect(isAllowedExternalLink('https://evil.example/', allowed)).toBe(false);
    expect(isAllowedExternalLink('https://user:pw@docs.mesdata.dev/guide', allowed)).toBe(false);
    expect(isAllowedExternalLink('http://docs.mesdata.dev/guide', ['http://docs.mesdata.dev/guide'])).toBe(false);
    expect(isAllowedExternalLink('file:///etc/passwd', allowed)).toBe(false);
    expect(isAllowedExternalLink('not a url', allowed)).toBe(false);
    // the app links nowhere today: nothing opens
    expect(isAllowedExternalLink('https://github.com/')).toBe(false);
  });

  it('guards contents: navigation, redirects and webviews prevented, every window.open denied and nothing opened', () => {
    const { contents, fire, open } = fakeContents();
    const openExternal = vi.fn();
    guardWebContents(contents as never, openExternal);
    expect(fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(fire('will-attach-webview')).toBe(true);
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('denies every permission request and check', () => {
    const session = { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), setDevicePermissionHandler: vi.fn() };
    denyAllPermissions(session);
    const request = session.setPermissionRequestHandler.mock.calls[0][0] as (c: unknown, p: string, cb: (granted: boolean) => void) => void;
    const callback = vi.fn();
    request(null, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    const check = session.setPermissionCheckHandler.mock.calls[0][0] as (...args: unknown[]) => boolean;
    expect(['media', 'notifications', 'clipboard-read', 'hid'].map((p) => check(null, p, 'file://'))).toEqual([false, false, false, false]);
    expect((session.setDevicePermissionHandler.mock.calls[0][0] as () => boolean)()).toBe(false);
  });

  it("takes IPC only from the app's page in the app's window", () => {
    const window = { id: 1 };
    const frame = (url: string, parent: unknown = null) => ({ url, parent });
    const call = (sender: unknown, senderFrame: unknown) => ipcSenderProblem({ sender, senderFrame } as never, window as never, page);
    expect(call(window, frame(page))).toBeNull();
    expect(call(window, frame(`${page}#/raw/MES`))).toBeNull();
    expect(call(window, null)).toBe('the request came from a frame that is gone');
    expect(call({ id: 2 }, frame(page))).toBe('the request did not come from the app window');
    expect(call(window, frame('file:///tmp/evil.html'))).toBe("the request came from file:///tmp/evil.html, not the app's page");
    expect(call(window, frame('https://evil.example/'))).toBe("the request came from https://evil.example/, not the app's page");
    expect(call(window, frame(page, { url: page }))).toBe('the request came from a sub-frame');
    expect(ipcSenderProblem({ sender: window, senderFrame: frame(page) } as never, null, page)).toBe('the request did not come from the app window');
  });

  it("recognises the app's page by its exact file URL", () => {
    expect(page).toBe('file:///opt/MES%20Data/resources/app.asar/dist/renderer/index.html');
    expect(isAppPage(`${page}?x=1`, page)).toBe(true);
    expect(isAppPage('file:///opt/MES%20Data/resources/app.asar/dist/renderer/other.html', page)).toBe(false);
    expect(isAppPage('file://host/opt/MES%20Data/resources/app.asar/dist/renderer/index.html', page)).toBe(false);
    expect(isAppPage(undefined, page)).toBe(false);
    expect(isAppPage('', page)).toBe(false);
  });
});
