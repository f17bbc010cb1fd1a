// Verify a Verifiable Presentation the way the Digital Credentials Consortium's verifier does:
// @digitalcredentials/vc verify() with DataIntegrityProof / eddsa-rdfc-2022, the
// `authentication` purpose with the verifier's challenge (and domain when given), and every
// embedded credential verified on its own. Offline: DCC's security-document-loader resolves
// did:key and holds the contexts; a context it does not ship comes from the wallet's own
// hash-pinned copies (CONTEXTS_DIR).
//
// Usage: node verify_presentation.mjs PRESENTATION.json CHALLENGE DOMAIN|- CONTEXTS_DIR
// Prints one JSON object: {"verified", "presentation", "credentials": [bool...], "errors"}.
import fs from 'node:fs';
import path from 'node:path';
import * as vc from '@digitalcredentials/vc';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalcredentials/security-document-loader';

const [file, challenge, domain, contextsDir] = process.argv.slice(2);
const dccLoader = securityLoader().build();
const manifest = JSON.parse(fs.readFileSync(path.join(contextsDir, 'manifest.json'), 'utf8'));

async function documentLoader(url) {
  try {
    return await dccLoader(url);
  } catch(error) {
    const entry = manifest.contexts[url];
    if(!entry) {
      throw error;
    }
    const document = JSON.parse(fs.readFileSync(path.join(contextsDir, entry.file), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
}

const presentation = JSON.parse(fs.readFileSync(file, 'utf8'));
const result = await vc.verify({
  presentation,
  challenge,
  domain: domain === '-' ? undefined : domain,
  suite: new DataIntegrityProof({cryptosuite}),
  documentLoader
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
for(const item of result.credentialResults || []) {
  collect(item.error);
}
console.log(JSON.stringify({
  verified: result.verified,
  presentation: result.presentationResult?.verified === true,
  credentials: (result.credentialResults || []).map(item => item.verified === true),
  errors
}));
