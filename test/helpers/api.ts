/**
 * A JSON caller for a local cloud's API. `baseUrl` is read at each call: the cloud starts in `beforeAll`,
 * after the test file has made its caller.
 */
export function apiCaller(baseUrl: () => string) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${baseUrl()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

/** A response's JSON body, typed by the caller. */
export const json = async <T = Record<string, any>>(response: Response): Promise<T> => (await response.json()) as T;
