import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { HostBridge, HostEvent, InvokeReply } from '../core/api/contract.js';
import { IPC_INVOKE, IPC_JOB_EVENT, IPC_MENU_COMMAND } from './ipcChannels.js';

/**
 * The only surface the renderer sees, as `window.mesData` (the contract's `HostBridge`): call
 * an operation of the API contract, hear about jobs and menu commands, and turn a dropped File
 * into its path. Nothing else: no ipcRenderer, no Node.js, no Electron objects. The contract is
 * imported for its types only, so the bundle carries no zod; the main process checks the
 * operation name and parses the request before any handler runs.
 */
const bridge: HostBridge = {
  invoke(name, request) {
    return ipcRenderer.invoke(IPC_INVOKE, name, request) as Promise<InvokeReply<typeof name>>;
  },
  onEvent(listener) {
    const forward = (_event: IpcRendererEvent, payload: HostEvent) => listener(payload);
    ipcRenderer.on(IPC_JOB_EVENT, forward);
    ipcRenderer.on(IPC_MENU_COMMAND, forward);
    return () => {
      ipcRenderer.removeListener(IPC_JOB_EVENT, forward);
      ipcRenderer.removeListener(IPC_MENU_COMMAND, forward);
    };
  },
  pathForFile(file) {
    return webUtils.getPathForFile(file);
  },
};

contextBridge.exposeInMainWorld('mesData', Object.freeze(bridge));
