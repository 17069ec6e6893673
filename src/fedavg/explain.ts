/** Plain-language reasons for FLAIFederated's custom errors. */
export function explainFederatedRevert(revert: { name: string; args: readonly unknown[] }): string | undefined {
  const a = revert.args;
  switch (revert.name) {
    case "UnknownTask":
      return `task ${a[0]} does not exist.`;
    case "WrongRound":
      return `round ${a[1]} is not the current round of task ${a[0]} (it is ${a[2]}).`;
    case "RoundDeadlinePassed":
      return `round ${a[1]} of task ${a[0]} stopped accepting updates at ${new Date(Number(a[2]) * 1000).toISOString()}.`;
    case "AlreadyRecorded":
      return `${a[2]} already recorded an update for round ${a[1]} of task ${a[0]}.`;
    case "QuorumNotMet":
      return `round ${a[1]} of task ${a[0]} has ${a[2]} accepted updates, fewer than its quorum ${a[3]}.`;
    case "RoundAlreadyFinalized":
      return `round ${a[1]} of task ${a[0]} is already finalized.`;
    case "UnacceptedEnclave":
      return `the round result is signed by ${a[0]}, not by an enclave registered for the task's measurement.`;
    case "InvalidSignature":
      return "the enclave signature is malformed.";
    case "TaskNotActive":
      return `task ${a[0]} is finished or cancelled.`;
    case "AlreadyClaimed":
      return `${a[2]} already claimed its reward for round ${a[1]} of task ${a[0]}.`;
    case "InvalidProof":
      return "the inclusion proof does not match the round's commitment.";
    default:
      return undefined;
  }
}
