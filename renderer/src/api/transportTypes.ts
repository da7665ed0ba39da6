import type { ApiErrorShape, ApiName, ApiRequest, ApiResponse, HostEvent } from '../../../core/api/contract.js';

/**
 * How the renderer reaches its host: one adapter per host (`transport.electron.ts` over the
 * preload's IPC bridge, `transport.web.ts` over HTTP to the browser-mode host, and a testing
 * one in the tests), chosen once in `transport.ts`.
 */
export interface Transport {
  readonly host: 'electron' | 'web' | 'testing';
  /** Calls an operation of the API contract; an error from the host rejects as an ApiError. */
  invoke<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  /** Host events (job progress, menu commands); returns the unsubscribe function. */
  subscribe(listener: (event: HostEvent) => void): () => void;
  /** Files dropped on the window, as paths the host can read. */
  droppedFilePaths(files: File[], onProgress?: (sent: number, total: number) => void): Promise<string[]>;
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
