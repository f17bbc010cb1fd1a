// Another wallet, built on @openid4vc/openid4vci's Openid4vciClient: takes an offer by
// pre-authorized code with a did:jwk holder key (Ed25519) and prints what it received.
// Usage: node holder.mjs OFFER_LINK
// Prints one JSON object: {"did", "credentials"} or {"error"}.
import crypto from 'node:crypto';
import {Openid4vciClient, setGlobalConfig} from '@openid4vc/openid4vci';

// The suite serves the portal on loopback over plain http.
setGlobalConfig({allowInsecureUrls: true});

const b64u = data => Buffer.from(data).toString('base64url');
const keys = crypto.generateKeyPairSync('ed25519');
const publicJwk = keys.publicKey.export({format: 'jwk'});
const did = 'did:jwk:' + b64u(JSON.stringify({kty: 'OKP', crv: 'Ed25519', x: publicJwk.x}));

const callbacks = {
  hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: bytes => crypto.randomBytes(bytes),
  clientAuthentication: () => {},
  async signJwt(signer, {header, payload}) {
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
    const signature = crypto.sign(null, Buffer.from(input), keys.privateKey);
    return {jwt: `${input}.${b64u(signature)}`, signerJwk: publicJwk};
  }
};

try {
  const client = new Openid4vciClient({callbacks});
  const offer = await client.resolveCredentialOffer(process.argv[2]);
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata
  });
  const credentialConfigurationId = offer.credential_configuration_ids[0];
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId, nonce,
    signer: {method: 'did', didUrl: `${did}#0`, alg: 'EdDSA'}
  });
  const result = await client.retrieveCredentials({
    issuerMetadata, credentialConfigurationId,
    accessToken: accessTokenResponse.access_token,
    proofs: {jwt: [jwt]}
  });
  const body = result.credentialResponse;
  console.log(JSON.stringify({did, credentials: (body.credentials || []).map(item => item.credential)}));
} catch(error) {
  console.log(JSON.stringify({did, error: String(error.message || error)}));
}
