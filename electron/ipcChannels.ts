/**
 * The IPC channels between the preload and the main process: the only three there are.
 * `invoke` carries `(name, request)` for any operation of the API contract; its reply is
 * `{ok: true, result}` or `{ok: false, error: {code, message, details}}` (errors thrown
 * across `ipcRenderer.invoke` lose their fields, so they travel as data).
 */
export const IPC_INVOKE = 'mes-data:invoke';
export const IPC_JOB_EVENT = 'mes-data:job-event';
export const IPC_MENU_COMMAND = 'mes-data:menu-command';

export type IpcReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

/** Commands the native menu sends to the renderer. */
export const MENU_COMMANDS = ['open-store', 'ingest-files', 'validate', 'promote'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];
