// A module loaded as an enclave program that registers none (test/tee/shared-worker.test.ts): the
// worker must refuse to run it rather than answer with another program.
export const NOT_A_PROGRAM = true;
