// Acquire app-only tokens with unmodified @azure/msal-node, as a daemon would.
//
// Input (JSON on stdin): {authority, knownAuthorities, clientId, clientSecret | clientCertificate,
//   scopes, calls}
// Output (JSON on stdout): {results: [{accessToken, fromCache, tokenType, expiresOn}]}
//   or, when MSAL raises: {error: {name, errorCode, errorNo, subError, correlationId, message}}
// The CA bundle comes from NODE_EXTRA_CA_CERTS, which Node reads at start-up.
import { ConfidentialClientApplication } from "@azure/msal-node";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const app = new ConfidentialClientApplication({
  auth: {
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    clientCertificate: input.clientCertificate, // {thumbprintSha256, privateKey, x5c?}
    authority: input.authority,
    knownAuthorities: input.knownAuthorities,
  },
});

const results = [];
try {
  for (let i = 0; i < (input.calls ?? 1); i++) {
    const result = await app.acquireTokenByClientCredential({ scopes: input.scopes });
    results.push({
      accessToken: result.accessToken,
      fromCache: result.fromCache,
      tokenType: result.tokenType,
      expiresOn: result.expiresOn,
    });
  }
  process.stdout.write(JSON.stringify({ results }));
} catch (error) {
  process.stdout.write(
    JSON.stringify({
      error: {
        name: error.name,
        errorCode: error.errorCode,
        errorNo: error.errorNo,
        subError: error.subError,
        correlationId: error.correlationId,
        message: error.message,
      },
    }),
  );
}
