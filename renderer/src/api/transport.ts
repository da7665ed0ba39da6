import type { ApiName, ApiRequest, ApiResponse, HostBridge, HostEvent } from '../../../core/api/contract.js';
import { electronTransport } from './transport.electron.ts';
import { webTransport } from './transport.web.ts';
import type { Transport } from './transportTypes.ts';

/**
 * The renderer's only way to the core: `invoke(name, request)` for any operation of the API
 * contract, `subscribe` for host events (job progress, menu commands) and `droppedFilePaths`.
 * Each host has its adapter (transportTypes.ts); the one for this page is chosen once, on
 * first use: the desktop app's preload bridge when there is one, else HTTP to the host that
 * served the page. Tests install theirs with `installTransport`.
 */

export { ApiError } from './transportTypes.ts';
export type { HostEvent } from '../../../core/api/contract.js';

declare global {
  /** The preload's bridge (`window.mesData`), in the desktop app only. */
  var mesData: HostBridge | undefined;
}

let current: Transport | null = null;

/** Makes `next` the transport of every call from now on. */
export function installTransport(next: Transport): Transport {
  current = next;
  return next;
}

function transport(): Transport {
  return current ?? installTransport(globalThis.mesData ? electronTransport(globalThis.mesData) : webTransport());
}

export const isDesktop = (): boolean => transport().host === 'electron';

export function invoke<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>> {
  return transport().invoke(name, request);
}

/** Host events; returns the unsubscribe function. */
export function subscribe(listener: (event: HostEvent) => void): () => void {
  return transport().subscribe(listener);
}

/**
 * Files dropped on the window, as paths the host can read: their own paths in the desktop
 * app; in a browser the bytes are uploaded (streamed) to the host, which keeps them in the
 * store's upload folder and returns that path.
 */
export function droppedFilePaths(files: File[], onProgress?: (sent: number, total: number) => void): Promise<string[]> {
  return transport().droppedFilePaths(files, onProgress);
}
