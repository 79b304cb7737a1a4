// Every error the server reports to a person has a code (MS_ERR_*), a message that says what to do,
// and, where it answers a request, the HTTP status it maps to.

export type ServerErrorCode =
  | "MS_ERR_USAGE"
  | "MS_ERR_APP_NOT_FOUND"
  | "MS_ERR_APP_NO_ROUTES"
  | "MS_ERR_LUA_LOAD"
  | "MS_ERR_LUA_STATE"
  | "MS_ERR_LUA_RUNTIME"
  | "MS_ERR_LUA_RESULT"
  | "MS_ERR_LUA_TIMEOUT"
  | "MS_ERR_LUA_MEMORY"
  | "MS_ERR_PORT_IN_USE"
  | "MS_ERR_LISTEN"
  | "MS_ERR_WORKER_START"
  | "MS_ERR_NOT_FOUND"
  | "MS_ERR_METHOD_NOT_ALLOWED"
  | "MS_ERR_PROFILE";

export class ServerError extends Error {
  readonly code: ServerErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ServerErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ServerError";
    this.code = code;
    this.details = details;
  }
}

/** HTTP status for errors that answer a request. */
export const STATUS_OF: Partial<Record<ServerErrorCode, number>> = {
  MS_ERR_LUA_RUNTIME: 500,
  MS_ERR_LUA_RESULT: 500,
  MS_ERR_LUA_TIMEOUT: 503,
  MS_ERR_LUA_MEMORY: 503,
  MS_ERR_NOT_FOUND: 404,
  MS_ERR_METHOD_NOT_ALLOWED: 405,
};

/** Formats an error for a terminal: "error MS_ERR_X: message" (no stack: the message says what to do). */
export function describeError(e: unknown): string {
  if (e instanceof ServerError) return `error ${e.code}: ${e.message}`;
  if (e instanceof Error && typeof (e as { code?: unknown }).code === "string") {
    return `error ${(e as unknown as { code: string }).code}: ${e.message}`;
  }
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}
