import type { Uploader } from "#0g-storage-sdk";

/**
 * The gas Flow.submit may need beyond its estimate. The estimate is taken against the chain as it
 * is now; another submission mined first (any uploader, any account) can make ours write fresh
 * storage slots (~20k gas each), and the exact estimate then reverts "out of gas" — paid, and
 * nothing stored (seen with 8 concurrent uploads: 53,952–75,813 gas used for estimates of ~56–58k).
 * Unused gas is not charged, so the headroom costs nothing.
 */
export function submitGasLimit(estimate: bigint): bigint {
  const half = estimate / 2n;
  return estimate + (half > 30_000n ? half : 30_000n);
}

/** Makes the SDK's Flow.submit send with submitGasLimit(its estimate) instead of the bare estimate. */
export function withSubmitHeadroom(uploader: Uploader): Uploader {
  const flow = uploader.flow;
  const getFunction = flow.getFunction.bind(flow);
  // The SDK calls flow.getFunction("submit").send(submission, txOpts): only that call is changed.
  flow.getFunction = ((key: string) => {
    const fn = getFunction(key);
    if (key !== "submit") return fn;
    const send = async (...args: unknown[]) => {
      const [submission, txOpts = {}] = args as [unknown, Record<string, unknown>?];
      if (txOpts.gasLimit !== undefined) return fn.send(submission, txOpts);
      const estimate = await fn.estimateGas(submission, txOpts);
      return fn.send(submission, { ...txOpts, gasLimit: submitGasLimit(estimate) });
    };
    return Object.assign(send, { send, estimateGas: fn.estimateGas, staticCall: fn.staticCall });
  }) as typeof flow.getFunction;
  return uploader;
}
