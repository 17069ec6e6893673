import path from "node:path";

import { expect } from "chai";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";

import { DEFAULTS, resolveFlaiConfig, validateFlaiUserConfig } from "../src/config.js";
import flai from "../src/index.js";
import { withNetworkPresets, ZEROG_CHAINS } from "../src/networks.js";

import { tempProject } from "./helpers/project.js";

describe("config", () => {
  describe("validateFlaiUserConfig", () => {
    it("accepts no flai section and a full one", () => {
      expect(validateFlaiUserConfig({})).to.deep.equal([]);
      expect(
        validateFlaiUserConfig({
          flai: {
            storage: { backend: "0g", path: "store", indexerUrl: "http://127.0.0.1:5678", evmRpc: "http://127.0.0.1:8545", timeoutSeconds: 5, retries: 0 },
            enclave: { path: "enc", trainingTimeoutSeconds: 30 },
            jobs: { deadlineSeconds: 60 },
            networkPresets: false,
          },
        }),
      ).to.deep.equal([]);
    });

    const bad: Array<[string, unknown, string[]]> = [
      ["an unknown backend", { storage: { backend: "s3" } }, ["flai", "storage", "backend"]],
      ["an empty storage path", { storage: { path: "" } }, ["flai", "storage", "path"]],
      ["an indexer URL that is not http(s)", { storage: { backend: "0g", indexerUrl: "indexer.0g.ai" } }, ["flai", "storage", "indexerUrl"]],
      ["negative retries", { storage: { retries: -1 } }, ["flai", "storage", "retries"]],
      ["a fractional timeout", { enclave: { trainingTimeoutSeconds: 1.5 } }, ["flai", "enclave", "trainingTimeoutSeconds"]],
      ["a negative deadline", { jobs: { deadlineSeconds: -1 } }, ["flai", "jobs", "deadlineSeconds"]],
      ["a non-boolean preset switch", { networkPresets: "yes" }, ["flai", "networkPresets"]],
    ];
    for (const [what, flaiConfig, where] of bad) {
      it(`rejects ${what}, naming the field`, () => {
        const errors = validateFlaiUserConfig({ flai: flaiConfig } as never);
        expect(errors).to.have.length(1);
        expect(errors[0].path).to.deep.equal(where);
        expect(errors[0].message).to.be.a("string").and.not.equal("");
      });
    }

    it("rejects an unknown key", () => {
      const errors = validateFlaiUserConfig({ flai: { storag: {} } } as never);
      expect(errors).to.have.length(1);
      expect(errors[0].message).to.match(/storag/);
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
        enclave: { path: path.join(root, DEFAULTS.enclavePath), trainingTimeoutSeconds: DEFAULTS.trainingTimeoutSeconds },
        jobs: { deadlineSeconds: DEFAULTS.deadlineSeconds },
        networkPresets: true,
      });
    });

    it("keeps absolute paths and resolves relative ones", () => {
      const resolved = resolveFlaiConfig({ storage: { path: "/abs/store" }, enclave: { path: "rel/enc" } }, "/p");
      expect(resolved.storage.path).to.equal(path.resolve("/abs/store"));
      expect(resolved.enclave.path).to.equal(path.resolve("/p/rel/enc"));
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
        await createHardhatRuntimeEnvironment({ plugins: [flai], flai: { jobs: { deadlineSeconds: 0 } } } as never);
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
