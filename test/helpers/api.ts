/**
 * A JSON caller for a local cloud's API, signed in with `token` (none: anonymous). Both are read at each
 * call: the cloud starts, and its tokens are minted, in `beforeAll`, after the test file made its caller.
 */
export function apiCaller(baseUrl: () => string, token: () => string | undefined = () => undefined) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const bearer = token();
    return fetch(`${baseUrl()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
}

/** `fetch`, signed in with `token` (read at each call) unless the request names its own `authorization`. */
export const signedFetch =
  (token: () => string) =>
  (url: string, init: RequestInit = {}): Promise<Response> =>
    fetch(url, { ...init, headers: { authorization: `Bearer ${token()}`, ...(init.headers as Record<string, string>) } });

/** A response's JSON body, typed by the caller. */
export const json = async <T = Record<string, any>>(response: Response): Promise<T> => (await response.json()) as T;
