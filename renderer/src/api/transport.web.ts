import type { ApiErrorShape, ApiResponse, JobState } from '../../../core/api/contract.js';
import { ApiError, type Transport } from './transportTypes.ts';

/** The server-sent events of one subscription. */
interface EventStream {
  addEventListener(type: 'job', listener: (message: { data: string }) => void): void;
  close(): void;
}

/** What the web transport uses of the page; the default is the page's own. */
export interface WebHost {
  fetch: typeof fetch;
  /** The session token the host gave the page. */
  token: () => string;
  openEvents: (url: string) => EventStream;
}

/**
 * The page's globals this file uses, typed here by what is used: the file also compiles in
 * the tests' program, which has no DOM types.
 */
interface PageGlobals {
  location: { search: string };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  EventSource: new (url: string) => EventStream;
}

const TOKEN_KEY = 'mes-data-token';

function pageHost(): WebHost {
  const page = globalThis as unknown as PageGlobals;
  /** The token from the page's URL (kept for reloads in the tab's session storage). */
  const token = (): string => {
    const fromUrl = new URLSearchParams(page.location.search).get('token');
    if (fromUrl) {
      page.sessionStorage.setItem(TOKEN_KEY, fromUrl);
      return fromUrl;
    }
    return page.sessionStorage.getItem(TOKEN_KEY) ?? '';
  };
  return { fetch: (input, init) => globalThis.fetch(input, init), token, openEvents: (url) => new page.EventSource(url) };
}

/**
 * The browser mode's transport: HTTP to the host that served the page (cli/serve/httpHost.ts),
 * with the session token: `POST /api/invoke/{name}`, events as Server-Sent Events on
 * `/api/events`, dropped files streamed to `/api/upload`, which answers the path it kept
 * them at in the store's upload folder.
 */
export function webTransport(host: WebHost = pageHost()): Transport {
  return {
    host: 'web',
    async invoke(name, request) {
      const response = await host.fetch(`/api/invoke/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${host.token()}` },
        body: JSON.stringify(request),
      });
      const body = (await response.json()) as { result?: unknown; error?: ApiErrorShape };
      if (!response.ok || body.error) throw new ApiError(body.error ?? { code: 'INTERNAL', message: `HTTP ${response.status}`, details: {} });
      return body.result as ApiResponse<typeof name>;
    },
    subscribe(listener) {
      const source = host.openEvents(`/api/events?token=${encodeURIComponent(host.token())}`);
      source.addEventListener('job', (message) => listener({ type: 'job', job: JSON.parse(message.data) as JobState }));
      return () => source.close();
    },
    async droppedFilePaths(files, onProgress) {
      const total = files.reduce((sum, f) => sum + f.size, 0);
      let sent = 0;
      const paths: string[] = [];
      for (const file of files) {
        const response = await host.fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${host.token()}`, 'Content-Type': 'application/octet-stream' },
          body: file,
        });
        const body = (await response.json()) as { result?: { path: string }; error?: ApiErrorShape };
        if (!response.ok || !body.result) throw new ApiError(body.error ?? { code: 'INTERNAL', message: `upload of ${file.name} failed: HTTP ${response.status}`, details: {} });
        paths.push(body.result.path);
        sent += file.size;
        onProgress?.(sent, total);
      }
      return paths;
    },
  };
}
