/** Toxiproxy's error body, `{"error": message, "status": code}`, with its status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

/** Toxiproxy prefixes every body problem with "bad request body". */
export function badBody(detail: string): ApiError {
  return new ApiError(`bad request body: ${detail}`, 400);
}

export const proxyNotFound = (): ApiError => new ApiError('proxy not found', 404);
export const toxicNotFound = (): ApiError => new ApiError('toxic not found', 404);
