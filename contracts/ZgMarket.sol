// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ZgMarket
/// @notice Local stand-in for 0G Storage's fixed-price market: the storage SDK reads
///         `pricePerSector()` to compute the fee it sends with a Flow submission, and the Flow
///         forwards exactly sectors × price here (any surplus stays in the Flow, as on 0G). Fees stay
///         in this contract (a devnet has no storage providers to reward), so tests can read the
///         balance to see what was paid.
/// @dev The Flow pays with `transfer` (2300 gas, as the real Flow does): `receive` must stay cheap.
contract ZgMarket {
    /// @notice Fee in wei for one 256-byte sector.
    uint256 public immutable pricePerSector;

    event FeeReceived(address indexed from, uint256 amount);

    constructor(uint256 pricePerSector_) {
        pricePerSector = pricePerSector_;
    }

    receive() external payable {
        emit FeeReceived(msg.sender, msg.value);
    }
}
