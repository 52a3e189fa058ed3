// The identity API as the wallet and verifier pages call it (docs/api.md
// §Identity). Only public things go out: a credential request (a hiding
// commitment), the X25519 public key an answer is sealed to, a presentation the
// holder consented to, a verifier's request. Same origin, no cookies needed.

export const API = '/api/v1/identity';

/** A refusal of the API: {status, code, message}. */
export class ApiError extends Error {
  constructor(status, doc) {
    super(doc && typeof doc.detail === 'string' ? doc.detail : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = doc && typeof doc.error === 'string' ? doc.error : 'http_error';
  }
}

async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(API + path, init);
  const doc = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, doc);
  return doc;
}

const enc = encodeURIComponent;

export const issuers = () => call('GET', '/issuers');
export const issuer = (name) => call('GET', `/issuers/${enc(name)}`);
export const issuerKey = (name) => call('GET', `/issuers/${enc(name)}/key`);
export const key = (keyId) => call('GET', `/keys/${enc(keyId)}`);
export const schema = (issuerName, id) => call('GET', `/schemas/${enc(issuerName)}/${enc(id)}`);

/** Holder: post {request, seal_to} to the issuer's mailbox. */
export const submitRequest = (body) => call('POST', '/issuance/requests', body);
/** Holder: the mail of a request (its sealed answer once issued). */
export const mail = (id) => call('GET', `/issuance/requests/${enc(id)}`);
export const deleteMail = (id) => call('DELETE', `/issuance/requests/${enc(id)}`);

/** Verifier: a presentation request with a server nonce. */
export const createSession = (body) => call('POST', '/requests', body);
/** Holder and verifier: a presentation request (and its verdict once answered). */
export const session = (id) => call('GET', `/requests/${enc(id)}`);
/** Holder: answer a presentation request (a verdict, or ApiError 422 when refused). */
export const answerSession = (id, presentation) => call('POST', `/requests/${enc(id)}/response`, { presentation });
