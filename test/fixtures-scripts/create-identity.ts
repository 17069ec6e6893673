// First use of an enclave identity, started by test/tee/tee.test.ts in many processes at once: waits for
// the shared start time (argv[3], ms since epoch) so the processes race, then prints the identity.
import { loadOrCreateIdentity } from "../../src/tee/identity.js";

// hardhat-mocha loads every file under test/: only run when started as a script, never as a test file
// (which would create an identity in ./test from the test runner's own arguments).
if (process.argv[1] === import.meta.filename) {
  const [dir, startAt] = process.argv.slice(2) as [string, string];
  while (Date.now() < Number(startAt)) {
    // spin: a timer would let the processes drift apart again
  }
  const identity = await loadOrCreateIdentity(dir);
  process.stdout.write(JSON.stringify({ signer: identity.signer, encryptionKey: identity.encryptionKey }) + "\n");
}
