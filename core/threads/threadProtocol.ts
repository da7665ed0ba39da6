import type { SerializedError } from '../errors.js';

/**
 * The wire shape shared by the threads: a thread declares what it answers as a map from
 * operation name to its arguments and its result, and everything else follows from that
 * map — the request union (discriminated by `op`), the reply, the handlers the thread must
 * have and the parent's typed `request`.
 */
export type Operations = Record<string, { args: unknown; result: unknown }>;

export type OperationName<Ops extends Operations> = keyof Ops & string;

/** A request the parent posts, one member per operation. */
export type ThreadRequest<Ops extends Operations> = { [Op in OperationName<Ops>]: { id: number; op: Op; args: Ops[Op]['args'] } }[OperationName<Ops>];

/**
 * The thread's answer to request `id`: a result or the error as `{code, message, details}`,
 * with `State`, what the thread says about itself in every reply (its WebAssembly memory,
 * whether it must be retired).
 */
export type ThreadReply<Ops extends Operations, State extends object = object> =
  | ({ id: number; ok: true; result: Ops[OperationName<Ops>]['result'] } & State)
  | ({ id: number; ok: false; error: SerializedError } & State);

/** One function per operation: a thread without a handler for an operation does not compile. */
export type OperationHandlers<Ops extends Operations> = {
  [Op in OperationName<Ops>]: (args: Ops[Op]['args']) => Ops[Op]['result'] | Promise<Ops[Op]['result']>;
};
