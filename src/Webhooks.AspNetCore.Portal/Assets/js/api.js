// The management endpoints of MapWebhooks(), as the page calls them: same origin, the session's
// cookie (or the app's own sign-in), the anti-forgery token on every change, ProblemDetails turned
// into errors a person can read.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? null;
  }

  /** Field errors of a 400 validation problem: { "name": ["A name is required."], ... }. */
  get fieldErrors() {
    return (this.problem && typeof this.problem.errors === 'object' && this.problem.errors) || {};
  }

  get code() {
    return this.problem?.code ?? null;
  }
}

/** What to tell a person about an error: a short title and a sentence. */
export function describe(error) {
  if (!(error instanceof ApiError)) {
    return { title: 'Something went wrong.', detail: 'The page hit an unexpected problem. Reload it and try again.' };
  }

  const p = error.problem;
  switch (error.status) {
    case 0:
      return { title: 'Could not reach the server.', detail: 'Check your connection and try again.' };
    case 401:
      return { title: p?.title || 'Your session has ended.', detail: p?.detail || 'Open your access link again, or sign in again.' };
    case 403:
      return { title: p?.title || 'Not allowed.', detail: p?.detail || 'You do not have permission to do this.' };
    case 404:
      return { title: 'Not found.', detail: 'It may have been deleted. Go back to the list and try again.' };
    case 409:
      return { title: p?.title || 'That conflicts with what is saved.', detail: p?.detail || 'Change it and try again.' };
    case 412:
      return { title: 'Changed by someone else.', detail: 'This webhook was changed since you opened it. Reload to see the latest version, then make your change again.' };
    case 413:
      return { title: 'Too much data.', detail: p?.detail || 'Send less at once.' };
    default:
      if (error.status >= 500) {
        return { title: 'The server had a problem.', detail: 'Try again in a moment. If it keeps happening, tell the site\'s support.' };
      }
      return { title: p?.title || 'The request was refused.', detail: p?.detail || `The server answered ${error.status}.` };
  }
}

export function createApi(config) {
  const base = config.apiBase;

  async function call(method, path, { body, query, version } = {}) {
    let url = base + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }

    // X-Requested-With: cookie authentication answers 401 instead of redirecting to a sign-in page.
    const headers = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
    if (method !== 'GET') headers[config.antiforgery.headerName] = config.antiforgery.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (version !== undefined && version !== null) headers['If-Match'] = `"${version}"`;

    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'manual',
      });
    } catch {
      throw new ApiError(0, null);
    }

    if (response.type === 'opaqueredirect') throw new ApiError(401, null);
    if (response.status === 204) return null;
    const type = response.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await response.json().catch(() => null) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  const e = encodeURIComponent;
  return {
    catalog: () => call('GET', 'event-types'),
    list: (cursor) => call('GET', '', { query: { cursor } }),
    get: (id) => call('GET', e(id)),
    create: (body) => call('POST', '', { body }),
    update: (id, body, version) => call('PATCH', e(id), { body, version }),
    remove: (id, version) => call('DELETE', e(id), { version }),
    enable: (id) => call('POST', `${e(id)}/enable`),
    disable: (id) => call('POST', `${e(id)}/disable`),
    rotate: (id) => call('POST', `${e(id)}/rotate-secret`),
    test: (id) => call('POST', `${e(id)}/test`),
    testUrl: (body) => call('POST', 'test', { body }),
    deliveries: (id, query) => call('GET', id ? `${e(id)}/deliveries` : 'deliveries', { query }),
    delivery: (deliveryId) => call('GET', `deliveries/${e(deliveryId)}`),
    redeliver: (id, deliveryId) => call('POST', `${e(id)}/deliveries/${e(deliveryId)}/redeliver`),
    recover: (id, since) => call('POST', `${e(id)}/recover`, { body: { since } }),
    stats: (query) => call('GET', 'stats', { query }),
    /** Attempts over a window, a total per webhook: one request for a table's rows (at most 100 ids). */
    statsBySubscription: (ids, window) => call('GET', 'stats/subscriptions', { query: { ids: ids.join(','), window } }),
  };
}
