// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../contracts/FLAIComputeJobs.sol";
import {SigningHelpers} from "./SigningHelpers.sol";

// -------------------------------------------------------------------------------------------------
// Helper actors
// -------------------------------------------------------------------------------------------------

/// @dev A payee/submitter that refuses ETH.
contract RejectingReceiver {
    FLAIComputeJobs internal immutable jobs;

    constructor(FLAIComputeJobs jobs_) {
        jobs = jobs_;
    }

    function submit(bytes32 dataRoot, bytes32 modelRoot, uint40 deadline) external payable returns (uint256) {
        return jobs.submitJob{value: msg.value}(dataRoot, modelRoot, deadline);
    }

    function cancel(uint256 jobId) external {
        jobs.cancelJob(jobId);
    }

    receive() external payable {
        revert("no thanks");
    }
}

/// @dev A payee that, when paid, tries to get paid again by replaying the completion and by cancelling.
contract ReentrantPayee {
    FLAIComputeJobs internal immutable jobs;
    uint256 internal jobId;
    bytes32 internal resultHash;
    bytes32 internal r;
    bytes32 internal vs;

    uint256 public receivedCount;
    bytes public completeRevertData;
    bytes public cancelRevertData;

    constructor(FLAIComputeJobs jobs_) {
        jobs = jobs_;
    }

    function arm(uint256 jobId_, bytes32 resultHash_, bytes32 r_, bytes32 vs_) external {
        jobId = jobId_;
        resultHash = resultHash_;
        r = r_;
        vs = vs_;
    }

    receive() external payable {
        receivedCount++;
        try jobs.completeJob(jobId, resultHash, keccak256("result-root"), address(this), r, vs) {}
        catch (bytes memory data) {
            completeRevertData = data;
        }
        try jobs.cancelJob(jobId) {}
        catch (bytes memory data) {
            cancelRevertData = data;
        }
    }
}

/// @dev A submitter that, when refunded, tries to cancel again.
contract ReentrantSubmitter {
    FLAIComputeJobs internal immutable jobs;
    uint256 internal jobId;
    uint256 public receivedCount;
    bytes public cancelRevertData;

    constructor(FLAIComputeJobs jobs_) {
        jobs = jobs_;
    }

    function submit(bytes32 dataRoot, bytes32 modelRoot, uint40 deadline) external payable returns (uint256 id) {
        id = jobs.submitJob{value: msg.value}(dataRoot, modelRoot, deadline);
        jobId = id;
    }

    function cancel() external {
        jobs.cancelJob(jobId);
    }

    receive() external payable {
        receivedCount++;
        try jobs.cancelJob(jobId) {}
        catch (bytes memory data) {
            cancelRevertData = data;
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Shared fixture
// -------------------------------------------------------------------------------------------------

abstract contract FLAIComputeJobsFixture is SigningHelpers {
    uint256 internal constant MAX_REWARD_GWEI = type(uint56).max;

    uint256 internal constant ENCLAVE_PK = 0xE1C1A7E;
    uint256 internal constant OTHER_PK = 0xBAD5161;
    bytes32 internal constant MEASUREMENT = keccak256("flai-enclave-v1");
    bytes32 internal constant OTHER_MEASUREMENT = keccak256("flai-enclave-v2");

    bytes32 internal constant DATA_ROOT = keccak256("data-root");
    bytes32 internal constant MODEL_ROOT = keccak256("model-root");
    bytes32 internal constant RESULT_HASH = keccak256("result-hash");
    bytes32 internal constant RESULT_ROOT = keccak256("result-root");
    uint256 internal constant REWARD = 0.25 ether;
    uint256 internal constant START = 1_700_000_000;
    uint40 internal constant DEADLINE = uint40(START + 1 days);

    FLAIComputeJobs internal jobs;
    address internal owner;
    address internal enclave;
    address internal submitter;
    address internal payee;
    address internal relayer;

    function setUp() public virtual {
        vm.warp(START);
        owner = vm.addr(0x0A11CE);
        enclave = vm.addr(ENCLAVE_PK);
        submitter = vm.addr(0x5B);
        payee = vm.addr(0xBEEF);
        relayer = vm.addr(0x7E1A);

        jobs = new FLAIComputeJobs(owner, _attestationAuthority());
        vm.prank(owner);
        jobs.acceptMeasurement(MEASUREMENT);
        _registerAttested(jobs, enclave, MEASUREMENT);

        vm.deal(submitter, 1e9 ether);
        vm.deal(payee, 1 ether); // existing account
    }

    // --- helpers -----------------------------------------------------------------------------------

    function _submit(uint256 value) internal returns (uint256 jobId) {
        return _submitAs(submitter, value, DEADLINE);
    }

    function _submitAs(address who, uint256 value, uint40 deadline) internal returns (uint256 jobId) {
        vm.prank(who);
        jobId = jobs.submitJob{value: value}(DATA_ROOT, MODEL_ROOT, deadline);
    }

    function _sign(uint256 pk, uint256 jobId, bytes32 resultHash, address payee_)
        internal
        view
        returns (bytes32 r, bytes32 vs)
    {
        return _signDigest(pk, jobs.hashJobResult(jobId, resultHash, RESULT_ROOT, payee_));
    }

    /// @dev Independent EIP-712 computation (abi.encode based) to cross-check the contract's assembly.
    function _expectedDomainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return _eip712DomainSeparator("FLAIComputeJobs", "1", chainId, verifyingContract);
    }

    /// @dev The JobResult digest of job `jobId` as recorded, computed independently of the contract.
    function _expectedDigest(bytes32 separator, uint256 jobId, bytes32 resultHash, address payee_)
        internal
        view
        returns (bytes32)
    {
        FLAIComputeJobs.Job memory job = jobs.getJob(jobId);
        return _expectedDigestFor(
            separator, jobId, job.submitter, job.deadline, job.dataRoot, job.modelRoot, resultHash, RESULT_ROOT, payee_
        );
    }

    function _expectedDigestFor(
        bytes32 separator,
        uint256 jobId,
        address submitter_,
        uint64 deadline,
        bytes32 dataRoot,
        bytes32 modelRoot,
        bytes32 resultHash,
        bytes32 resultRoot,
        address payee_
    ) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "JobResult(uint256 jobId,address submitter,uint64 deadline,bytes32 dataRoot,bytes32 modelRoot,bytes32 resultHash,bytes32 resultRoot,address payee)"
                ),
                jobId,
                submitter_,
                deadline,
                dataRoot,
                modelRoot,
                resultHash,
                resultRoot,
                payee_
            )
        );
        return _eip712Digest(separator, structHash);
    }

    /// @dev What the enclave signs for a job with these fields (not necessarily the recorded job).
    function _signFor(
        uint256 pk,
        uint256 jobId,
        address submitter_,
        uint64 deadline,
        bytes32 dataRoot,
        bytes32 modelRoot,
        bytes32 resultHash,
        address payee_
    ) internal view returns (bytes32 r, bytes32 vs) {
        bytes32 digest = _expectedDigestFor(
            jobs.domainSeparator(), jobId, submitter_, deadline, dataRoot, modelRoot, resultHash, RESULT_ROOT, payee_
        );
        return _signDigest(pk, digest);
    }

    function _status(uint256 jobId) internal view returns (FLAIComputeJobs.JobStatus) {
        return jobs.getJob(jobId).status;
    }

    function _notOpen(uint256 jobId, FLAIComputeJobs.JobStatus status) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(FLAIComputeJobs.JobNotOpen.selector, jobId, status);
    }

    function _unaccepted(address signer) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(FLAIComputeJobs.UnacceptedEnclave.selector, signer);
    }
}

// -------------------------------------------------------------------------------------------------
// Owner and enclave registry
// -------------------------------------------------------------------------------------------------

contract FLAIComputeJobsRegistryTest is FLAIComputeJobsFixture {
    function test_constructor_setsOwnerAndEmits() public {
        vm.expectEmit();
        emit FLAIComputeJobs.OwnershipTransferred(address(0), address(0xB0B));
        FLAIComputeJobs fresh = new FLAIComputeJobs(address(0xB0B), _attestationAuthority());
        _assertEq(fresh.owner(), address(0xB0B), "owner");
        _assertEq(fresh.attestationAuthority(), _attestationAuthority(), "authority pinned");
        _assertEq(fresh.jobCount(), 0, "jobCount");
    }

    function test_constructor_rejectsZeroOwner() public {
        vm.expectRevert(FLAIComputeJobs.ZeroAddress.selector);
        new FLAIComputeJobs(address(0), _attestationAuthority());
    }

    function test_constructor_rejectsZeroAuthority() public {
        vm.expectRevert(FLAIComputeJobs.ZeroAddress.selector);
        new FLAIComputeJobs(owner, address(0));
    }

    function test_transferOwnership() public {
        address next = address(0xB0B);
        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.OwnershipTransferred(owner, next);
        vm.prank(owner);
        jobs.transferOwnership(next);
        _assertEq(jobs.owner(), next, "new owner");

        // the old owner lost its rights, the new one has them
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.NotOwner.selector, owner));
        vm.prank(owner);
        jobs.acceptMeasurement(OTHER_MEASUREMENT);
        vm.prank(next);
        jobs.acceptMeasurement(OTHER_MEASUREMENT);
        require(jobs.isMeasurementAccepted(OTHER_MEASUREMENT), "accepted by new owner");
    }

    function test_transferOwnership_rejectsZero() public {
        vm.expectRevert(FLAIComputeJobs.ZeroAddress.selector);
        vm.prank(owner);
        jobs.transferOwnership(address(0));
    }

    function testFuzz_onlyOwner(address caller) public {
        vm.assume(caller != owner);
        bytes memory err = abi.encodeWithSelector(FLAIComputeJobs.NotOwner.selector, caller);

        vm.expectRevert(err);
        vm.prank(caller);
        jobs.transferOwnership(caller == address(0) ? address(1) : caller);

        vm.expectRevert(err);
        vm.prank(caller);
        jobs.acceptMeasurement(OTHER_MEASUREMENT);

        vm.expectRevert(err);
        vm.prank(caller);
        jobs.revokeMeasurement(MEASUREMENT);

        vm.expectRevert(err);
        vm.prank(caller);
        jobs.removeEnclave(enclave);

        // nothing changed
        _assertEq(jobs.owner(), owner, "owner unchanged");
        require(jobs.isAcceptedEnclave(enclave), "enclave still accepted");
        require(!jobs.isMeasurementAccepted(OTHER_MEASUREMENT), "measurement not accepted");
        _assertEq(jobs.enclaveMeasurement(address(0xE)), bytes32(0), "no enclave registered");
    }

    function test_measurementLifecycle_emitsAndUpdates() public {
        require(!jobs.isMeasurementAccepted(OTHER_MEASUREMENT), "initially unaccepted");

        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.MeasurementAccepted(OTHER_MEASUREMENT);
        vm.prank(owner);
        jobs.acceptMeasurement(OTHER_MEASUREMENT);
        require(jobs.isMeasurementAccepted(OTHER_MEASUREMENT), "accepted");

        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.MeasurementRevoked(OTHER_MEASUREMENT);
        vm.prank(owner);
        jobs.revokeMeasurement(OTHER_MEASUREMENT);
        require(!jobs.isMeasurementAccepted(OTHER_MEASUREMENT), "revoked");
    }

    function test_enclaveLifecycle_emitsAndUpdates() public {
        address signer = vm.addr(OTHER_PK);
        bytes32 key = _encryptionKeyFor(signer);
        _assertEq(jobs.enclaveMeasurement(signer), bytes32(0), "unregistered");
        require(!jobs.isAcceptedEnclave(signer), "unregistered => not accepted");

        vm.prank(owner);
        jobs.acceptMeasurement(OTHER_MEASUREMENT);
        uint64 issuedAt = uint64(block.timestamp);
        uint64 expiry = issuedAt + 30 days;
        (bytes32 r, bytes32 vs) =
            _signReport(ATTESTATION_AUTHORITY_PK, OTHER_MEASUREMENT, signer, key, issuedAt, expiry);
        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.EnclaveRegistered(signer, OTHER_MEASUREMENT, key, issuedAt, expiry, r, vs);
        vm.prank(relayer); // anyone can relay a report: the authority's signature is the proof
        jobs.registerEnclave(OTHER_MEASUREMENT, signer, key, issuedAt, expiry, r, vs);
        _assertEq(jobs.enclaveMeasurement(signer), OTHER_MEASUREMENT, "registered");
        _assertEq(jobs.enclaveEncryptionKey(signer), key, "encryption key stored");
        (bytes32 m, bytes32 k, uint64 i, uint64 e) = jobs.enclaveRegistration(signer);
        require(m == OTHER_MEASUREMENT && k == key && i == issuedAt && e == expiry, "raw registration");
        require(jobs.isAcceptedEnclave(signer), "registered and accepted");

        // a newer report moves it to another measurement
        vm.warp(block.timestamp + 1);
        _registerAttested(jobs, signer, MEASUREMENT);
        _assertEq(jobs.enclaveMeasurement(signer), MEASUREMENT, "re-registered");
        require(jobs.isAcceptedEnclave(signer), "still accepted");

        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.EnclaveRemoved(signer);
        vm.prank(owner);
        jobs.removeEnclave(signer);
        _assertEq(jobs.enclaveMeasurement(signer), bytes32(0), "removed");
        _assertEq(jobs.enclaveEncryptionKey(signer), bytes32(0), "key gone");
        require(!jobs.isAcceptedEnclave(signer), "removed => not accepted");
    }

    function test_registry_rejectsZeroInputs() public {
        vm.startPrank(owner);
        vm.expectRevert(FLAIComputeJobs.ZeroMeasurement.selector);
        jobs.acceptMeasurement(bytes32(0));
        vm.expectRevert(FLAIComputeJobs.ZeroMeasurement.selector);
        jobs.revokeMeasurement(bytes32(0));
        vm.expectRevert(FLAIComputeJobs.ZeroAddress.selector);
        jobs.removeEnclave(address(0));
        vm.stopPrank();
        uint64 t = uint64(block.timestamp);
        (bytes32 r, bytes32 vs) = _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, address(0xE), bytes32(0), t, t + 1);
        vm.expectRevert(FLAIComputeJobs.ZeroMeasurement.selector);
        jobs.registerEnclave(bytes32(0), address(0xE), keccak256("k"), t, t + 1, r, vs);
        vm.expectRevert(FLAIComputeJobs.ZeroAddress.selector);
        jobs.registerEnclave(MEASUREMENT, address(0), keccak256("k"), t, t + 1, r, vs);
        vm.expectRevert(FLAIComputeJobs.ZeroEncryptionKey.selector);
        jobs.registerEnclave(MEASUREMENT, address(0xE), bytes32(0), t, t + 1, r, vs);
        require(!jobs.isAcceptedEnclave(address(0)), "zero address never accepted");
        require(!jobs.isAcceptedEnclave(address(0xDEAD)), "unregistered never accepted");
    }
}

// -------------------------------------------------------------------------------------------------
// Attacks on enclave registration: only the pinned authority's fresh report for an accepted measurement
// registers a key (issue 11)
// -------------------------------------------------------------------------------------------------

contract FLAIComputeJobsRegistrationAttackTest is FLAIComputeJobsFixture {
    uint256 internal constant WALLET_PK = 0x0DD1A7;
    uint256 internal constant ROGUE_AUTHORITY_PK = 0x0BAD0A;

    address internal wallet;
    bytes32 internal walletKey;

    function setUp() public override {
        super.setUp();
        wallet = vm.addr(WALLET_PK);
        walletKey = _encryptionKeyFor(wallet);
    }

    function _notAttested(address recovered) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(FLAIComputeJobs.NotAttestedByAuthority.selector, recovered, _attestationAuthority());
    }

    /// @dev Nothing changed: the wallet is not an enclave and cannot complete a job.
    function _assertWalletNotEnclave() internal {
        require(!jobs.isAcceptedEnclave(wallet), "wallet is not an accepted enclave");
        _assertEq(jobs.enclaveMeasurement(wallet), bytes32(0), "wallet has no measurement");
        _assertEq(jobs.enclaveEncryptionKey(wallet), bytes32(0), "wallet has no key");
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(WALLET_PK, id, RESULT_HASH, wallet);
        vm.expectRevert(_unaccepted(wallet));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, wallet, r, vs);
    }

    /// @dev identity.json rewritten after the authority signed: the report names the wallet, the signature
    ///      was made for the enclave.
    function test_attack_registerWalletWithRewrittenReport_reverts() public {
        uint64 t = uint64(block.timestamp);
        bytes32 key = _encryptionKeyFor(enclave);
        (bytes32 r, bytes32 vs) = _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, enclave, key, t + 1, t + 30 days);
        address recovered = _recoverCompact(_reportDigest(MEASUREMENT, wallet, key, t + 1, t + 30 days), r, vs);
        vm.expectRevert(_notAttested(recovered));
        jobs.registerEnclave(MEASUREMENT, wallet, key, t + 1, t + 30 days, r, vs);
        // nor may the key be swapped for one the attacker can decrypt with
        recovered = _recoverCompact(_reportDigest(MEASUREMENT, enclave, walletKey, t + 1, t + 30 days), r, vs);
        vm.expectRevert(_notAttested(recovered));
        jobs.registerEnclave(MEASUREMENT, enclave, walletKey, t + 1, t + 30 days, r, vs);
        // nor the expiry stretched
        recovered = _recoverCompact(_reportDigest(MEASUREMENT, enclave, key, t + 1, t + 3650 days), r, vs);
        vm.expectRevert(_notAttested(recovered));
        jobs.registerEnclave(MEASUREMENT, enclave, key, t + 1, t + 3650 days, r, vs);
        _assertEq(jobs.enclaveEncryptionKey(enclave), key, "enclave key unchanged");
        _assertWalletNotEnclave();
    }

    function test_attack_registerWalletWithReportOfAnotherAuthority_reverts() public {
        uint64 t = uint64(block.timestamp);
        (bytes32 r, bytes32 vs) = _signReport(ROGUE_AUTHORITY_PK, MEASUREMENT, wallet, walletKey, t, t + 30 days);
        vm.expectRevert(_notAttested(vm.addr(ROGUE_AUTHORITY_PK)));
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t, t + 30 days, r, vs);
        _assertWalletNotEnclave();
    }

    function test_attack_ownerRegistersWalletWithoutAuthoritySignature_reverts() public {
        uint64 t = uint64(block.timestamp);
        // the owner signs the report itself ...
        (bytes32 r, bytes32 vs) = _signReport(0x0A11CE, MEASUREMENT, wallet, walletKey, t, t + 30 days);
        vm.expectRevert(_notAttested(owner));
        vm.prank(owner);
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t, t + 30 days, r, vs);
        // ... or has the wallet sign it: still not the authority
        (r, vs) = _signReport(WALLET_PK, MEASUREMENT, wallet, walletKey, t, t + 30 days);
        vm.expectRevert(_notAttested(wallet));
        vm.prank(owner);
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t, t + 30 days, r, vs);
        // ... or sends no signature at all
        vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
        vm.prank(owner);
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t, t + 30 days, bytes32(0), bytes32(0));
        _assertWalletNotEnclave();
    }

    function test_attack_registerWithExpiredReport_reverts() public {
        uint64 t = uint64(block.timestamp);
        (bytes32 r, bytes32 vs) = _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, wallet, walletKey, t - 2 days, t);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.ReportExpired.selector, t, block.timestamp));
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t - 2 days, t, r, vs);
        _assertWalletNotEnclave();
    }

    /// @dev A registration that expires stops being accepted: no completion, no key to encrypt to.
    function test_attack_useRegistrationAfterItsReportExpired_reverts() public {
        // a newer report valid for 30 days replaces the fixture's
        vm.warp(block.timestamp + 1);
        uint64 issuedAt = uint64(block.timestamp);
        uint64 expiry = issuedAt + 30 days;
        bytes32 key = _encryptionKeyFor(enclave);
        (bytes32 ra, bytes32 vsa) = _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, enclave, key, issuedAt, expiry);
        jobs.registerEnclave(MEASUREMENT, enclave, key, issuedAt, expiry, ra, vsa);

        uint256 id = _submitAs(submitter, REWARD, uint40(START + 100 days));
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        vm.warp(expiry - 1);
        require(jobs.isAcceptedEnclave(enclave), "accepted until expiry");
        vm.warp(expiry);
        require(!jobs.isAcceptedEnclave(enclave), "expired => not accepted");
        _assertEq(jobs.enclaveMeasurement(enclave), bytes32(0), "expired => no measurement");
        _assertEq(jobs.enclaveEncryptionKey(enclave), bytes32(0), "expired => no key");
        vm.expectRevert(_unaccepted(enclave));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_attack_registerReportForUnacceptedMeasurement_reverts() public {
        uint64 t = uint64(block.timestamp);
        (bytes32 r, bytes32 vs) = _signReport(ATTESTATION_AUTHORITY_PK, OTHER_MEASUREMENT, wallet, walletKey, t, t + 30 days);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.MeasurementNotAccepted.selector, OTHER_MEASUREMENT));
        jobs.registerEnclave(OTHER_MEASUREMENT, wallet, walletKey, t, t + 30 days, r, vs);
        _assertWalletNotEnclave();
    }

    /// @dev Replaying an older genuine report must not roll a signer back (measurement, key, expiry).
    function test_attack_replayOlderReport_reverts() public {
        (,, uint64 firstIssued, uint64 firstExpiry) = jobs.enclaveRegistration(enclave);
        bytes32 key = _encryptionKeyFor(enclave);
        (bytes32 r, bytes32 vs) =
            _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, enclave, key, firstIssued, firstExpiry);
        vm.warp(block.timestamp + 1);
        _registerAttested(jobs, enclave, MEASUREMENT);
        (,, uint64 secondIssued,) = jobs.enclaveRegistration(enclave);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.StaleReport.selector, firstIssued, secondIssued));
        jobs.registerEnclave(MEASUREMENT, enclave, key, firstIssued, firstExpiry, r, vs);
        // removal by the owner is not undone by replaying the report that was removed
        vm.prank(owner);
        jobs.removeEnclave(enclave);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.StaleReport.selector, firstIssued, secondIssued));
        jobs.registerEnclave(MEASUREMENT, enclave, key, firstIssued, firstExpiry, r, vs);
        require(!jobs.isAcceptedEnclave(enclave), "stays removed");
    }

    function test_registerEnclave_rejectsReportFromTheFutureOrInverted() public {
        uint64 t = uint64(block.timestamp);
        uint64 future = t + 1 hours + 1;
        (bytes32 r, bytes32 vs) =
            _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, wallet, walletKey, future, future + 30 days);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.ReportFromFuture.selector, future, block.timestamp));
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, future, future + 30 days, r, vs);
        (r, vs) = _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, wallet, walletKey, t + 10 days, t + 5 days);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.InvalidReportValidity.selector, t + 10 days, t + 5 days));
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t + 10 days, t + 5 days, r, vs);
        // within the allowed clock skew it registers
        (r, vs) = _signReport(ATTESTATION_AUTHORITY_PK, MEASUREMENT, wallet, walletKey, t + 1 hours, t + 30 days);
        jobs.registerEnclave(MEASUREMENT, wallet, walletKey, t + 1 hours, t + 30 days, r, vs);
        require(jobs.isAcceptedEnclave(wallet), "an attested key registers");
    }

    function test_reportDigest_matchesEip712() public view {
        _assertEq(
            jobs.hashEnclaveReport(MEASUREMENT, wallet, walletKey, 5, 6),
            _reportDigest(MEASUREMENT, wallet, walletKey, 5, 6),
            "report digest"
        );
    }
}

// -------------------------------------------------------------------------------------------------
// Submission, views, reward validation
// -------------------------------------------------------------------------------------------------

contract FLAIComputeJobsSubmitTest is FLAIComputeJobsFixture {
    function test_submit_storesJobAndEmits() public {
        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.JobSubmitted(1, submitter, DATA_ROOT, MODEL_ROOT, REWARD, DEADLINE);
        uint256 id = _submit(REWARD);
        _assertEq(id, 1, "ids start at 1");
        _assertEq(jobs.jobCount(), 1, "jobCount");
        _assertEq(address(jobs).balance, REWARD, "escrowed");

        FLAIComputeJobs.Job memory job = jobs.getJob(id);
        _assertEq(job.submitter, submitter, "submitter");
        _assertEq(job.deadline, DEADLINE, "deadline");
        _assertEq(job.reward, REWARD, "reward");
        _assertEq(job.dataRoot, DATA_ROOT, "dataRoot");
        _assertEq(job.modelRoot, MODEL_ROOT, "modelRoot");
        _assertEq(job.resultHash, bytes32(0), "resultHash");
        _assertEq(job.resultRoot, bytes32(0), "resultRoot");
        require(job.status == FLAIComputeJobs.JobStatus.Open, "status Open");

        uint256 id2 = _submit(1 gwei);
        _assertEq(id2, 2, "sequential ids");
        _assertEq(jobs.jobCount(), 2, "jobCount 2");
    }

    function test_getJob_unknownIds() public {
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 0));
        jobs.getJob(0);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 1));
        jobs.getJob(1);
        _submit(REWARD);
        jobs.getJob(1);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 2));
        jobs.getJob(2);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, type(uint256).max));
        jobs.getJob(type(uint256).max);
    }

    function test_submit_rejectsZeroReward() public {
        vm.expectRevert(FLAIComputeJobs.ZeroReward.selector);
        _submit(0);
    }

    function test_submit_rejectsNonGweiMultiple() public {
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.RewardNotGweiMultiple.selector, 1 gwei + 1));
        _submit(1 gwei + 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.RewardNotGweiMultiple.selector, 1));
        _submit(1);
    }

    function test_submit_rewardBounds() public {
        uint256 maxValue = MAX_REWARD_GWEI * 1 gwei;
        uint256 id = _submit(maxValue);
        _assertEq(jobs.getJob(id).reward, maxValue, "max reward round-trips");

        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.RewardTooLarge.selector, maxValue + 1 gwei));
        _submit(maxValue + 1 gwei);
    }

    function test_submit_rejectsZeroRoots() public {
        vm.startPrank(submitter);
        vm.expectRevert(FLAIComputeJobs.ZeroRoot.selector);
        jobs.submitJob{value: REWARD}(bytes32(0), MODEL_ROOT, DEADLINE);
        vm.expectRevert(FLAIComputeJobs.ZeroRoot.selector);
        jobs.submitJob{value: REWARD}(DATA_ROOT, bytes32(0), DEADLINE);
        vm.stopPrank();
        _assertEq(jobs.jobCount(), 0, "nothing submitted");
    }

    function test_submit_rejectsDeadlineNotInFuture() public {
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.DeadlineInPast.selector, START, START));
        _submitAs(submitter, REWARD, uint40(START));
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.DeadlineInPast.selector, START - 1, START));
        _submitAs(submitter, REWARD, uint40(START - 1));
        uint256 id = _submitAs(submitter, REWARD, uint40(START + 1));
        _assertEq(jobs.getJob(id).deadline, START + 1, "deadline now+1 accepted");
    }

    /// @dev Any msg.value is either accepted (and round-trips exactly) or rejected with the right error.
    function testFuzz_rewardValidation(uint256 value) public {
        value = _bound(value, 0, (MAX_REWARD_GWEI + 10) * 1 gwei);
        vm.deal(submitter, value);
        if (value == 0) {
            vm.expectRevert(FLAIComputeJobs.ZeroReward.selector);
        } else if (value % 1 gwei != 0) {
            vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.RewardNotGweiMultiple.selector, value));
        } else if (value / 1 gwei > MAX_REWARD_GWEI) {
            vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.RewardTooLarge.selector, value));
        }
        uint256 id = _submit(value);
        if (value != 0 && value % 1 gwei == 0 && value / 1 gwei <= MAX_REWARD_GWEI) {
            FLAIComputeJobs.Job memory job = jobs.getJob(id);
            _assertEq(job.reward, value, "reward");
            _assertEq(address(jobs).balance, value, "escrow");
            require(job.status == FLAIComputeJobs.JobStatus.Open, "open");
        } else {
            _assertEq(jobs.jobCount(), 0, "rejected");
        }
    }

    function testFuzz_submit_packsFields(address who, uint40 deadline, uint56 rewardGwei, bytes32 d, bytes32 m)
        public
    {
        vm.assume(who != address(0) && who.code.length == 0 && uint160(who) > 0xffff);
        vm.assume(d != bytes32(0) && m != bytes32(0));
        deadline = uint40(_bound(deadline, START + 1, type(uint40).max));
        rewardGwei = uint56(_bound(rewardGwei, 1, type(uint56).max));
        uint256 value = uint256(rewardGwei) * 1 gwei;
        vm.deal(who, value);

        vm.prank(who);
        uint256 id = jobs.submitJob{value: value}(d, m, deadline);
        FLAIComputeJobs.Job memory job = jobs.getJob(id);
        _assertEq(job.submitter, who, "submitter");
        _assertEq(job.deadline, deadline, "deadline");
        _assertEq(job.reward, value, "reward");
        _assertEq(job.dataRoot, d, "dataRoot");
        _assertEq(job.modelRoot, m, "modelRoot");
        require(job.status == FLAIComputeJobs.JobStatus.Open, "open");
    }

    function test_plainEthTransferRejected() public {
        (bool ok,) = address(jobs).call{value: 1 ether}("");
        require(!ok, "contract must not accept stray ETH");
    }
}

// -------------------------------------------------------------------------------------------------
// Completion
// -------------------------------------------------------------------------------------------------

contract FLAIComputeJobsCompleteTest is FLAIComputeJobsFixture {
    function test_domainSeparatorAndDigest_matchEip712() public {
        uint256 id = _submit(REWARD);
        bytes32 expectedSep = _expectedDomainSeparator(block.chainid, address(jobs));
        _assertEq(jobs.domainSeparator(), expectedSep, "domain separator");
        _assertEq(
            jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee), _expectedDigest(expectedSep, id, RESULT_HASH, payee), "digest"
        );
        _assertEq(
            jobs.hashJobResultFor(id, submitter, DEADLINE, DATA_ROOT, MODEL_ROOT, RESULT_HASH, RESULT_ROOT, payee),
            jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee),
            "digest of explicit fields"
        );
    }

    function test_domainSeparator_followsChainId() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        bytes32 oldDigest = jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee);

        vm.chainId(block.chainid + 1000);
        bytes32 newSep = jobs.domainSeparator();
        _assertEq(newSep, _expectedDomainSeparator(block.chainid, address(jobs)), "recomputed on new chain");
        _assertEq(
            jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee), _expectedDigest(newSep, id, RESULT_HASH, payee), "new digest"
        );

        // a signature made for the old chain does not verify on the fork
        bytes32 newDigest = jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee);
        require(newDigest != oldDigest, "digest changes with chain id");
        address recovered = _recoverCompact(newDigest, r, vs);
        vm.expectRevert(_unaccepted(recovered));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_paysSignedPayeeAndEmits() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        uint256 payeeBefore = payee.balance;
        uint256 relayerBefore = relayer.balance;

        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.JobCompleted(id, payee, enclave, RESULT_HASH, RESULT_ROOT, REWARD);
        vm.prank(relayer); // anyone can relay
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);

        _assertEq(payee.balance, payeeBefore + REWARD, "payee paid exact reward");
        _assertEq(relayer.balance, relayerBefore, "relayer not paid");
        _assertEq(address(jobs).balance, 0, "escrow released");

        FLAIComputeJobs.Job memory job = jobs.getJob(id);
        require(job.status == FLAIComputeJobs.JobStatus.Completed, "Completed");
        _assertEq(job.resultHash, RESULT_HASH, "resultHash stored");
        _assertEq(job.resultRoot, RESULT_ROOT, "resultRoot stored");
        _assertEq(job.reward, 0, "reward zeroed");
        _assertEq(job.submitter, submitter, "submitter kept");
        _assertEq(job.deadline, DEADLINE, "deadline kept");
        _assertEq(job.dataRoot, DATA_ROOT, "dataRoot kept");
        _assertEq(job.modelRoot, MODEL_ROOT, "modelRoot kept");
    }

    /// @dev Reward paid exactly once, to the signed payee, for the exact amount; replay and cancel fail.
    function testFuzz_complete_paysExactlyOnce(uint56 rewardGwei, bytes32 resultHash, uint256 payeeSeed, uint40 at)
        public
    {
        vm.assume(resultHash != bytes32(0));
        rewardGwei = uint56(_bound(rewardGwei, 1, type(uint56).max));
        uint256 reward = uint256(rewardGwei) * 1 gwei;
        address to = address(uint160(uint256(keccak256(abi.encode("payee", payeeSeed)))));
        uint256 other = _submit(3 gwei); // an unrelated open job must be untouched
        uint256 id = _submit(reward);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, resultHash, to);

        vm.warp(_bound(at, START, DEADLINE)); // any time up to and including the deadline
        uint256 before = to.balance;
        jobs.completeJob(id, resultHash, RESULT_ROOT, to, r, vs);
        _assertEq(to.balance, before + reward, "paid exact amount");
        _assertEq(address(jobs).balance, 3 gwei, "only the other job's escrow left");

        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Completed));
        jobs.completeJob(id, resultHash, RESULT_ROOT, to, r, vs);

        vm.warp(uint256(DEADLINE) + 1);
        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Completed));
        vm.prank(submitter);
        jobs.cancelJob(id);

        _assertEq(to.balance, before + reward, "paid once");
        require(_status(other) == FLAIComputeJobs.JobStatus.Open, "other job still open");
        _assertEq(jobs.getJob(other).reward, 3 gwei, "other job reward intact");
    }

    function test_complete_rejectsWrongSigner() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(OTHER_PK, id, RESULT_HASH, payee);
        vm.expectRevert(_unaccepted(vm.addr(OTHER_PK)));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "still open");
    }

    function testFuzz_complete_rejectsUnregisteredKeys(uint256 pk) public {
        pk = _bound(pk, 1, SECP256K1_N - 1);
        address signer = vm.addr(pk);
        vm.assume(signer != enclave);
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(pk, id, RESULT_HASH, payee);
        vm.expectRevert(_unaccepted(signer));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_rejectsRegisteredButUnacceptedMeasurement() public {
        address signer = vm.addr(OTHER_PK);
        vm.prank(owner);
        jobs.acceptMeasurement(OTHER_MEASUREMENT);
        _registerAttested(jobs, signer, OTHER_MEASUREMENT);
        vm.prank(owner);
        jobs.revokeMeasurement(OTHER_MEASUREMENT); // no longer accepted
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(OTHER_PK, id, RESULT_HASH, payee);
        vm.expectRevert(_unaccepted(signer));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_rejectsRevokedMeasurement() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        vm.prank(owner);
        jobs.revokeMeasurement(MEASUREMENT);
        vm.expectRevert(_unaccepted(enclave));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);

        // re-accepting restores the enclave; the same signature then works
        vm.prank(owner);
        jobs.acceptMeasurement(MEASUREMENT);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        require(_status(id) == FLAIComputeJobs.JobStatus.Completed, "completed");
    }

    function test_complete_rejectsRemovedEnclave() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        vm.prank(owner);
        jobs.removeEnclave(enclave);
        vm.expectRevert(_unaccepted(enclave));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_rejectsSignatureForAnotherJob() public {
        uint256 id1 = _submit(REWARD);
        uint256 id2 = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id1, RESULT_HASH, payee);
        address recovered = _recoverCompact(jobs.hashJobResult(id2, RESULT_HASH, RESULT_ROOT, payee), r, vs);
        require(recovered != enclave, "sanity");
        vm.expectRevert(_unaccepted(recovered));
        jobs.completeJob(id2, RESULT_HASH, RESULT_ROOT, payee, r, vs);

        // the signature still works for its own job
        jobs.completeJob(id1, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        require(_status(id2) == FLAIComputeJobs.JobStatus.Open, "job 2 untouched");
    }

    /// @dev A watcher who copies a pending completion cannot redirect the reward or alter the result.
    function testFuzz_complete_rejectsTamperedFields(address thief, bytes32 otherResult, uint256 otherJob) public {
        vm.assume(thief != payee && thief != address(0));
        vm.assume(otherResult != RESULT_HASH && otherResult != bytes32(0));
        uint256 id = _submit(REWARD);
        _submit(REWARD);
        otherJob = _bound(otherJob, 1, 2);
        vm.assume(otherJob != id);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);

        address rec = _recoverCompact(jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, thief), r, vs);
        vm.expectRevert(_unaccepted(rec));
        vm.prank(thief);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, thief, r, vs);

        rec = _recoverCompact(jobs.hashJobResult(id, otherResult, RESULT_ROOT, payee), r, vs);
        vm.expectRevert(_unaccepted(rec));
        jobs.completeJob(id, otherResult, RESULT_ROOT, payee, r, vs);

        // The storage root is signed too: a host cannot point readers at other bytes than the enclave stored.
        bytes32 otherRoot = keccak256(abi.encode(otherResult));
        rec = _recoverCompact(jobs.hashJobResult(id, RESULT_HASH, otherRoot, payee), r, vs);
        vm.expectRevert(_unaccepted(rec));
        jobs.completeJob(id, RESULT_HASH, otherRoot, payee, r, vs);

        rec = _recoverCompact(jobs.hashJobResult(otherJob, RESULT_HASH, RESULT_ROOT, payee), r, vs);
        vm.expectRevert(_unaccepted(rec));
        jobs.completeJob(otherJob, RESULT_HASH, RESULT_ROOT, payee, r, vs);

        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "still open");
        _assertEq(address(jobs).balance, 2 * REWARD, "nothing paid");
    }

    function test_complete_rejectsReusedSignature() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        uint256 afterFirst = payee.balance;
        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Completed));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        _assertEq(payee.balance, afterFirst, "not paid twice");
    }

    function test_complete_rejectsAfterCancel() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        vm.warp(uint256(DEADLINE) + 1);
        vm.prank(submitter);
        jobs.cancelJob(id);
        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Cancelled));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_deadlineBoundary() public {
        uint256 id1 = _submit(REWARD);
        uint256 id2 = _submit(REWARD);
        (bytes32 r1, bytes32 vs1) = _sign(ENCLAVE_PK, id1, RESULT_HASH, payee);
        (bytes32 r2, bytes32 vs2) = _sign(ENCLAVE_PK, id2, RESULT_HASH, payee);

        vm.warp(DEADLINE); // at the deadline: still allowed
        jobs.completeJob(id1, RESULT_HASH, RESULT_ROOT, payee, r1, vs1);

        vm.warp(uint256(DEADLINE) + 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.DeadlinePassed.selector, id2, uint256(DEADLINE)));
        jobs.completeJob(id2, RESULT_HASH, RESULT_ROOT, payee, r2, vs2);
    }

    function testFuzz_complete_afterDeadlineReverts(uint256 lateBy) public {
        lateBy = _bound(lateBy, 1, 10 * 365 days);
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        vm.warp(uint256(DEADLINE) + lateBy);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.DeadlinePassed.selector, id, uint256(DEADLINE)));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_rejectsUnknownJob() public {
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, 0, RESULT_HASH, payee);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 0));
        jobs.completeJob(0, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        (r, vs) = _sign(ENCLAVE_PK, 1, RESULT_HASH, payee);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 1));
        jobs.completeJob(1, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }

    function test_complete_rejectsZeroResultAndPayee() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, bytes32(0), payee);
        vm.expectRevert(FLAIComputeJobs.ZeroResultHash.selector);
        jobs.completeJob(id, bytes32(0), RESULT_ROOT, payee, r, vs);
        (r, vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, address(0));
        vm.expectRevert(FLAIComputeJobs.ZeroPayee.selector);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, address(0), r, vs);
    }

    /// @dev A completed job must say where its model is stored, even when the enclave signed a zero root.
    function test_complete_rejectsZeroResultRoot() public {
        uint256 id = _submit(REWARD);
        bytes32 digest = _expectedDigestFor(
            jobs.domainSeparator(), id, submitter, DEADLINE, DATA_ROOT, MODEL_ROOT, RESULT_HASH, bytes32(0), payee
        );
        (bytes32 r, bytes32 vs) = _signDigest(ENCLAVE_PK, digest);
        vm.expectRevert(FLAIComputeJobs.ZeroResultRoot.selector);
        jobs.completeJob(id, RESULT_HASH, bytes32(0), payee, r, vs);
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "still open");
    }

    /// @dev The malleated twin (n - s, flipped parity) of a valid signature is valid ECDSA but must never
    ///      complete a job. Since n - s >= 2^255 here, it cannot even be written in EIP-2098 form (bit 255 is
    ///      the parity bit): whatever compact word a relayer builds from it fails. High-s values that *are*
    ///      representable, i.e. in (n/2, 2^255), are rejected with InvalidSignature (fuzzed below).
    function test_complete_rejectsMalleatedTwin() public {
        uint256 id = _submit(REWARD);
        bytes32 digest = jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ENCLAVE_PK, digest);
        require(uint256(s) <= HALF_N, "vm.sign gives low-s");
        uint256 highS = SECP256K1_N - uint256(s);
        uint8 twinV = v == 27 ? 28 : 27;
        require(ecrecover(digest, twinV, r, bytes32(highS)) == enclave, "twin is valid ECDSA");
        require(highS >= 1 << 255, "twin s does not fit the compact form");

        for (uint256 parity = 0; parity < 2; parity++) {
            bytes32 vs = bytes32(highS | (parity << 255));
            uint256 maskedS = uint256(vs) & ((1 << 255) - 1);
            if (maskedS > HALF_N) {
                vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
            } else {
                address rec = _recoverCompact(digest, r, vs);
                require(rec != enclave, "must not recover the enclave");
                if (rec == address(0)) vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
                else vm.expectRevert(_unaccepted(rec));
            }
            jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        }
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "still open");
    }

    function testFuzz_complete_rejectsHighS(uint256 s, bool parity) public {
        s = _bound(s, HALF_N + 1, (1 << 255) - 1);
        uint256 id = _submit(REWARD);
        vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, keccak256("r"), bytes32(s | (parity ? 1 << 255 : 0)));
    }

    function test_complete_rejectsUnrecoverableSignature() public {
        uint256 id = _submit(REWARD);
        (, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, bytes32(0), vs); // r = 0
        vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, bytes32(SECP256K1_N), vs); // r >= n
        vm.expectRevert(FLAIComputeJobs.InvalidSignature.selector);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, keccak256("r"), bytes32(0)); // s = 0
    }

    function test_complete_payoutFailureRevertsEverything() public {
        RejectingReceiver bad = new RejectingReceiver(jobs);
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, address(bad));
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.PayoutFailed.selector, address(bad), REWARD));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, address(bad), r, vs);
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "rolled back to Open");
        _assertEq(address(jobs).balance, REWARD, "escrow kept");
    }

    function test_complete_reentrantPayeeIsPaidOnce() public {
        ReentrantPayee attacker = new ReentrantPayee(jobs);
        vm.deal(address(attacker), REWARD);
        uint256 id = _submitAs(address(attacker), REWARD, DEADLINE); // attacker is also the submitter
        _assertEq(address(attacker).balance, 0, "attacker escrowed everything");
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, address(attacker));
        attacker.arm(id, RESULT_HASH, r, vs);

        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, address(attacker), r, vs);

        _assertEq(address(attacker).balance, REWARD, "paid exactly once");
        _assertEq(attacker.receivedCount(), 1, "one payment");
        require(
            keccak256(attacker.completeRevertData()) == keccak256(_notOpen(id, FLAIComputeJobs.JobStatus.Completed)),
            "re-entrant completion saw Completed"
        );
        require(
            keccak256(attacker.cancelRevertData()) == keccak256(_notOpen(id, FLAIComputeJobs.JobStatus.Completed)),
            "re-entrant cancel saw Completed"
        );
    }
}

// -------------------------------------------------------------------------------------------------
// Cancellation
// -------------------------------------------------------------------------------------------------

contract FLAIComputeJobsCancelTest is FLAIComputeJobsFixture {
    function test_cancel_refundsSubmitterAfterDeadline() public {
        uint256 id = _submit(REWARD);
        vm.warp(uint256(DEADLINE) + 1);
        uint256 before = submitter.balance;

        vm.expectEmit(address(jobs));
        emit FLAIComputeJobs.JobCancelled(id, submitter, REWARD);
        vm.prank(submitter);
        jobs.cancelJob(id);

        _assertEq(submitter.balance, before + REWARD, "refunded exactly");
        _assertEq(address(jobs).balance, 0, "escrow released");
        FLAIComputeJobs.Job memory job = jobs.getJob(id);
        require(job.status == FLAIComputeJobs.JobStatus.Cancelled, "Cancelled");
        _assertEq(job.reward, 0, "reward zeroed");
        _assertEq(job.resultHash, bytes32(0), "no result");
        _assertEq(job.submitter, submitter, "submitter kept");
        _assertEq(job.deadline, DEADLINE, "deadline kept");
    }

    function test_cancel_notBeforeOrAtDeadline() public {
        uint256 id = _submit(REWARD);
        bytes memory err = abi.encodeWithSelector(FLAIComputeJobs.DeadlineNotReached.selector, id, uint256(DEADLINE));
        vm.expectRevert(err);
        vm.prank(submitter);
        jobs.cancelJob(id);

        vm.warp(DEADLINE);
        vm.expectRevert(err);
        vm.prank(submitter);
        jobs.cancelJob(id);
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "still open");
    }

    function testFuzz_cancel_onlyAfterDeadline(uint256 at) public {
        at = _bound(at, START, uint256(DEADLINE) + 365 days);
        uint256 id = _submit(REWARD);
        vm.warp(at);
        if (at <= DEADLINE) {
            vm.expectRevert(
                abi.encodeWithSelector(FLAIComputeJobs.DeadlineNotReached.selector, id, uint256(DEADLINE))
            );
        }
        uint256 before = submitter.balance;
        vm.prank(submitter);
        jobs.cancelJob(id);
        if (at > DEADLINE) {
            _assertEq(submitter.balance, before + REWARD, "refunded");
            require(_status(id) == FLAIComputeJobs.JobStatus.Cancelled, "cancelled");
        } else {
            require(_status(id) == FLAIComputeJobs.JobStatus.Open, "open");
        }
    }

    function testFuzz_cancel_onlySubmitter(address caller) public {
        vm.assume(caller != submitter);
        uint256 id = _submit(REWARD);
        vm.warp(uint256(DEADLINE) + 1);
        uint256 before = caller.balance;
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.NotSubmitter.selector, id, caller));
        vm.prank(caller);
        jobs.cancelJob(id);
        _assertEq(caller.balance, before, "caller not paid");
        _assertEq(address(jobs).balance, REWARD, "escrow kept");
    }

    function test_cancel_twiceReverts() public {
        uint256 id = _submit(REWARD);
        vm.warp(uint256(DEADLINE) + 1);
        vm.startPrank(submitter);
        jobs.cancelJob(id);
        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Cancelled));
        jobs.cancelJob(id);
        vm.stopPrank();
    }

    function test_cancel_completedJobReverts() public {
        uint256 id = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, id, RESULT_HASH, payee);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);

        // before and after the deadline
        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Completed));
        vm.prank(submitter);
        jobs.cancelJob(id);
        vm.warp(uint256(DEADLINE) + 1);
        vm.expectRevert(_notOpen(id, FLAIComputeJobs.JobStatus.Completed));
        vm.prank(submitter);
        jobs.cancelJob(id);
    }

    function test_cancel_unknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 0));
        jobs.cancelJob(0);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.UnknownJob.selector, 5));
        jobs.cancelJob(5);
    }

    function test_cancel_refundFailureReverts() public {
        RejectingReceiver bad = new RejectingReceiver(jobs);
        uint256 id = bad.submit{value: REWARD}(DATA_ROOT, MODEL_ROOT, DEADLINE);
        vm.warp(uint256(DEADLINE) + 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIComputeJobs.PayoutFailed.selector, address(bad), REWARD));
        bad.cancel(id);
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "rolled back to Open");
    }

    function test_cancel_reentrantSubmitterRefundedOnce() public {
        ReentrantSubmitter sub = new ReentrantSubmitter(jobs);
        uint256 id = sub.submit{value: REWARD}(DATA_ROOT, MODEL_ROOT, DEADLINE);
        vm.warp(uint256(DEADLINE) + 1);
        sub.cancel();
        _assertEq(address(sub).balance, REWARD, "refunded once");
        _assertEq(sub.receivedCount(), 1, "one refund");
        require(
            keccak256(sub.cancelRevertData()) == keccak256(_notOpen(id, FLAIComputeJobs.JobStatus.Cancelled)),
            "re-entrant cancel saw Cancelled"
        );
    }

    /// @dev Escrow accounting across several jobs: the contract always holds exactly the open rewards.
    function testFuzz_escrowAccounting(uint56 a, uint56 b, uint56 c) public {
        uint256 ra = _bound(a, 1, 1e12) * 1 gwei;
        uint256 rb = _bound(b, 1, 1e12) * 1 gwei;
        uint256 rc = _bound(c, 1, 1e12) * 1 gwei;
        uint256 ida = _submit(ra);
        uint256 idb = _submit(rb);
        uint256 idc = _submit(rc);
        _assertEq(address(jobs).balance, ra + rb + rc, "all escrowed");

        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, ida, RESULT_HASH, payee);
        uint256 payeeBefore = payee.balance;
        jobs.completeJob(ida, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        _assertEq(payee.balance, payeeBefore + ra, "a paid");
        _assertEq(address(jobs).balance, rb + rc, "b, c escrowed");

        vm.warp(uint256(DEADLINE) + 1);
        uint256 subBefore = submitter.balance;
        vm.prank(submitter);
        jobs.cancelJob(idb);
        _assertEq(submitter.balance, subBefore + rb, "b refunded");
        _assertEq(address(jobs).balance, rc, "c escrowed");

        require(_status(ida) == FLAIComputeJobs.JobStatus.Completed, "a completed");
        require(_status(idb) == FLAIComputeJobs.JobStatus.Cancelled, "b cancelled");
        require(_status(idc) == FLAIComputeJobs.JobStatus.Open, "c open");
        _assertEq(jobs.getJob(idc).reward, rc, "c reward");
    }
}

// -------------------------------------------------------------------------------------------------
// Attacks on job results: the signed result binds the job's inputs and identity (issue 11)
// -------------------------------------------------------------------------------------------------

contract FLAIComputeJobsInputBindingAttackTest is FLAIComputeJobsFixture {
    bytes32 internal constant FAKE_DATA_ROOT = keccak256("made-up 2-row dataset");
    bytes32 internal constant FAKE_MODEL_ROOT = keccak256("made-up model spec");

    /// @dev The host fed the enclave other data (or another model): the enclave's genuine signature is over the
    ///      roots it was given, so it recovers to some other address for this job and is refused.
    function test_attack_resultComputedOnOtherDataOrModel_reverts() public {
        uint256 id = _submit(REWARD);
        bytes32[2][3] memory fakes = [
            [FAKE_DATA_ROOT, MODEL_ROOT],
            [DATA_ROOT, FAKE_MODEL_ROOT],
            [FAKE_DATA_ROOT, FAKE_MODEL_ROOT]
        ];
        for (uint256 i; i < fakes.length; i++) {
            (bytes32 r, bytes32 vs) =
                _signFor(ENCLAVE_PK, id, submitter, DEADLINE, fakes[i][0], fakes[i][1], RESULT_HASH, payee);
            address recovered = _recoverCompact(jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee), r, vs);
            require(recovered != enclave, "sanity: other inputs, other digest");
            vm.expectRevert(_unaccepted(recovered));
            jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        }
        require(_status(id) == FLAIComputeJobs.JobStatus.Open, "still open");
        _assertEq(address(jobs).balance, REWARD, "nothing paid");

        // the enclave's result over the job's own inputs completes it
        (bytes32 r2, bytes32 vs2) =
            _signFor(ENCLAVE_PK, id, submitter, DEADLINE, DATA_ROOT, MODEL_ROOT, RESULT_HASH, payee);
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r2, vs2);
        require(_status(id) == FLAIComputeJobs.JobStatus.Completed, "honest result completes");
    }

    /// @dev `hardhat node` restarted: same chain id, same contract address, a new unrelated job with the same id.
    ///      The old chain's result file (genuine signature, same inputs even) does not complete it.
    function test_attack_replayOldResultOnRestartedChainSameJobId_reverts() public {
        uint256 before = vm.snapshotState();
        uint256 oldId = _submit(REWARD);
        (bytes32 r, bytes32 vs) = _sign(ENCLAVE_PK, oldId, RESULT_HASH, payee);
        require(vm.revertToState(before), "restart");

        // the new chain's job with the same id: same inputs, submitted later (another deadline) ...
        vm.warp(START + 1 hours);
        uint256 newId = _submitAs(submitter, REWARD, DEADLINE + 1 hours);
        _assertEq(newId, oldId, "same job id");
        address recovered = _recoverCompact(jobs.hashJobResult(newId, RESULT_HASH, RESULT_ROOT, payee), r, vs);
        vm.expectRevert(_unaccepted(recovered));
        jobs.completeJob(newId, RESULT_HASH, RESULT_ROOT, payee, r, vs);

        // ... or by someone else with the same deadline
        require(vm.revertToState(before), "restart again");
        address otherSubmitter = vm.addr(0x5C);
        vm.deal(otherSubmitter, 1 ether);
        newId = _submitAs(otherSubmitter, REWARD, DEADLINE);
        _assertEq(newId, oldId, "same job id");
        recovered = _recoverCompact(jobs.hashJobResult(newId, RESULT_HASH, RESULT_ROOT, payee), r, vs);
        vm.expectRevert(_unaccepted(recovered));
        jobs.completeJob(newId, RESULT_HASH, RESULT_ROOT, payee, r, vs);
        require(_status(newId) == FLAIComputeJobs.JobStatus.Open, "new job still open");
    }

    function testFuzz_complete_rejectsResultForOtherJobFields(
        address otherSubmitter,
        uint64 otherDeadline,
        bytes32 otherData,
        bytes32 otherModel,
        uint8 which
    ) public {
        uint256 id = _submit(REWARD);
        address s_ = submitter;
        uint64 d = DEADLINE;
        bytes32 dr = DATA_ROOT;
        bytes32 mr = MODEL_ROOT;
        which = which % 4;
        if (which == 0) {
            vm.assume(otherSubmitter != submitter);
            s_ = otherSubmitter;
        } else if (which == 1) {
            vm.assume(otherDeadline != DEADLINE);
            d = otherDeadline;
        } else if (which == 2) {
            vm.assume(otherData != DATA_ROOT);
            dr = otherData;
        } else {
            vm.assume(otherModel != MODEL_ROOT);
            mr = otherModel;
        }
        (bytes32 r, bytes32 vs) = _signFor(ENCLAVE_PK, id, s_, d, dr, mr, RESULT_HASH, payee);
        address recovered = _recoverCompact(jobs.hashJobResult(id, RESULT_HASH, RESULT_ROOT, payee), r, vs);
        vm.expectRevert(_unaccepted(recovered));
        jobs.completeJob(id, RESULT_HASH, RESULT_ROOT, payee, r, vs);
    }
}
