import { flaiError } from "../errors.js";
import { describeFollowEvent, type FollowEvent } from "../federated/follow-events.js";
import { optionalNumber } from "./options.js";
import type { Ui } from "../ui.js";

/** `--poll <seconds>`: only with --follow (a one-round run does not poll). */
export function pollSeconds(args: { follow: boolean; poll?: string }, task: string): number | undefined {
  if (!args.follow) {
    refuseWithoutFollow(args.poll, "--poll", task);
    return undefined;
  }
  return optionalNumber(args.poll, "--poll", { min: 0, minExclusive: true, below: 3601, hint: "seconds between looks at the chain" });
}

export function refuseWithoutFollow(value: string | undefined, option: string, task: string): void {
  if (value !== undefined) {
    throw flaiError(
      `${option} applies only to a follower: add --follow (npx hardhat ${task} --follow ${option} ${value} …), or leave ${option} out.`,
    );
  }
}

/** A follower's events through the ui: one text line each, or one JSON line each with --json. */
export function printEvent(ui: Ui): (event: FollowEvent) => void {
  return (event) => ui.event(describeFollowEvent(event), event);
}
