import { ApiSession } from '../../../core/api/handlers.js';
import { startHttpHost, type HttpHost } from '../../../cli/serve/httpHost.js';
import { RENDERER_DIR } from './buildRenderer.js';

export interface RunningApp {
  url: string;
  session: ApiSession;
  host: HttpHost;
  close: () => Promise<void>;
}

/**
 * The browser mode in this process, as `mes-data serve` runs it: one API session (with the
 * store open when given), the HTTP host serving the built renderer and the API.
 */
export async function startApp(storeDir: string | null): Promise<RunningApp> {
  const session = new ApiSession('browser');
  if (storeDir) await session.invoke('store.open', { path: storeDir });
  const host = await startHttpHost({ session, staticDir: RENDERER_DIR });
  return {
    url: host.url,
    session,
    host,
    close: async () => {
      await host.close();
      await session.close();
    },
  };
}
