/**
 * A refusal the API answers with its own status and the Part 3 body
 * `{ error, message, ...fields }`. Everything the service refuses on purpose is one of these;
 * the global filter turns anything else into a generic answer without internals.
 */
export type ApiErrorCode = string;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.fields };
  }
}

export const malformed = (message: string) => new ApiError(400, 'malformed', message);
export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);
export const notFound = (message = 'not found') => new ApiError(404, 'not_found', message);
export const unavailable = (message: string) => new ApiError(503, 'unavailable', message);
export const payloadTooLarge = (limit: number) =>
  new ApiError(413, 'payload_too_large', `the body is larger than the limit of ${limit} bytes`);
