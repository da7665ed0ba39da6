import type { ApiName, ApiRequest, ApiResponse, JobState } from '../../../core/api/contract';

/**
 * The renderer's only way to the core: `invoke(name, request)` for any operation of the API
 * contract, and `subscribe` for host events (job progress, menu commands). In the desktop app
 * it goes through the preload bridge (IPC); in a browser, over HTTP to the host that served the
 * page, with the session token from the page's URL.
 */

export interface ApiErrorShape {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** An error from the host, with its stable code. */
export class ApiError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(error: ApiErrorShape) {
    super(error.message);
    this.code = error.code;
    this.details = error.details;
  }
}

export type HostEvent = { type: 'job'; job: JobState } | { type: 'menu'; command: string; path?: string; paths?: string[] };

interface Bridge {
  invoke(name: string, request: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorShape }>;
  onEvent(listener: (event: HostEvent) => void): () => void;
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    mesData?: Bridge;
  }
}

const TOKEN_KEY = 'mes-data-token';

function browserToken(): string {
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export const isDesktop = (): boolean => window.mesData !== undefined;

export async function invoke<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>> {
  const bridge = window.mesData;
  if (bridge) {
    const reply = await bridge.invoke(name, request);
    if (!reply.ok) throw new ApiError(reply.error);
    return reply.result as ApiResponse<K>;
  }
  const response = await fetch(`/api/invoke/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${browserToken()}` },
    body: JSON.stringify(request),
  });
  const body = (await response.json()) as { result?: unknown; error?: ApiErrorShape };
  if (!response.ok || body.error) throw new ApiError(body.error ?? { code: 'INTERNAL', message: `HTTP ${response.status}`, details: {} });
  return body.result as ApiResponse<K>;
}

/** Host events; returns the unsubscribe function. */
export function subscribe(listener: (event: HostEvent) => void): () => void {
  const bridge = window.mesData;
  if (bridge) return bridge.onEvent(listener);
  const source = new EventSource(`/api/events?token=${encodeURIComponent(browserToken())}`);
  const onJob = (message: MessageEvent<string>) => listener({ type: 'job', job: JSON.parse(message.data) as JobState });
  source.addEventListener('job', onJob);
  return () => source.close();
}

/**
 * Files dropped on the window, as paths the host can read: their own paths in the desktop
 * app; in a browser the bytes are uploaded (streamed) to the host, which keeps them in the
 * store's upload folder and returns that path.
 */
export async function droppedFilePaths(files: File[], onProgress?: (sent: number, total: number) => void): Promise<string[]> {
  const bridge = window.mesData;
  if (bridge) return files.map((file) => bridge.pathForFile(file));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let sent = 0;
  const paths: string[] = [];
  for (const file of files) {
    const response = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${browserToken()}`, 'Content-Type': 'application/octet-stream' },
      body: file,
    });
    const body = (await response.json()) as { result?: { path: string }; error?: ApiErrorShape };
    if (!response.ok || !body.result) throw new ApiError(body.error ?? { code: 'INTERNAL', message: `upload of ${file.name} failed: HTTP ${response.status}`, details: {} });
    paths.push(body.result.path);
    sent += file.size;
    onProgress?.(sent, total);
  }
  return paths;
}
