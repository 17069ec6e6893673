// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../contracts/FLAIComputeJobs.sol";
import {SigningHelpers} from "./SigningHelpers.sol";

/// @dev Reader keys (issue 17): each account sets its own X25519 key that private artifacts are sealed
///      or wrapped to. A file of its own so the job-completion tests can change without touching these.
contract FLAIComputeJobsReaderKeysTest is SigningHelpers {
    uint256 internal constant ENCLAVE_PK = 0xE1C1A7E;
    bytes32 internal constant MEASUREMENT = keccak256("flai-enclave-v1");
    bytes32 internal constant KEY = keccak256("reader-key");

    FLAIComputeJobs internal jobs;
    address internal owner;
    address internal alice;
    address internal enclave;

    function setUp() public {
        owner = vm.addr(0x0A11CE);
        alice = vm.addr(0xA1);
        enclave = vm.addr(ENCLAVE_PK);
        jobs = new FLAIComputeJobs(owner, _attestationAuthority());
        vm.prank(owner);
        jobs.acceptMeasurement(MEASUREMENT);
        _registerAttested(jobs, enclave, MEASUREMENT);
    }

    function test_readerKey_unsetIsZero() public view {
        _assertEq(jobs.readerKey(alice), bytes32(0), "no key yet");
    }

    function test_setReaderKey_storesAndEmits() public {
        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.ReaderKeySet(alice, KEY);
        vm.prank(alice);
        jobs.setReaderKey(KEY);
        _assertEq(jobs.readerKey(alice), KEY, "stored");
        _assertEq(jobs.readerKey(owner), bytes32(0), "only the caller's");
    }

    function test_setReaderKey_replacesOwnKey() public {
        vm.prank(alice);
        jobs.setReaderKey(KEY);
        bytes32 next = keccak256("next");
        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.ReaderKeySet(alice, next);
        vm.prank(alice);
        jobs.setReaderKey(next);
        _assertEq(jobs.readerKey(alice), next, "replaced");
    }

    function test_setReaderKey_rejectsZero() public {
        vm.expectRevert(FLAIComputeJobs.ZeroReaderKey.selector);
        vm.prank(alice);
        jobs.setReaderKey(bytes32(0));
    }

    function testFuzz_setReaderKey_onlyTheCallersSlot(address who, address other, bytes32 key) public {
        if (key == bytes32(0) || who == other) return;
        vm.prank(who);
        jobs.setReaderKey(key);
        _assertEq(jobs.readerKey(who), key, "caller's key");
        _assertEq(jobs.readerKey(other), bytes32(0), "nobody else's");
    }

    function test_setReaderKey_leavesTheEnclaveRegistrationAlone() public {
        bytes32 registered = jobs.enclaveEncryptionKey(enclave);
        vm.prank(enclave);
        jobs.setReaderKey(KEY);
        _assertEq(jobs.enclaveEncryptionKey(enclave), registered, "attested key unchanged");
        _assertEq(jobs.readerKey(enclave), KEY, "reader key separate");
    }
}
