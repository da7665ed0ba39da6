import type { HostBridge } from '../../../core/api/contract.js';
import { ApiError, type Transport } from './transportTypes.ts';

/**
 * The desktop app's transport: the preload's bridge (`window.mesData`, the contract's
 * `HostBridge`), which carries every call over IPC to the main process. A dropped file keeps
 * its own path.
 */
export function electronTransport(bridge: HostBridge): Transport {
  return {
    host: 'electron',
    async invoke(name, request) {
      const reply = await bridge.invoke(name, request);
      if (!reply.ok) throw new ApiError(reply.error);
      return reply.result;
    },
    subscribe: (listener) => bridge.onEvent(listener),
    droppedFilePaths: (files) => Promise.resolve(files.map((file) => bridge.pathForFile(file))),
  };
}
