// JSON-RPC requests of one fl-run on the in-process chain, by method and phase (issue 14): how many
// each client's update, each round's aggregation and each client's claim send
// (test/helpers/rpc-count.ts wraps the connection's provider). Not a row file (leading underscore).
// `npx tsx bench/e2e/_fl-run-rpc.ts [clients] [rounds]` (default 10 × 3) prints the table as JSON.
import { countFlRunRequests } from "../../test/helpers/rpc-count.js";

if (process.argv[1] === import.meta.filename) {
  const [clients = 10, rounds = 3] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await countFlRunRequests(clients, rounds), null, 1));
  process.exit(0);
}
