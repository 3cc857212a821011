// An OpenID Connect provider for the test suite: oidc-provider (npm) on 127.0.0.1, with signing
// keys made at start, the portal registered as a client and test accounts that sign in with a
// password. It prints {"issuer": ...} on its first line once it listens.
//
//   node tests/oidc_provider/provider.mjs --accounts accounts.json --client-id portal \
//        --client-secret S --redirect-uri http://testserver/accounts/oidc/callback/ [--port 0]
//
// accounts.json: {"login": {"password": "...", "sub": "...", "acr": "...", "claims": {...}}, ...}
//
// Routes for the tests, beside the provider's own:
//   POST /_test/rotate            a new signing key signs from now on (the old one stays published)
//   GET  /_test/signing-key       the current private signing key (JWK), to sign tokens in tests
//   POST /_test/client            {"redirect_uri", "post_logout_redirect_uri"} added to the client
//   GET  /_test/stats             how often each endpoint was asked, e.g. {"jwks": 2}
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    accounts: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
});

const accounts = JSON.parse(readFileSync(args.accounts, 'utf8'));
const redirectUris = new Set(args['redirect-uri']);
const postLogoutRedirectUris = new Set(args['post-logout-redirect-uri']);
const cookieKeys = [randomBytes(32).toString('hex')];
const stats = {};
let keys = [signingKey()];
let provider;
let handle;

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// The provider is built again when its keys or the client change; sessions, grants and codes
// live in oidc-provider's in-memory store, which every build shares.
function build(issuer) {
  provider = new Provider(issuer, {
    clients: [{
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [...redirectUris],
      post_logout_redirect_uris: [...postLogoutRedirectUris],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys },
    cookies: { keys: cookieKeys },
    pkce: { required: () => true },
    acrValues: [...new Set(Object.values(accounts).map((a) => a.acr).filter(Boolean))],
    claims: {
      // acr in every ID token (oidc-provider adds it otherwise only when acr_values are asked).
      openid: ['sub', 'acr', 'auth_time'],
      profile: ['name', 'family_name', 'given_name'],
      email: ['email', 'email_verified'],
      phone: ['phone_number'],
      national_id: ['national_id'],
      organisation: ['organisation_id'],
    },
    async findAccount(ctx, id) {
      const account = Object.values(accounts).find((a) => a.sub === id);
      return account && { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out', `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<p>${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
    },
  });
  handle = provider.callback();
}

function loginForm(uid, error = '') {
  return page('Sign in to the identity service', `
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
  <label for="login">User name</label> <input id="login" name="login" autocomplete="off">
  <label for="password">Password</label> <input id="password" name="password" type="password">
  <button type="submit">Sign in</button>
</form>`);
}

function consentForm(uid, clientId) {
  return page('Share your details', `
<p>The service ${escape(clientId)} asks for your name, identity number and contact details.</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Continue</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
}

// The sign-in and consent pages (oidc-provider leaves them to the deployer): a password per
// test account, and the account's authentication context class (acr) recorded in the session.
async function interaction(req, res, url) {
  const [, , uid, step] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (req.method === 'GET') {
    const html = details.prompt.name === 'login' ? loginForm(uid) : consentForm(uid, details.params.client_id);
    return send(res, 200, 'text/html; charset=utf-8', html);
  }
  const form = new URLSearchParams(await readBody(req));
  if (step === 'login') {
    const account = accounts[form.get('login')];
    if (!account || account.password !== form.get('password')) {
      return send(res, 200, 'text/html; charset=utf-8', loginForm(uid, 'The user name or the password is not right.'));
    }
    const login = { accountId: account.sub, amr: ['pwd'], ...(account.acr ? { acr: account.acr } : {}) };
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  if (step === 'confirm') {
    const { prompt: { details: missing }, grantId, session, params } = details;
    const grant = grantId ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true });
  }
  return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'cancelled' },
    { mergeWithLastSubmission: false });
}

async function testRoute(req, res, url) {
  const json = (body) => send(res, 200, 'application/json', JSON.stringify(body));
  switch (`${req.method} ${url.pathname}`) {
    case 'POST /_test/rotate':
      keys = [signingKey(), ...keys];
      build(provider.issuer);
      return json({ kid: keys[0].kid });
    case 'GET /_test/signing-key':
      return json(keys[0]);
    case 'POST /_test/client': {
      const body = JSON.parse(await readBody(req) || '{}');
      if (body.redirect_uri) redirectUris.add(body.redirect_uri);
      if (body.post_logout_redirect_uri) postLogoutRedirectUris.add(body.post_logout_redirect_uri);
      build(provider.issuer);
      return json({ redirect_uris: [...redirectUris] });
    }
    case 'GET /_test/stats':
      return json(stats);
    default:
      return send(res, 404, 'text/plain', 'not found');
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, provider.issuer);
  const endpoint = url.pathname.split('/')[1] || '/';
  stats[endpoint] = (stats[endpoint] || 0) + 1;
  let answer;
  if (endpoint === '_test') answer = testRoute(req, res, url);
  else if (endpoint === 'interaction') answer = interaction(req, res, url);
  else return handle(req, res);
  return answer.catch((error) => send(res, 500, 'text/plain', String(error)));
});

server.listen(Number(args.port), '127.0.0.1', () => {
  build(`http://127.0.0.1:${server.address().port}`);
  process.stdout.write(`${JSON.stringify({ issuer: provider.issuer })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
