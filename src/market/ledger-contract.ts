import { Contract, type Signer } from "ethers";

/**
 * The few LedgerManager calls made directly instead of through the SDK: its amount API takes JS
 * numbers and converts them with toFixed(18), which is not exact (0.1 becomes 0.100000000000000006).
 * These send exact wei parsed from decimal strings.
 */
const ABI = [
  "function addLedger(string additionalInfo) payable",
  "function depositFund() payable",
  "function getLedger(address user) view returns (tuple(address user, uint256 availableBalance, uint256 totalBalance, string additionalInfo))",
];

export function ledgerContract(address: string, signer: Signer): Contract {
  return new Contract(address, ABI, signer);
}
