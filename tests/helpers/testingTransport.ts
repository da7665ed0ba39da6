import type { ApiName, ApiRequest, ApiResponse, HostEvent } from '../../core/api/contract.js';
import { ApiError, type Transport } from '../../renderer/src/api/transportTypes.ts';

type Answer = <K extends ApiName>(name: K, request: ApiRequest<K>) => ApiResponse<K> | Promise<ApiResponse<K>>;

/**
 * The testing host's transport: answers calls with `answer` (a thrown `{code, message,
 * details}` rejects as an ApiError, as the real hosts' errors do), records them, and sends
 * the events a test emits to the subscribers. Dropped files are named `/dropped/{name}`.
 */
export function testingTransport(answer: Answer): Transport & { calls: [ApiName, unknown][]; emit: (event: HostEvent) => void } {
  const listeners = new Set<(event: HostEvent) => void>();
  const calls: [ApiName, unknown][] = [];
  return {
    host: 'testing',
    calls,
    async invoke(name, request) {
      calls.push([name, request]);
      try {
        return await answer(name, request);
      } catch (error) {
        const e = error as { code?: unknown; message?: unknown; details?: unknown };
        if (typeof e.code === 'string' && typeof e.message === 'string') throw new ApiError({ code: e.code, message: e.message, details: (e.details as Record<string, unknown>) ?? {} });
        throw error;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    droppedFilePaths: (files) => Promise.resolve(files.map((file) => `/dropped/${file.name}`)),
    emit: (event) => listeners.forEach((listener) => listener(event)),
  };
}
