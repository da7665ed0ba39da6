import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { API_NAMES } from '../core/api/contract.js';
import { IPC_INVOKE, IPC_JOB_EVENT, IPC_MENU_COMMAND, type IpcReply } from './ipcChannels.js';

/**
 * The only surface the renderer sees, as `window.mesData`: call an operation of the API
 * contract, hear about jobs and menu commands, and turn a dropped File into its path.
 * Nothing else: no ipcRenderer, no Node.js, no Electron objects. Operation names are
 * checked against the contract here as well as in the main process.
 */
const names = new Set<string>(API_NAMES);

export interface HostEvent {
  type: string;
  [key: string]: unknown;
}

const bridge = {
  invoke(name: string, request: unknown): Promise<IpcReply> {
    if (!names.has(name)) return Promise.resolve({ ok: false, error: { code: 'NOT_FOUND', message: `no operation "${name}"`, details: {} } });
    return ipcRenderer.invoke(IPC_INVOKE, name, request) as Promise<IpcReply>;
  },
  onEvent(listener: (event: HostEvent) => void): () => void {
    const forward = (_event: IpcRendererEvent, payload: HostEvent) => listener(payload);
    ipcRenderer.on(IPC_JOB_EVENT, forward);
    ipcRenderer.on(IPC_MENU_COMMAND, forward);
    return () => {
      ipcRenderer.removeListener(IPC_JOB_EVENT, forward);
      ipcRenderer.removeListener(IPC_MENU_COMMAND, forward);
    };
  },
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file);
  },
} as const;

export type MesDataBridge = typeof bridge;

contextBridge.exposeInMainWorld('mesData', Object.freeze(bridge));
