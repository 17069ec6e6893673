// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../../contracts/FLAIComputeJobs.sol";
import {EnclaveAttestation} from "../SigningHelpers.sol";

/// @dev What both handlers expose: two enclave signers, each for its own accepted measurement.
interface EnclaveFixture {
    function M1() external view returns (bytes32);
    function M2() external view returns (bytes32);
    function enclave() external view returns (address);
    function enclave2() external view returns (address);
}

/// @dev The scaffolding both invariant suites share: one handler as the fuzzer's only target, the
///      enclave registry set-up, and assertion helpers whose messages name the job or task.
abstract contract InvariantBase is EnclaveAttestation {
    /// @dev ABI of forge-std's StdInvariant.FuzzSelector, read by the runner from {targetSelectors}.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address internal fuzzTarget;

    /// @dev "job" or "task": what an id in a failure message is.
    function _subject() internal pure virtual returns (string memory);

    function _registerEnclaves(FLAIComputeJobs registry, EnclaveFixture handler, address owner) internal {
        fuzzTarget = address(handler);
        vm.startPrank(owner);
        registry.acceptMeasurement(handler.M1());
        registry.acceptMeasurement(handler.M2());
        vm.stopPrank();
        _registerAttested(registry, handler.enclave(), handler.M1());
        _registerAttested(registry, handler.enclave2(), handler.M2());
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = fuzzTarget;
    }

    function _onlyTarget(bytes4[] memory selectors) internal view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(fuzzTarget, selectors);
    }

    // --- assertion helpers ---------------------------------------------------------------------------

    function _eq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) _fail(what, 0);
    }

    function _eq(uint256 a, uint256 b, string memory what, uint256 id) internal pure {
        if (a != b) _fail(what, id);
    }

    function _eq(bytes32 a, bytes32 b, string memory what, uint256 id) internal pure {
        if (a != b) _fail(what, id);
    }

    function _le(uint256 a, uint256 b, string memory what, uint256 id) internal pure {
        if (a > b) _fail(what, id);
    }

    function _true(bool ok, string memory what, uint256 id) internal pure {
        if (!ok) _fail(what, id);
    }

    /// @dev Reverts with `what`, plus " (<subject> <id>)" when id != 0.
    function _fail(string memory what, uint256 id) internal pure {
        if (id == 0) revert(what);
        bytes memory digits = new bytes(78);
        uint256 i = 78;
        while (id != 0) {
            digits[--i] = bytes1(uint8(48 + (id % 10)));
            id /= 10;
        }
        bytes memory out = new bytes(78 - i);
        for (uint256 k; k < out.length; k++) {
            out[k] = digits[i + k];
        }
        revert(string.concat(what, " (", _subject(), " ", string(out), ")"));
    }
}
