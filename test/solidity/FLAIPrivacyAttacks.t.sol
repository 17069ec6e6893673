// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../contracts/FLAIComputeJobs.sol";
import {SigningHelpers} from "./SigningHelpers.sol";

/// @dev Issue 17 under attack, on-chain: a job's result root, the submitter the enclave signed for, and
///      reader keys. (Keyrings: FLAIFederated.t.sol FLAIFederatedKeyringTest covers a non-creator, an
///      unknown or cancelled task.) Self-contained so the job-completion fixture can change freely.
contract FLAIPrivacyAttacksTest is SigningHelpers {
    uint256 internal constant ENCLAVE_PK = 0xE1C1A7E;
    bytes32 internal constant MEASUREMENT = keccak256("flai-enclave-v1");
    bytes32 internal constant DATA_ROOT = keccak256("sealed-data-root");
    bytes32 internal constant MODEL_ROOT = keccak256("sealed-model-root");
    bytes32 internal constant RESULT_HASH = keccak256("plaintext-model-hash");
    bytes32 internal constant RESULT_ROOT = keccak256("sealed-model-root-as-stored");
    uint40 internal constant DEADLINE = 4_000_000_000;
    bytes32 internal constant VICTIM_KEY = keccak256("victim-reader-key");

    FLAIComputeJobs internal jobs;
    address internal enclave;
    address internal victim;
    address internal attacker;

    function setUp() public {
        address owner = vm.addr(0x0A11CE);
        enclave = vm.addr(ENCLAVE_PK);
        victim = vm.addr(0x71C7);
        attacker = vm.addr(0xA77AC);
        jobs = new FLAIComputeJobs(owner, _attestationAuthority());
        vm.prank(owner);
        jobs.acceptMeasurement(MEASUREMENT);
        _registerAttested(jobs, enclave, MEASUREMENT);
        vm.deal(victim, 10 ether);
        vm.deal(attacker, 10 ether);
    }

    function _submitAs(address who) internal returns (uint256 id) {
        vm.prank(who);
        id = jobs.submitJob{value: 1 ether}(DATA_ROOT, MODEL_ROOT, DEADLINE);
    }

    /// @dev The enclave's signature over job `id` with these fields (as a lying host could get it made).
    function _signAs(uint256 id, address submitter, bytes32 resultRoot, address payee)
        internal
        view
        returns (bytes32 r, bytes32 vs)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "JobResult(uint256 jobId,address submitter,uint64 deadline,bytes32 dataRoot,bytes32 modelRoot,bytes32 resultHash,bytes32 resultRoot,address payee)"
                ),
                id,
                submitter,
                uint64(DEADLINE),
                DATA_ROOT,
                MODEL_ROOT,
                RESULT_HASH,
                resultRoot,
                payee
            )
        );
        return _signDigest(ENCLAVE_PK, _eip712Digest(jobs.domainSeparator(), structHash));
    }

    /// @dev A relayer (or the host) keeps the enclave's signature but names other bytes as the result:
    ///      readers would fetch what the chain names, so the root is signed and a swap reverts.
    function test_attack_completeWithResultRootOtherThanSigned_reverts() public {
        uint256 id = _submitAs(victim);
        (bytes32 r, bytes32 vs) = _signAs(id, victim, RESULT_ROOT, attacker);
        bytes32 swapped = keccak256("plaintext-copy-the-host-uploaded");
        address recovered = _recoverCompact(jobs.hashJobResult(id, RESULT_HASH, swapped, attacker), r, vs);
        require(recovered != enclave, "sanity: another root, another digest");
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnacceptedEnclave.selector, recovered));
        jobs.completeJob(id, RESULT_HASH, swapped, attacker, r, vs);

        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, attacker, r, vs);
        FLAIComputeJobs.Job memory job = jobs.getJob(id);
        _assertEq(job.resultRoot, RESULT_ROOT, "the stored root is the signed one");
        _assertEq(job.resultHash, RESULT_HASH, "and the signed plaintext hash");
    }

    /// @dev The attacker submits a job over the victim's sealed input roots and, as host, tells the
    ///      enclave the victim submitted it (so the inputs open): the signature names the victim, and
    ///      the contract rebuilds it from the job's own submitter, so it never completes the attacker's job.
    function test_attack_hostClaimsVictimSubmittedItsJob_reverts() public {
        uint256 id = _submitAs(attacker);
        (bytes32 r, bytes32 vs) = _signAs(id, victim, RESULT_ROOT, attacker);
        address recovered = _recoverCompact(jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, attacker), r, vs);
        require(recovered != enclave, "sanity: another submitter, another digest");
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnacceptedEnclave.selector, recovered));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, attacker, r, vs);
        require(jobs.getJob(id).status == FLAIComputeJobs.JobStatus.Open, "still open");
    }

    /// @dev Nobody sets, overwrites or front-runs another account's reader key: each call sets the
    ///      caller's own slot. Copying the victim's key into one's own slot changes nothing for the victim.
    function test_attack_overwriteOrFrontRunAnotherAccountsReaderKey_onlyOwnSlot() public {
        bytes32 attackerKey = keccak256("attacker-reader-key");
        // front-run: the attacker registers first, the victim's key as its own
        vm.prank(attacker);
        jobs.setReaderKey(VICTIM_KEY);
        _assertEq(jobs.readerKey(victim), bytes32(0), "victim's slot untouched");
        vm.prank(victim);
        jobs.setReaderKey(VICTIM_KEY);
        // overwrite attempt afterwards
        vm.prank(attacker);
        jobs.setReaderKey(attackerKey);
        _assertEq(jobs.readerKey(victim), VICTIM_KEY, "victim keeps its key");
        _assertEq(jobs.readerKey(attacker), attackerKey, "the attacker changed only its own");
    }
}
