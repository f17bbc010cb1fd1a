// Verify an Open Badges 3.0 credential the way the Digital Credentials Consortium's verifier
// does (@digitalcredentials/vc with DataIntegrityProof / eddsa-rdfc-2022 and the bitstring
// status list), offline.
//
// Usage: node verify.mjs CREDENTIAL.json BASE_URL DOCS_DIR CONTEXTS_DIR
// Prints one JSON object: {"verified", "errors", "revoked", "loaded"}.
//
// The document loader. DCC's own loader (security-document-loader's securityLoader()) holds
// the JSON-LD contexts it ships and resolves did:key and did:web; it does not fetch https URLs
// unless told to (fetchRemoteContexts), and even then it would hand back the whole issuer
// profile for "<issuer>#z6Mk…" where data-integrity expects the key itself. Our issuer keys are
// such https methods of the issuer profile, so this loader answers BASE_URL documents from the
// files `wallet issuers publish DOCS_DIR` wrote (the profile, the status lists), and a method
// URL with the profile's entry of that id (a Multikey, with the Multikey context), as a server
// dereferencing the fragment would. Everything else goes to DCC's loader; a context it does
// not ship (the Multikey one) comes from the wallet's own hash-pinned copies (CONTEXTS_DIR).
import fs from 'node:fs';
import path from 'node:path';
import * as vc from '@digitalcredentials/vc';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalcredentials/security-document-loader';
import {checkStatus} from '@digitalcredentials/vc-bitstring-status-list';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const [credentialFile, base, docsDir, contextsDir] = process.argv.slice(2);
const dccLoader = securityLoader().build();
const manifest = JSON.parse(fs.readFileSync(path.join(contextsDir, 'manifest.json'), 'utf8'));
const loaded = [];

function published(url) {
  const [address, fragment] = url.split('#');
  const file = path.join(docsDir, ...address.slice(base.length).split('/'));
  const document = JSON.parse(fs.readFileSync(file, 'utf8'));
  if(!fragment) {
    return document;
  }
  const method = (document.verificationMethod || []).find(entry => entry.id === url);
  if(!method) {
    throw new Error(`NotFoundError: ${url}`);
  }
  return {'@context': MULTIKEY_V1, ...method};
}

async function documentLoader(url) {
  loaded.push(url);
  if(url.startsWith(base + '/')) {
    return {contextUrl: null, documentUrl: url, document: published(url)};
  }
  try {
    return await dccLoader(url);
  } catch(error) {
    const entry = manifest.contexts[url];
    if(!entry) {
      throw error;
    }
    const file = path.join(contextsDir, entry.file);
    return {contextUrl: null, documentUrl: url, document: JSON.parse(fs.readFileSync(file, 'utf8'))};
  }
}

const credential = JSON.parse(fs.readFileSync(credentialFile, 'utf8'));
const suite = new DataIntegrityProof({cryptosuite});
const result = await vc.verifyCredential({
  credential,
  suite,
  documentLoader,
  checkStatus: options => checkStatus({...options, suite, documentLoader})
});
const errors = [];
const collect = error => {
  if(!error) {
    return;
  }
  errors.push(String(error.message || error));
  for(const inner of error.errors || []) {
    collect(inner);
  }
};
collect(result.error);
for(const item of result.results || []) {
  collect(item.error);
}
// The status check's answer: a set revocation bit makes an entry (and the credential) fail.
const revoked = (result.statusResult?.results || []).map(entry => entry.verified !== true);
collect(result.statusResult?.error);
console.log(JSON.stringify({verified: result.verified, errors, revoked, loaded}));
