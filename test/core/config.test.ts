import path from "node:path";

import { expect } from "chai";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";

import { configuredDeployment, DEFAULTS, resolveFlaiConfig, validateFlaiUserConfig } from "../../src/config.js";
import flai from "../../src/index.js";
import { withNetworkPresets, ZEROG_CHAINS } from "../../src/chain/networks.js";
import { MAX_DEADLINE_SECONDS } from "../../src/limits.js";
import { DEFAULT_PROMPT, marketLedger, marketPrompt, marketProvider } from "../../src/market/settings.js";

import { tempProject } from "../helpers/project.js";

// Checksummed (EIP-55) addresses; BAD_CHECKSUM is JOBS with one letter's case flipped.
const JOBS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const FEDERATED = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const BAD_CHECKSUM = "0x5fbDB2315678afecb367f032d93F642f64180aa3";

describe("config", () => {
  describe("validateFlaiUserConfig", () => {
    it("accepts no flai section and a full one", () => {
      expect(validateFlaiUserConfig({})).to.deep.equal([]);
      expect(
        validateFlaiUserConfig({
          flai: {
            storage: {
              backend: "0g",
              path: "store",
              indexerUrl: "http://127.0.0.1:5678",
              evmRpc: "http://127.0.0.1:8545",
              timeoutSeconds: 5,
              retries: 0,
            },
            enclave: { path: "enc", trainingTimeoutSeconds: 30, attestationAuthority: JOBS },
            jobs: { deadlineSeconds: 60 },
            market: { provider: FEDERATED, prompt: "Hi", ledger: "3.5" },
            deployments: { galileo: { jobs: JOBS, federated: FEDERATED }, localhost: { federated: FEDERATED.toLowerCase() } },
            networkPresets: false,
          },
        }),
      ).to.deep.equal([]);
    });

    const bad: Array<[string, unknown, string[]]> = [
      ["an unknown backend", { storage: { backend: "s3" } }, ["flai", "storage", "backend"]],
      ["an empty storage path", { storage: { path: "" } }, ["flai", "storage", "path"]],
      [
        "an indexer URL that is not http(s)",
        { storage: { backend: "0g", indexerUrl: "indexer.0g.ai" } },
        ["flai", "storage", "indexerUrl"],
      ],
      ["negative retries", { storage: { retries: -1 } }, ["flai", "storage", "retries"]],
      ["a fractional timeout", { enclave: { trainingTimeoutSeconds: 1.5 } }, ["flai", "enclave", "trainingTimeoutSeconds"]],
      ["a negative deadline", { jobs: { deadlineSeconds: -1 } }, ["flai", "jobs", "deadlineSeconds"]],
      ["a non-boolean preset switch", { networkPresets: "yes" }, ["flai", "networkPresets"]],
      [
        "a deployment address that is not 20 bytes hex",
        { deployments: { galileo: { jobs: "0x1234" } } },
        ["flai", "deployments", "galileo", "jobs"],
      ],
      [
        "a deployment address with a mistyped checksum",
        { deployments: { galileo: { federated: BAD_CHECKSUM } } },
        ["flai", "deployments", "galileo", "federated"],
      ],
      ["a deployment naming no contract", { deployments: { galileo: {} } }, ["flai", "deployments", "galileo"]],
      ["an unknown key in a deployment", { deployments: { galileo: { jobs: JOBS, registry: JOBS } } }, ["flai", "deployments", "galileo"]],
      [
        "an attestation authority that is not an address",
        { enclave: { attestationAuthority: "me" } },
        ["flai", "enclave", "attestationAuthority"],
      ],
      [
        "a deadline past the round duration's uint32",
        { jobs: { deadlineSeconds: MAX_DEADLINE_SECONDS + 1 } },
        ["flai", "jobs", "deadlineSeconds"],
      ],
      ["a market provider that is not an address", { market: { provider: "first" } }, ["flai", "market", "provider"]],
      ["an empty market prompt", { market: { prompt: "" } }, ["flai", "market", "prompt"]],
      ["a market ledger that is not a 0G amount", { market: { ledger: "5 0G" } }, ["flai", "market", "ledger"]],
      ["a zero market ledger", { market: { ledger: "0.0" } }, ["flai", "market", "ledger"]],
      ["a market ledger given as a number", { market: { ledger: 5 } }, ["flai", "market", "ledger"]],
      ["an unknown market key", { market: { model: "x" } }, ["flai", "market"]],
    ];
    for (const [what, flaiConfig, where] of bad) {
      it(`rejects ${what}, naming the field`, () => {
        const errors = validateFlaiUserConfig({ flai: flaiConfig } as never);
        expect(errors).to.have.length(1);
        expect(errors[0]!.path).to.deep.equal(where);
        expect(errors[0]!.message).to.be.a("string").and.not.equal("");
      });
    }

    it("rejects an unknown key", () => {
      const errors = validateFlaiUserConfig({ flai: { storag: {} } } as never);
      expect(errors).to.have.length(1);
      expect(errors[0]!.message).to.match(/storag/);
    });
  });

  describe("resolveFlaiConfig", () => {
    it("fills defaults with absolute paths under the project root", () => {
      const root = path.resolve("/tmp/project");
      expect(resolveFlaiConfig(undefined, root)).to.deep.equal({
        storage: {
          backend: "local",
          path: path.join(root, DEFAULTS.storagePath),
          indexerUrl: undefined,
          evmRpc: undefined,
          timeoutSeconds: DEFAULTS.storageTimeoutSeconds,
          retries: DEFAULTS.storageRetries,
        },
        enclave: {
          path: path.join(root, DEFAULTS.enclavePath),
          trainingTimeoutSeconds: DEFAULTS.trainingTimeoutSeconds,
          attestationAuthority: undefined,
        },
        jobs: { deadlineSeconds: DEFAULTS.deadlineSeconds },
        market: { provider: undefined, prompt: undefined, ledger: undefined },
        deployments: {},
        networkPresets: true,
      });
    });

    it("checksums configured addresses and finds a network's deployment by its exact name", () => {
      const resolved = resolveFlaiConfig(
        { deployments: { galileo: { jobs: JOBS.toLowerCase(), federated: FEDERATED.toLowerCase() }, localhost: { federated: FEDERATED } } },
        "/p",
      );
      expect(configuredDeployment(resolved, "galileo")).to.deep.equal({ jobs: JOBS, federated: FEDERATED });
      expect(configuredDeployment(resolved, "localhost")).to.deep.equal({ federated: FEDERATED });
      expect(configuredDeployment(resolved, "Galileo")).to.equal(undefined);
      // An inherited property is not a network the user configured.
      expect(configuredDeployment(resolved, "toString")).to.equal(undefined);
      expect(resolveFlaiConfig({ enclave: { attestationAuthority: JOBS.toLowerCase() } }, "/p").enclave.attestationAuthority).to.equal(
        JOBS,
      );
    });

    it("checksums the market provider and trims the ledger amount", () => {
      const resolved = resolveFlaiConfig({ market: { provider: JOBS.toLowerCase(), prompt: " Hi ", ledger: " 5 " } }, "/p");
      expect(resolved.market).to.deep.equal({ provider: JOBS, prompt: " Hi ", ledger: "5" });
    });

    it("keeps absolute paths and resolves relative ones", () => {
      const resolved = resolveFlaiConfig({ storage: { path: "/abs/store" }, enclave: { path: "rel/enc" } }, "/p");
      expect(resolved.storage.path).to.equal(path.resolve("/abs/store"));
      expect(resolved.enclave.path).to.equal(path.resolve("/p/rel/enc"));
    });
  });

  describe("market settings", () => {
    const none = { provider: undefined, prompt: undefined, ledger: undefined };
    const configured = { provider: JOBS, prompt: "From config", ledger: "7" };
    const env = { FLAI_PROVIDER: FEDERATED, FLAI_PROMPT: "From env", FLAI_LEDGER_OG: "9" };

    it("take the typed option, then flai.market, then the environment, then the default", () => {
      expect([
        marketProvider("0xTyped", configured, env),
        marketPrompt("Typed", configured, env),
        marketLedger("1", configured, env),
      ]).to.deep.equal(["0xTyped", "Typed", "1"]);
      expect([
        marketProvider(undefined, configured, env),
        marketPrompt(undefined, configured, env),
        marketLedger(undefined, configured, env),
      ]).to.deep.equal([JOBS, "From config", "7"]);
      expect([marketProvider(undefined, none, env), marketPrompt(undefined, none, env), marketLedger(undefined, none, env)]).to.deep.equal([
        FEDERATED,
        "From env",
        "9",
      ]);
      expect([marketProvider(undefined, none, {}), marketPrompt(undefined, none, {}), marketLedger(undefined, none, {})]).to.deep.equal([
        undefined,
        DEFAULT_PROMPT,
        undefined,
      ]);
    });

    it("treat an empty FLAI_PROVIDER or FLAI_LEDGER_OG as unset, and an empty FLAI_PROMPT as given (as before)", () => {
      const empty = { FLAI_PROVIDER: "", FLAI_PROMPT: "", FLAI_LEDGER_OG: "" };
      expect([
        marketProvider(undefined, none, empty),
        marketPrompt(undefined, none, empty),
        marketLedger(undefined, none, empty),
      ]).to.deep.equal([undefined, "", undefined]);
    });
  });

  describe("network presets", () => {
    it("adds galileo and zerog-mainnet with the key from a config variable", () => {
      const config = withNetworkPresets({});
      const galileo = config.networks?.galileo;
      expect(galileo).to.include({ type: "http", chainId: ZEROG_CHAINS.galileo.chainId, url: "https://evmrpc-testnet.0g.ai" });
      expect(config.networks?.["zerog-mainnet"]).to.include({ chainId: 16661 });
      expect(JSON.stringify(galileo)).to.contain("FLAI_PRIVATE_KEY");
    });

    it("never replaces a network the user defined, and can be turned off", () => {
      const mine = { type: "http" as const, url: "http://127.0.0.1:1" };
      expect(withNetworkPresets({ networks: { galileo: mine } }).networks?.galileo).to.equal(mine);
      expect(withNetworkPresets({ flai: { networkPresets: false } }).networks).to.equal(undefined);
    });
  });

  describe("through Hardhat", () => {
    it("reports an invalid flai field as Hardhat's config error", async () => {
      let error: unknown;
      try {
        await createHardhatRuntimeEnvironment({ plugins: [flai], flai: { jobs: { deadlineSeconds: 0 } } });
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/flai\.jobs\.deadlineSeconds/);
    });

    it("resolves hre.config.flai and exposes hre.flai", async () => {
      const { hre, root } = await tempProject();
      expect(hre.config.flai.storage.path).to.equal(path.join(root, ".flai", "storage"));
      expect(hre.flai.storage.kind).to.equal("local");
      expect(hre.config.networks.galileo).to.include({ chainId: 16602 });
    });
  });
});
