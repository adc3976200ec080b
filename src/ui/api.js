// The admin API client: the token lives in sessionStorage (this tab only) and goes out as
// an Authorization header on every call, never in a URL or a cookie.
const KEY = 'tock.adminToken';

export function token() { return sessionStorage.getItem(KEY) || ''; }
export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function clearToken() { sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// Called when the server refuses the token (401): the app shows the login again.
let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

// method, path (starting with '/'), optional JSON body; resolves to the parsed body
// (the "data" member of a {"code","msg","data"} envelope), or rejects with an ApiError.
export async function call(method, path, body, tokenOverride) {
  const headers = { Authorization: 'Bearer ' + (tokenOverride ?? token()) };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'The server cannot be reached (' + e.message + ')');
  }
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!res.ok || (parsed && parsed.code && parsed.code !== 0)) {
    const msg = (parsed && (parsed.msg || parsed.error?.message || parsed.error)) ||
      `HTTP ${res.status}`;
    const err = new ApiError(res.status, String(msg), parsed);
    if (res.status === 401 && tokenOverride === undefined) onUnauthorized(err);
    throw err;
  }
  return parsed && 'data' in parsed && 'code' in parsed ? parsed.data : parsed;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body ?? {});
export const del = (path) => call('DELETE', path);
