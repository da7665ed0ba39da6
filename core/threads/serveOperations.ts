import { parentPort, type MessagePort } from 'node:worker_threads';
import { BadRequestError, MesDataError, serializeError, type SerializedError } from '../errors.js';
import type { OperationHandlers, Operations, ThreadReply, ThreadRequest } from './threadProtocol.js';

interface ServeOptions<Ops extends Operations, State extends object> {
  /** The thread's name in errors ("the Parquet decoder"). */
  name: string;
  /** What the thread says about itself in every reply. */
  state: () => State;
  /** Buffers of a result to hand over instead of copying. */
  transfer?: (result: Ops[keyof Ops]['result']) => ArrayBuffer[];
  /** The code of an error that is not a MesDataError (default INTERNAL). */
  otherErrors?: 'INTERNAL' | 'WRITE_FAILED';
  /** Called with every error before it is sent (a thread notes WebAssembly panics here). */
  onError?: (error: unknown) => void;
}

/**
 * Answers the parent's requests with `handlers`, one reply per request: an unknown
 * operation is BAD_REQUEST naming it and the known ones, a handler's MesDataError travels
 * with its code, and any other error as `otherErrors`. Returns a function that answers one
 * request (for tests, which call it without a thread).
 */
export function serveOperations<Ops extends Operations, State extends object>(
  handlers: OperationHandlers<Ops>,
  options: ServeOptions<Ops, State>,
  port: MessagePort | null = parentPort,
): (request: ThreadRequest<Ops>) => Promise<ThreadReply<Ops, State>> {
  const known = Object.keys(handlers);
  const toWire = (error: unknown): SerializedError => {
    if (error instanceof MesDataError || options.otherErrors === undefined) return serializeError(error);
    return { ...serializeError(error), code: options.otherErrors };
  };
  const answer = async (request: ThreadRequest<Ops>): Promise<ThreadReply<Ops, State>> => {
    const { id, op } = request;
    try {
      if (typeof op !== 'string' || !Object.hasOwn(handlers, op)) {
        throw new BadRequestError(`unknown operation ${JSON.stringify(op)} for ${options.name}; it knows ${known.join(', ')}`, { operation: op ?? null, known });
      }
      const handler = handlers[op];
      const result = await handler(request.args);
      return { id, ok: true, result, ...options.state() };
    } catch (error) {
      options.onError?.(error);
      return { id, ok: false, error: toWire(error), ...options.state() };
    }
  };
  if (port) {
    port.on('message', (request: ThreadRequest<Ops>) => {
      void answer(request).then((reply) => {
        try {
          port.postMessage(reply, reply.ok && options.transfer ? options.transfer(reply.result) : []);
        } catch (error) {
          // a result that cannot be sent is that request's error, not the thread's end
          port.postMessage({ id: reply.id, ok: false, error: toWire(error), ...options.state() });
        }
      });
    });
  }
  return answer;
}

/** The buffer of `bytes`, when the bytes are all of it (so it can be handed over uncopied). */
export function wholeBuffer(bytes: Uint8Array): ArrayBuffer[] {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
