import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { JobEvent } from '../../core/api/contract.js';
import type { ApiSession } from '../../core/api/handlers.js';
import { BadRequestError, MesDataError, serializeError, type SerializedError } from '../../core/errors.js';
import { checkFileName } from '../../core/store/storeNames.js';
import { UPLOADS_DIR, UPLOAD_EXPIRY_MS, listUploads, removeExpiredUploads } from '../../core/store/uploadArea.js';
import { errorCodeInfo } from '../../core/errorCodes.js';

/**
 * The browser-mode host: serves the built renderer and the API over HTTP on the loopback
 * interface. Every API request needs the session token (header `Authorization: Bearer …`,
 * or `?token=` for the event stream, which browsers cannot give headers); Host and Origin
 * must name this server, so other sites and DNS rebinding cannot reach it; no CORS headers
 * are ever sent; request bodies are size-limited and must be a JSON object in valid UTF-8.
 * Requests may name only store paths and files uploaded in this session (`ApiSession`
 * with `restrictPaths`); uploads are capped per file and in total and expire after a day
 * (see docs/security.md).
 *
 *   POST /api/invoke/{operation}   JSON request → {result} or {error:{code,message,details}}
 *   GET  /api/events?token=…       Server-Sent Events: job progress and results
 *   POST /api/upload?name=FILE     a dropped file's bytes, streamed to the store → {path}
 */

interface HttpHostOptions {
  session: ApiSession;
  port?: number;
  /** Interface to listen on (default 127.0.0.1); anything else needs allowRemote. */
  host?: string;
  allowRemote?: boolean;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  maxJsonBytes?: number;
  /** Largest single upload, in bytes (default 4 GiB). */
  maxUploadBytes?: number;
  /** Largest total of everything waiting in the upload folder, in bytes (default 8 GiB). */
  maxUploadTotalBytes?: number;
  /** How long an upload that no ingest took is kept, in milliseconds (default one day). */
  uploadExpiryMs?: number;
  /** Where uploaded files go (default: `<store>/.uploads`, or a temp folder without a store). */
  uploadDir?: () => string;
}

export interface HttpHost {
  url: string;
  token: string;
  port: number;
  close: () => Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function sendBytes(res: http.ServerResponse, status: number, bytes: Buffer): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(bytes);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendBytes(res, status, Buffer.from(JSON.stringify(body)));
}

/**
 * Operations whose handler answers a request like an earlier one with the very same result
 * object, never changed after (the tree kept while the catalog's stamp holds, frozen; a page
 * among the last ones kept), so what was written of it is kept beside it, as long as the
 * result lives: the tree of a ten-year store is 485 KB of JSON, 1.2 ms to write and as much
 * again to encode and send as text instead of bytes. No other operation's result is kept:
 * a job's state, say, is one object that changes.
 */
const KEPT_RESULTS: ReadonlySet<string> = new Set(['tree', 'rows.page']);
const encodedResults = new WeakMap<object, Buffer>();

/** `{result}` as the bytes of its JSON, written once for a kept result. */
function encodeResult(name: string, result: unknown): Buffer {
  const keep = KEPT_RESULTS.has(name) && typeof result === 'object' && result !== null;
  const known = keep ? encodedResults.get(result) : undefined;
  if (known) return known;
  const bytes = Buffer.from(JSON.stringify({ result }));
  if (keep) encodedResults.set(result, bytes);
  return bytes;
}

function sendError(res: http.ServerResponse, error: SerializedError): void {
  sendJson(res, errorCodeInfo(error.code).http, { error });
}

/** Decodes whole bodies (no stream: nothing is kept between calls). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A request body: empty (an empty request) or one JSON object in valid UTF-8; anything else is BAD_REQUEST. */
async function readJson(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  // a body of a declared length within the limit (the HTTP parser keeps it to that length):
  // its chunks as they come, without the stream's async iterator (4–5% of the main thread's time in a profile of bursts of 200 pages)
  const { chunks, size } = Number.isSafeInteger(declared) && declared <= limit ? await bodyOf(req) : await limitedBodyOf(req, limit);
  if (size === 0) return {};
  let text: string;
  try {
    text = UTF8.decode(Buffer.concat(chunks));
  } catch {
    throw new BadRequestError(`request body is not valid UTF-8 (${size} bytes)`, { bytes: size });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadRequestError(`request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError(`request body must be a JSON object, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}

/** The chunks of a request's body, read to its end. */
function bodyOf(req: http.IncomingMessage): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => resolve({ chunks, size }));
    req.on('error', reject);
  });
}

/** The chunks of a request's body of no declared length (or one over the limit): PAYLOAD_TOO_LARGE once it passes `limit`. */
async function limitedBodyOf(req: http.IncomingMessage, limit: number): Promise<{ chunks: Buffer[]; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new MesDataError('PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`, { limit });
    chunks.push(chunk as Buffer);
  }
  return { chunks, size };
}

/** A URL path with its escapes decoded; BAD_REQUEST for a malformed escape (`%E0%A4%A`) or a NUL. */
function decodePath(pathname: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new BadRequestError(`malformed escape in the URL path ${JSON.stringify(pathname.slice(0, 200))}`, { path: pathname.slice(0, 200) });
  }
  if (decoded.includes('\0')) throw new BadRequestError('the URL path contains a NUL character', { path: pathname.slice(0, 200) });
  return decoded;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Starts the host; resolves once it listens. */
export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const host = options.host ?? '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!loopback && !options.allowRemote) {
    throw new BadRequestError(`refusing to listen on ${host}: the browser mode serves your data to anyone who can reach it; pass --allow-remote to do it anyway`, { host });
  }
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const maxJson = options.maxJsonBytes ?? 1024 * 1024;
  const maxUpload = options.maxUploadBytes ?? 4 * 1024 ** 3;
  const maxUploadTotal = options.maxUploadTotalBytes ?? 8 * 1024 ** 3;
  const uploadExpiryMs = options.uploadExpiryMs ?? UPLOAD_EXPIRY_MS;
  /** Bytes of uploads being received right now (not yet on the folder's books). */
  let uploadsInFlight = 0;
  const { session } = options;
  const staticRoot = path.resolve(options.staticDir);
  const clients = new Set<http.ServerResponse>();
  let port = options.port ?? 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...(loopback ? [] : [`${host}:${port}`])]);

  const unsubscribe = session.jobs.onEvent((event: JobEvent) => {
    const frame = `event: job\ndata: ${JSON.stringify(event.job)}\n\n`;
    for (const client of clients) client.write(frame);
  });

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, serializeError(error));
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://internal');
    } catch {
      sendError(res, { code: 'BAD_REQUEST', message: 'malformed request target', details: {} });
      return;
    }
    if (!allowedHosts().has(req.headers.host ?? '')) {
      sendError(res, { code: 'FORBIDDEN', message: `host "${req.headers.host ?? ''}" is not this server`, details: {} });
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().has(origin.replace(/^https?:\/\//, ''))) {
      sendError(res, { code: 'FORBIDDEN', message: `requests from ${origin} are not allowed`, details: {} });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const given = bearer ?? (url.pathname === '/api/events' ? url.searchParams.get('token') : null);
      if (!given || !safeEqual(given, token)) {
        sendError(res, { code: 'UNAUTHORIZED', message: 'a valid session token is required', details: {} });
        return;
      }
      await handleApi(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, { code: 'BAD_REQUEST', message: `${req.method} is not served here`, details: {} });
      return;
    }
    try {
      serveStatic(url.pathname, res);
    } catch (error) {
      sendError(res, serializeError(error));
    }
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/api/events' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, { code: 'BAD_REQUEST', message: `use POST for ${url.pathname}`, details: {} });
      return;
    }
    if (url.pathname === '/api/upload') {
      await handleUpload(req, res, url);
      return;
    }
    const match = /^\/api\/invoke\/([a-z.]+)$/i.exec(url.pathname);
    if (!match) {
      sendError(res, { code: 'NOT_FOUND', message: `no API route ${url.pathname}`, details: {} });
      return;
    }
    try {
      const request = await readJson(req, maxJson);
      const result = await session.invoke(match[1], request);
      sendBytes(res, 200, encodeResult(match[1], result));
    } catch (error) {
      sendError(res, serializeError(error));
    }
  }

  function uploadDir(): string {
    return options.uploadDir?.() ?? path.join(session.storeRoot ?? os.tmpdir(), session.storeRoot ? UPLOADS_DIR : 'mes-data-uploads');
  }

  /** Refuses a request (413) and drops the connection once the answer is out, so an endless body stops at once. */
  function refuseUpload(req: http.IncomingMessage, res: http.ServerResponse, error: SerializedError): void {
    res.setHeader('Connection', 'close');
    sendError(res, error);
    res.on('finish', () => req.destroy());
  }

  async function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const name = url.searchParams.get('name') ?? '';
    try {
      // the store's name rule: no separators, control characters, hidden or Windows device names
      checkFileName(name);
    } catch (error) {
      req.resume();
      sendError(res, serializeError(error));
      return;
    }
    const dir = uploadDir();
    removeExpiredUploads(dir, Date.now(), uploadExpiryMs);
    const waiting = listUploads(dir).reduce((sum, entry) => sum + entry.bytes, 0);
    const room = Math.max(0, Math.min(maxUpload, maxUploadTotal - waiting - uploadsInFlight));
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > room) {
      const overTotal = declared <= maxUpload;
      refuseUpload(req, res, {
        code: 'PAYLOAD_TOO_LARGE',
        message: overTotal
          ? `${name} is ${declared} bytes; uploads waiting to be ingested already take ${waiting + uploadsInFlight} of the ${maxUploadTotal}-byte total`
          : `${name} is ${declared} bytes, over the ${maxUpload}-byte upload limit`,
        details: { name, limit: overTotal ? maxUploadTotal : maxUpload, bytes: declared },
      });
      return;
    }
    const folder = path.join(dir, crypto.randomBytes(8).toString('hex'));
    fs.mkdirSync(folder, { recursive: true });
    const target = path.join(folder, name);
    let size = 0;
    try {
      await pipeline(
        req,
        async function* limit(source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            size += chunk.length;
            uploadsInFlight += chunk.length;
            if (size > room) {
              throw new MesDataError('PAYLOAD_TOO_LARGE', size > maxUpload ? `${name} is over the ${maxUpload}-byte upload limit` : `${name} does not fit in the ${maxUploadTotal}-byte total of uploads waiting to be ingested`, {
                name,
                limit: size > maxUpload ? maxUpload : maxUploadTotal,
              });
            }
            yield chunk;
          }
        },
        fs.createWriteStream(target, { flags: 'wx' }),
      );
    } catch (error) {
      uploadsInFlight -= size;
      fs.rmSync(folder, { recursive: true, force: true });
      refuseUpload(req, res, serializeError(error));
      return;
    }
    uploadsInFlight -= size;
    session.grantFile(target);
    sendJson(res, 200, { result: { path: target, bytes: size } });
  }

  function serveStatic(pathname: string, res: http.ServerResponse): void {
    const relative = decodePath(pathname === '/' ? '/index.html' : pathname);
    const file = path.resolve(staticRoot, `.${relative}`);
    const inside = file.startsWith(staticRoot + path.sep);
    const target = inside && fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(staticRoot, 'index.html');
    if (!fs.existsSync(target)) {
      sendError(res, { code: 'NOT_FOUND', message: `the app has not been built: run npm run build (looked in ${staticRoot})`, details: {} });
      return;
    }
    const body = fs.readFileSync(target);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'max-age=3600',
    });
    res.end(body);
  }

  try {
    // what an earlier run received and no ingest took
    removeExpiredUploads(uploadDir(), Date.now(), uploadExpiryMs);
  } catch {
    // a folder we cannot clean is reported by verify; serving goes on
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;
  const shown = host === '::1' ? '[::1]' : host === 'localhost' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    token,
    port,
    close: async () => {
      unsubscribe();
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
