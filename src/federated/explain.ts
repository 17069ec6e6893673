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
      return `${a[0]} is not an enclave registered (unexpired) and accepted for the task's measurement.`;
    case "InvalidSignature":
      return "the enclave signature is malformed.";
    case "TaskNotActive":
      return `task ${a[0]} is finished or cancelled.`;
    case "AlreadyClaimed":
      return `${a[2]} already claimed its reward for round ${a[1]} of task ${a[0]}.`;
    case "InvalidProof":
      return "the inclusion proof does not match the round's commitment.";
    case "UpdatesClosed":
      return `round ${a[1]} of task ${a[0]} is closed: its ${a[2]} updates are frozen (closed by the enclave once the quorum was met, or full at the task's maximum number of clients); join the next round.`;
    case "RoundNotClosed":
      return `round ${a[1]} of task ${a[0]} is still open for updates (until ${new Date(Number(a[2]) * 1000).toISOString()}): the enclave must close it (closeRound) before a result over its update set can be finalized.`;
    case "PreviousModelMismatch":
      return `the round result of round ${a[1]} of task ${a[0]} was computed from another model than the task's current global model ${a[2]}.`;
    case "UpdateSetMismatch":
      return `the round result of round ${a[1]} of task ${a[0]} was computed over another update set than the ${a[2]} recorded updates (accumulator ${a[3]}); re-aggregate the recorded updates.`;
    case "NotTaskEnclave":
      return `the signature is by ${a[1]}, not by task ${a[0]}'s enclave ${a[2]}.`;
    case "RoundNotFailed":
      return `round ${a[1]} of task ${a[0]} met its quorum (${a[2]} updates): it can be cancelled only if it is not finalized by ${new Date(Number(a[3]) * 1000).toISOString()}.`;
    case "RoundStillOpen":
      return `round ${a[1]} of task ${a[0]} is open until ${new Date(Number(a[2]) * 1000).toISOString()}; a task can be cancelled only after a round failed.`;
    case "NumExamplesTooLarge":
      return `num_examples ${a[0]} is more than the ${a[1]} one update may record.`;
    case "InvalidTaskParameters":
      return "rounds, quorum and round duration must be at least 1, and maxClients at least the quorum.";
    default:
      return undefined;
  }
}
