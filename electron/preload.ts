import { contextBridge } from 'electron';

/**
 * The only surface the renderer sees. It grows into the typed `invoke` bridge of the API
 * contract; it never exposes ipcRenderer, Node.js or Electron objects themselves.
 */
const bridge = Object.freeze({
  platform: process.platform,
});

contextBridge.exposeInMainWorld('mesData', bridge);

export type MesDataBridge = typeof bridge;
