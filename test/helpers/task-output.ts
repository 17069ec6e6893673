import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

/**
 * Runs a task in this process as the CLI would and returns the lines it printed (console.log is
 * captured for the duration of the run and restored even when the task throws).
 */
export async function taskLines(hre: HardhatRuntimeEnvironment, id: string, args: Record<string, unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    await hre.tasks.getTask(id).run(args);
  } finally {
    console.log = log;
  }
  return lines;
}
