/**
 * The IPC channels between the preload and the main process: the only three there are.
 * `invoke` carries `(name, request)` for any operation of the API contract; its reply is an
 * `InvokeReply` of the contract, `{ok: true, result}` or `{ok: false, error: {code, message,
 * details}}` (errors thrown across `ipcRenderer.invoke` lose their fields, so they travel as
 * data). Job events and menu commands arrive as the contract's `HostEvent`s.
 */
export const IPC_INVOKE = 'mes-data:invoke';
export const IPC_JOB_EVENT = 'mes-data:job-event';
export const IPC_MENU_COMMAND = 'mes-data:menu-command';
