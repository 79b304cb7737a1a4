// Dispatch by table, not by string switch: a set of requests declared once as
// { method: { params, result } } is answered by a table of handlers whose types the compiler checks
// against the declaration (both ends of every request use it), and a union of messages
// { type: ... } is handled by a table with one handler per type.
import type { WireError } from "./types";

export interface RequestShape {
  params: unknown;
  result: unknown;
}
/** { method: { params, result } }: an interface with one member per request. */
export type RequestTable<T> = { [M in keyof T]: RequestShape };

/** One handler per method of T, each taking that method's params and answering its result. */
export type Handlers<T extends RequestTable<T>> = { [M in keyof T]: (params: T[M]["params"]) => T[M]["result"] | Promise<T[M]["result"]> };

/** An error with a code that goes back to the asker as { code, message }. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The handler of `method`, or a clear error for a method the table does not have (a stranger, or a newer peer). */
export function dispatch<T extends RequestTable<T>>(handlers: Handlers<T>, method: unknown, params: unknown): Promise<unknown> {
  if (typeof method !== "string" || !Object.prototype.hasOwnProperty.call(handlers, method)) {
    return Promise.reject(new RequestError("MS_ERR_BAD_MESSAGE", `unknown request ${JSON.stringify(method)}; known: ${Object.keys(handlers).join(", ")}`));
  }
  try {
    return Promise.resolve((handlers[method as keyof T] as (p: unknown) => unknown)(params ?? {}));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Any thrown value as the { code, message } a reply carries; `fallback` when it has no code of its own. */
export function wireError(e: unknown, fallback: string): WireError {
  const err = e as { code?: unknown; message?: unknown; data?: { code?: unknown } };
  const code = typeof err?.data?.code === "string" ? err.data.code : typeof err?.code === "string" ? err.code : fallback;
  return { code, message: typeof err?.message === "string" ? err.message : String(e) };
}

/** One handler per message type of the union U, each taking its own kind of message. */
export type MessageHandlers<U extends { type: string }, R = void> = { [T in U["type"]]: (m: Extract<U, { type: T }>) => R };

/** Runs the handler of m's type; an unknown type (a stranger's message) gets `unknown`, not an exception. */
export function handleMessage<U extends { type: string }, R>(handlers: MessageHandlers<U, R>, m: U, unknown: (m: unknown) => R): R {
  const t = (m as { type?: unknown })?.type;
  if (typeof t !== "string" || !Object.prototype.hasOwnProperty.call(handlers, t)) return unknown(m);
  return (handlers as unknown as Record<string, (m: U) => R>)[t](m);
}

/** A typed request declaration for the language server: the method name, with the param and result types carried along. */
export interface RequestDecl<P, R> {
  readonly method: string;
  readonly _types?: [P, R];
}
export interface NotificationDecl<P> {
  readonly method: string;
  readonly _types?: P;
}
export function request<P, R>(method: string): RequestDecl<P, R> {
  return { method };
}
export function notification<P>(method: string): NotificationDecl<P> {
  return { method };
}
