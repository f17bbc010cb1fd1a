// An OpenID4VCI issuer of Open Badges 3.0 for the wallet's tests, built on @openid4vc/openid4vci
// and @openid4vc/oauth2 (offers, metadata, token and credential requests, proof verification)
// with ldp_vc credentials signed by the Digital Credentials Consortium's libraries
// (eddsa-rdfc-2022). The pre-authorized code flow, in two shapes at once:
//   /v1       OpenID4VCI 1.0: nonce endpoint, authorization server metadata, `proofs`, `credentials`
//   /draft13  draft 13: `c_nonce` in the token response, token_endpoint in the issuer metadata,
//             singular `proof` and `credential`
// Usage: node issuer.mjs   (listens on 127.0.0.1, prints {"port": N} on its first line)
// Test control: POST /admin/offers {issuer, configurations, tx_code, by_reference, stale_nonce,
// bind_to} -> {offer, code}; GET /admin/events -> what happened (tokens, proofs, credentials).
import crypto from 'node:crypto';
import http from 'node:http';
import {Oauth2AuthorizationServer, Oauth2ErrorCodes, Oauth2ServerErrorResponseError} from '@openid4vc/oauth2';
import {Openid4vciIssuer, Openid4vciVersion, setGlobalConfig} from '@openid4vc/openid4vci';
import * as vc from '@digitalcredentials/vc';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalcredentials/security-document-loader';

// The suite serves it on loopback over plain http (the wallet allows that only there).
setGlobalConfig({allowInsecureUrls: true});

const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const VC_V1 = 'https://www.w3.org/2018/credentials/v1';
const OB_CONTEXT_V1 = 'https://purl.imsglobal.org/spec/ob/v3p0/context.json';
const TYPES = ['VerifiableCredential', 'OpenBadgeCredential'];
const documentLoader = securityLoader().build();
const events = [];

// --- keys and JOSE ------------------------------------------------------------------------------
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(bytes) {
  let number = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while(number > 0n) {
    out = B58[Number(number % 58n)] + out;
    number /= 58n;
  }
  for(const byte of bytes) {
    if(byte !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}
function unbase58(text) {
  let number = 0n;
  for(const char of text) {
    const index = B58.indexOf(char);
    if(index < 0) {
      throw new Error('bad base58');
    }
    number = number * 58n + BigInt(index);
  }
  let hex = number.toString(16);
  if(hex.length % 2) {
    hex = '0' + hex;
  }
  return Buffer.from(hex, 'hex');
}
const b64u = data => Buffer.from(data).toString('base64url');
const rawOf = key => Buffer.from(key.export({format: 'jwk'}).x, 'base64url');

const issuerKeys = crypto.generateKeyPairSync('ed25519');
const issuerMultikey = 'z' + base58(Buffer.concat([Buffer.from([0xed, 0x01]), rawOf(issuerKeys.publicKey)]));
const issuerDid = `did:key:${issuerMultikey}`;
const issuerMethod = `${issuerDid}#${issuerMultikey}`;
const serverKeys = crypto.generateKeyPairSync('ed25519');

function jwkOfDidUrl(didUrl) {
  const did = didUrl.split('#')[0];
  if(did.startsWith('did:key:z6Mk')) {
    const raw = unbase58(did.slice('did:key:z'.length));
    return {kty: 'OKP', crv: 'Ed25519', x: b64u(raw.subarray(2))};
  }
  if(did.startsWith('did:jwk:')) {
    return JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString('utf8'));
  }
  throw new Error(`unsupported DID ${did}`);
}

const callbacks = {
  hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: bytes => crypto.randomBytes(bytes),
  clientAuthentication: () => {},
  async signJwt(signer, {header, payload}) {
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
    const signature = crypto.sign(null, Buffer.from(input), serverKeys.privateKey);
    return {jwt: `${input}.${b64u(signature)}`, signerJwk: serverKeys.publicKey.export({format: 'jwk'})};
  },
  async verifyJwt(signer, {compact, header}) {
    let jwk;
    if(signer.method === 'did') {
      jwk = jwkOfDidUrl(signer.didUrl);
    } else if(signer.method === 'jwk') {
      jwk = signer.publicJwk;
    } else {
      return {verified: false};
    }
    if(header.alg !== 'EdDSA' || jwk.crv !== 'Ed25519') {
      return {verified: false, signerJwk: jwk};
    }
    const [head, body, signature] = compact.split('.');
    const key = crypto.createPublicKey({key: jwk, format: 'jwk'});
    const verified = crypto.verify(null, Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url'));
    return {verified, signerJwk: jwk};
  }
};

// --- the two issuers ----------------------------------------------------------------------------
let base = '';
const sessions = new Map(); // pre-authorized code -> offer state
const tokens = new Map(); // access token -> {offer, cNonce}
const nonces = new Set(); // nonces handed out by the v1 nonce endpoints, each usable once
const storedOffers = new Map(); // offer id -> offer object (credential_offer_uri)

function configurations() {
  const display = [{name: 'Concrete Engineer', locale: 'en'}, {name: 'コンクリート技士', locale: 'ja'}];
  const binding = {
    cryptographic_binding_methods_supported: ['did:key', 'did:jwk'],
    proof_types_supported: {jwt: {proof_signing_alg_values_supported: ['EdDSA']}}
  };
  return {
    OpenBadge_jwt: {format: 'jwt_vc_json', credential_definition: {type: TYPES},
      credential_signing_alg_values_supported: ['EdDSA'], ...binding, display},
    OpenBadge_ldp: {format: 'ldp_vc', credential_definition: {'@context': [VC_V2, OB_CONTEXT], type: TYPES},
      credential_signing_alg_values_supported: ['eddsa-rdfc-2022'], ...binding, display},
    Identity_sdjwt: {format: 'dc+sd-jwt', vct: 'https://example.invalid/identity', ...binding}
  };
}

function issuerOf(name) {
  const id = `${base}/${name}`;
  const credentialIssuer = {
    credential_issuer: id,
    credential_endpoint: `${id}/credential`,
    credential_configurations_supported: configurations(),
    display: [{name: 'Test Institute', locale: 'en'}, {name: 'テスト研修所', locale: 'ja'}]
  };
  const authorizationServer = {
    issuer: id,
    token_endpoint: `${id}/token`,
    'pre-authorized_grant_anonymous_access_supported': true
  };
  if(name === 'v1') {
    credentialIssuer.nonce_endpoint = `${id}/nonce`;
  } else {
    credentialIssuer.token_endpoint = `${id}/token`;
  }
  const issuer = new Openid4vciIssuer({callbacks});
  const server = new Oauth2AuthorizationServer({callbacks});
  const metadata = {
    originalDraftVersion: name === 'v1' ? Openid4vciVersion.V1 : Openid4vciVersion.Draft14,
    credentialIssuer: issuer.createCredentialIssuerMetadata(credentialIssuer),
    authorizationServers: [server.createAuthorizationServerMetadata(authorizationServer)],
    knownCredentialConfigurations: issuer.getKnownCredentialConfigurationsSupported(credentialIssuer)
  };
  return {name, id, issuer, server, metadata, credentialIssuer, authorizationServer};
}

// --- credentials --------------------------------------------------------------------------------
function badge(subjectId) {
  return {
    '@context': [VC_V2, OB_CONTEXT],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: TYPES,
    issuer: {id: issuerDid, type: ['Profile'], name: 'Test Institute'},
    validFrom: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    name: 'Concrete Engineer',
    credentialSubject: {
      id: subjectId,
      type: ['AchievementSubject'],
      achievement: {
        id: 'urn:uuid:6b1c4b9e-5d0c-4f7e-9a43-0c8f4b1d2e77',
        type: ['Achievement'],
        name: 'Concrete Engineer',
        description: 'Passed the concrete engineer examination.',
        criteria: {narrative: 'Pass the written and the practical examination.'}
      }
    }
  };
}

async function sign(format, subjectId) {
  const credential = badge(subjectId);
  if(format === 'ldp_vc') {
    const signer = {
      id: issuerMethod,
      algorithm: 'Ed25519',
      sign: async ({data}) => new Uint8Array(crypto.sign(null, Buffer.from(data), issuerKeys.privateKey))
    };
    return vc.issue({credential, suite: new DataIntegrityProof({signer, cryptosuite}), documentLoader});
  }
  // jwt_vc_json is the VC 1.1 JWT encoding (a `vc` claim): the OB 3.0 shape of that model.
  const {validFrom, ...rest} = credential;
  const legacy = {
    ...rest, '@context': [VC_V1, OB_CONTEXT_V1], issuanceDate: validFrom
  };
  const header = {alg: 'EdDSA', typ: 'JWT', kid: issuerMethod};
  const payload = {
    iss: issuerDid, sub: subjectId, jti: credential.id,
    nbf: Math.floor(Date.parse(validFrom) / 1000), vc: legacy
  };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(crypto.sign(null, Buffer.from(input), issuerKeys.privateKey))}`;
}

// --- HTTP ---------------------------------------------------------------------------------------
function send(res, status, body, headers = {}) {
  res.writeHead(status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers});
  res.end(JSON.stringify(body));
}

function oauthError(res, error) {
  if(error instanceof Oauth2ServerErrorResponseError) {
    return send(res, error.status ?? 400, error.errorResponse);
  }
  return send(res, 400, {error: 'invalid_request', error_description: String(error.message || error)});
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function token(ctx, req, res) {
  const form = Object.fromEntries(new URLSearchParams(await body(req)));
  const request = {method: 'POST', url: `${ctx.id}/token`, headers: new Headers(req.headers)};
  try {
    const {grant, accessTokenRequest} = ctx.server.parseAccessTokenRequest({request, accessTokenRequest: form});
    const session = sessions.get(grant.preAuthorizedCode);
    if(!session || session.issuer !== ctx.name || session.redeemed) {
      events.push({event: 'token refused', reason: session ? 'replayed' : 'unknown code'});
      throw new Oauth2ServerErrorResponseError({error: Oauth2ErrorCodes.InvalidGrant, error_description: 'Invalid pre-authorized_code'});
    }
    await ctx.server.verifyPreAuthorizedCodeAccessTokenRequest({
      authorizationServerMetadata: ctx.metadata.authorizationServers[0],
      grant, accessTokenRequest, request,
      expectedPreAuthorizedCode: grant.preAuthorizedCode,
      expectedTxCode: session.txCode ?? undefined
    });
    session.redeemed = true;
    const cNonce = ctx.name === 'v1' ? undefined : crypto.randomBytes(16).toString('base64url');
    const answer = await ctx.server.createAccessTokenResponse({
      audience: ctx.id, authorizationServer: ctx.id, expiresInSeconds: 300, subject: 'anonymous',
      signer: {method: 'jwk', alg: 'EdDSA', publicJwk: serverKeys.publicKey.export({format: 'jwk'})},
      cNonce, cNonceExpiresIn: cNonce ? 300 : undefined
    });
    tokens.set(answer.access_token, {session, cNonce});
    events.push({event: 'token', issuer: ctx.name, tx_code: session.txCode != null});
    send(res, 200, answer);
  } catch(error) {
    events.push({event: 'token refused', reason: error.errorResponse?.error_description || String(error)});
    oauthError(res, error);
  }
}

async function credential(ctx, req, res) {
  const auth = req.headers.authorization || '';
  const state = tokens.get(auth.replace(/^Bearer /, ''));
  if(!state) {
    return send(res, 401, {error: 'invalid_token'}, {'WWW-Authenticate': 'Bearer error="invalid_token"'});
  }
  try {
    const raw = JSON.parse(await body(req));
    const parsed = ctx.issuer.parseCredentialRequest({issuerMetadata: ctx.metadata, credentialRequest: raw});
    const jwt = parsed.proofs?.jwt?.[0] ?? parsed.proof?.jwt;
    if(!jwt) {
      return send(res, 400, {error: 'invalid_proof', error_description: 'no jwt proof'});
    }
    const claimed = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).nonce;
    const fresh = () => {
      const nonce = crypto.randomBytes(16).toString('base64url');
      state.cNonce = nonce;
      return nonce;
    };
    const known = ctx.name === 'v1' ? nonces.delete(claimed) : claimed === state.cNonce;
    if(!known || state.session.staleNonce) {
      events.push({event: 'proof refused', reason: 'nonce'});
      return ctx.name === 'v1' ?
        send(res, 400, {error: 'invalid_nonce', error_description: 'unknown nonce'}) :
        send(res, 400, {error: 'invalid_proof', error_description: 'nonce', c_nonce: fresh(), c_nonce_expires_in: 300});
    }
    const verified = await ctx.issuer.verifyCredentialRequestJwtProof({
      issuerMetadata: ctx.metadata, jwt, expectedNonce: claimed
    });
    const kid = verified.header.kid;
    const holder = kid ? kid.split('#')[0] : `did:jwk:${b64u(JSON.stringify(verified.signer.publicJwk))}`;
    const configurationId = parsed.credentialConfigurationId ??
      Object.keys(parsed.credentialConfigurations ?? {})[0];
    const format = ctx.credentialIssuer.credential_configurations_supported[configurationId]?.format ??
      parsed.format?.format;
    const subject = state.session.bindTo || holder;
    const issued = await sign(format, subject);
    events.push({event: 'credential', issuer: ctx.name, format, holder, subject, request: 'proofs' in raw ? 'proofs' : 'proof'});
    if(ctx.name === 'v1') {
      return send(res, 200, ctx.issuer.createCredentialResponse({credentialRequest: parsed, credentials: [{credential: issued}]}));
    }
    send(res, 200, {credential: issued, c_nonce: fresh(), c_nonce_expires_in: 300});
  } catch(error) {
    events.push({event: 'credential refused', reason: String(error.message || error)});
    oauthError(res, error);
  }
}

async function createOffer(req, res) {
  const options = JSON.parse(await body(req));
  const ctx = issuers[options.issuer || 'v1'];
  const code = crypto.randomBytes(24).toString('base64url');
  const txCode = options.tx_code ?? null;
  sessions.set(code, {issuer: ctx.name, txCode, staleNonce: !!options.stale_nonce, bindTo: options.bind_to});
  const offerId = crypto.randomBytes(12).toString('hex');
  const grant = {'pre-authorized_code': code};
  if(txCode) {
    grant.tx_code = {input_mode: 'numeric', length: txCode.length, description: 'The PIN in your second mail'};
  }
  const created = await ctx.issuer.createCredentialOffer({
    issuerMetadata: ctx.metadata,
    credentialConfigurationIds: options.configurations || ['OpenBadge_ldp'],
    grants: {'urn:ietf:params:oauth:grant-type:pre-authorized_code': grant},
    credentialOfferUri: options.by_reference ? `${ctx.id}/offers/${offerId}` : undefined
  });
  storedOffers.set(offerId, created.credentialOfferObject);
  send(res, 200, {offer: created.credentialOffer, code, object: created.credentialOfferObject});
}

const issuers = {};
const server = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, base).pathname;
    for(const ctx of Object.values(issuers)) {
      if(req.method === 'GET' && path === `/.well-known/openid-credential-issuer/${ctx.name}`) {
        return send(res, 200, ctx.credentialIssuer);
      }
      if(req.method === 'GET' && path === `/.well-known/oauth-authorization-server/${ctx.name}`) {
        return send(res, 200, ctx.authorizationServer);
      }
      if(req.method === 'GET' && path.startsWith(`/${ctx.name}/offers/`)) {
        const offer = storedOffers.get(path.split('/').pop());
        return offer ? send(res, 200, offer) : send(res, 404, {error: 'not_found'});
      }
      if(req.method === 'POST' && path === `/${ctx.name}/token`) {
        return await token(ctx, req, res);
      }
      if(req.method === 'POST' && path === `/${ctx.name}/nonce` && ctx.name === 'v1') {
        const nonce = crypto.randomBytes(16).toString('base64url');
        nonces.add(nonce);
        return send(res, 200, ctx.issuer.createNonceResponse({cNonce: nonce}));
      }
      if(req.method === 'POST' && path === `/${ctx.name}/credential`) {
        return await credential(ctx, req, res);
      }
    }
    if(req.method === 'POST' && path === '/admin/offers') {
      return await createOffer(req, res);
    }
    if(req.method === 'GET' && path === '/admin/events') {
      return send(res, 200, {events, issuer: issuerDid});
    }
    send(res, 404, {error: 'not_found'});
  } catch(error) {
    send(res, 500, {error: 'server_error', error_description: String(error.stack || error)});
  }
});

server.listen(0, '127.0.0.1', () => {
  const {port} = server.address();
  base = `http://127.0.0.1:${port}`;
  issuers.v1 = issuerOf('v1');
  issuers.draft13 = issuerOf('draft13');
  console.log(JSON.stringify({port, issuer: issuerDid}));
});
