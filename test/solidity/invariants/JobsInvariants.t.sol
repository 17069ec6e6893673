// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../../contracts/FLAIComputeJobs.sol";
import {EnclaveFixture, InvariantBase} from "./InvariantBase.sol";
import {SigningHelpers} from "../SigningHelpers.sol";

// =================================================================================================
// Invariant (stateful fuzz) tests of FLAIComputeJobs.
//
// Hardhat 3's Solidity test runner (EDR) runs every `invariant_*` function of a test contract as its own
// campaign: `runs` random call sequences of `depth` calls each against the contracts/selectors returned
// by `targetContracts()` / `targetSelectors()`, checking the invariant after every call and
// `afterInvariant()` at the end of every sequence. Runs/depth come from `test.solidity.invariant` in
// hardhat.config.ts (environment variables FLAI_INVARIANT_RUNS / FLAI_INVARIANT_DEPTH).
//
// The only target is {JobsHandler}: it drives random but well-formed sequences of submit / complete /
// cancel / time travel / registry changes, predicts the outcome of every call from its own model (ghost
// state, kept independently of the contract: its own EIP-712 digests, its own view of which enclave is
// accepted, its own clock) and counts every disagreement. It never reverts itself (the campaign runs
// with `failOnRevert: true`, so a handler revert is a failure too); the invariants read its counters and
// compare its ghost state with the contract.
// =================================================================================================

/// @dev Time of setUp; the handler's clock starts there.
uint256 constant JOBS_INV_START = 1_700_000_000;

/// @dev The handler: the only contract the invariant fuzzer calls.
contract JobsHandler is SigningHelpers {
    // --- fixture -----------------------------------------------------------------------------------

    uint256 internal constant ENCLAVE_PK = 0xE1C1A7E; // registered for M1, M1 always accepted
    uint256 internal constant ENCLAVE2_PK = 0xE1C1A7E2; // registered for M2; the fuzzer toggles both
    uint256 internal constant STRANGER_PK = 0xBAD5161; // never registered
    bytes32 public constant M1 = keccak256("flai-enclave-v1");
    bytes32 public constant M2 = keccak256("flai-enclave-v2");
    uint256 internal constant N_SUBMITTERS = 3;
    uint256 internal constant N_PAYEES = 3;
    uint256 internal constant MAX_REWARD_GWEI = 10 ether / 1 gwei;
    uint256 internal constant MAX_DURATION = 3 days;

    uint256 internal constant STATUS_OPEN = 1;
    uint256 internal constant STATUS_COMPLETED = 2;
    uint256 internal constant STATUS_CANCELLED = 3;

    FLAIComputeJobs public immutable jobs;
    address public immutable owner;
    address public immutable enclave;
    address public immutable enclave2;
    address public immutable relayer;

    // --- ghost model -------------------------------------------------------------------------------

    struct GhostJob {
        address submitter;
        uint40 deadline;
        uint256 reward; // wei escrowed at submission
        uint8 status; // STATUS_*
        bytes32 resultHash; // of the successful completion
        address payee; // of the successful completion
        uint256 settledAt; // block.timestamp of the completion / cancellation
        uint256 payouts; // successful completions + cancellations seen for this job
        uint256 paid; // wei that actually reached the payee / submitter for this job
        bytes32 dataRoot; // the inputs the result is bound to
        bytes32 modelRoot;
    }

    uint256 public ghost_now = JOBS_INV_START;
    uint256 public ghost_jobCount;
    mapping(uint256 jobId => GhostJob) internal _ghostJobs;

    bool public ghost_m2Accepted = true;
    bool public ghost_enclave2Registered = true;

    /// @dev keccak256(jobId, resultHash, payee) => an enclave that the model considers accepted signed it.
    mapping(bytes32 => bool) public ghost_signedByAcceptedEnclave;

    uint256 public ghost_deposited; // wei sent by submitJob
    uint256 public ghost_escrowed; // rewards of jobs still open in the model
    uint256 public ghost_paidToPayees; // wei received by payees
    uint256 public ghost_refunded; // wei received by submitters on cancellation

    // Disagreements between the model and the contract (all must stay 0).
    uint256 public ghost_completedWithoutAcceptedSignature;
    uint256 public ghost_completedAfterDeadline;
    uint256 public ghost_settledTwice;
    uint256 public ghost_cancelledBeforeDeadline;
    uint256 public ghost_cancelledByNonSubmitter;
    uint256 public ghost_unknownJobSettled;
    uint256 public ghost_wrongPayout;
    uint256 public ghost_wrongJobId;
    uint256 public ghost_validCallReverted;

    // Call statistics (not asserted; handy when tuning).
    uint256 public calls_submit;
    uint256 public calls_complete;
    uint256 public calls_completeOk;
    uint256 public calls_cancel;
    uint256 public calls_cancelOk;

    constructor(FLAIComputeJobs jobs_, address owner_) {
        jobs = jobs_;
        owner = owner_;
        enclave = vm.addr(ENCLAVE_PK);
        enclave2 = vm.addr(ENCLAVE2_PK);
        relayer = vm.addr(0x7E1A);
    }

    /// @dev Every action starts by restoring the handler's clock (time only moves through {warp}).
    modifier syncClock() {
        vm.warp(ghost_now);
        _;
    }

    // --- actions (targeted by the fuzzer) ----------------------------------------------------------

    function submitJob(uint256 submitterSeed, uint256 rewardSeed, uint256 durationSeed) external syncClock {
        calls_submit++;
        address submitter = submitterOf(submitterSeed);
        uint256 reward = _bound(rewardSeed, 1, MAX_REWARD_GWEI) * 1 gwei;
        uint40 deadline = uint40(ghost_now + _bound(durationSeed, 1 hours, MAX_DURATION));
        bytes32 dataRoot = keccak256(abi.encode("data", rewardSeed));
        bytes32 modelRoot = keccak256(abi.encode("model", durationSeed));

        vm.deal(submitter, submitter.balance + reward);
        vm.prank(submitter);
        try jobs.submitJob{value: reward}(dataRoot, modelRoot, deadline) returns (uint256 jobId) {
            uint256 expectedId = ++ghost_jobCount;
            if (jobId != expectedId) ghost_wrongJobId++;
            GhostJob storage g = _ghostJobs[expectedId];
            g.submitter = submitter;
            g.deadline = deadline;
            g.reward = reward;
            g.status = uint8(STATUS_OPEN);
            g.dataRoot = dataRoot;
            g.modelRoot = modelRoot;
            ghost_deposited += reward;
            ghost_escrowed += reward;
        } catch {
            ghost_validCallReverted++;
        }
    }

    /// @dev One relayed completion, as prepared by {completeJob}.
    struct Completion {
        uint256 jobId;
        bytes32 resultHash;
        address payee;
        bytes32 r;
        bytes32 vs;
        bool authorized; // signed by an enclave the model considers accepted, and relayed untampered
    }

    /// @param signerSeed picks the signing key: 5/8 the accepted enclave, 2/8 the toggled enclave, 1/8 a stranger.
    /// @param tamperSeed 1 in 8: relay a (resultHash, payee) different from the signed one.
    function completeJob(
        uint256 jobSeed,
        uint256 resultSeed,
        uint256 payeeSeed,
        uint256 signerSeed,
        uint256 tamperSeed
    ) external syncClock {
        calls_complete++;
        Completion memory c = _prepareCompletion(jobSeed, resultSeed, payeeSeed, signerSeed, tamperSeed);
        GhostJob storage g = _ghostJobs[c.jobId];
        bool exists = c.jobId <= ghost_jobCount;
        bool open = exists && g.status == STATUS_OPEN;
        bool inTime = block.timestamp <= g.deadline;

        uint256 before = c.payee.balance;
        vm.prank(relayer);
        try jobs.completeJob(c.jobId, c.resultHash, _rootOf(c.resultHash), c.payee, c.r, c.vs) {
            calls_completeOk++;
            if (!c.authorized) ghost_completedWithoutAcceptedSignature++;
            if (!exists) ghost_unknownJobSettled++;
            if (exists && !open) ghost_settledTwice++;
            if (exists && !inTime) ghost_completedAfterDeadline++;
            uint256 received = c.payee.balance - before;
            ghost_paidToPayees += received;
            if (!exists) return;
            if (open) ghost_escrowed -= g.reward;
            if (received != (open ? g.reward : 0)) ghost_wrongPayout++;
            g.status = uint8(STATUS_COMPLETED);
            g.resultHash = c.resultHash;
            g.payee = c.payee;
            g.settledAt = block.timestamp;
            g.payouts++;
            g.paid += received;
        } catch {
            if (open && inTime && c.authorized) ghost_validCallReverted++;
        }
    }

    /// @param callerSeed 3 in 4: the job's submitter; otherwise some submitter (maybe the same one).
    function cancelJob(uint256 jobSeed, uint256 callerSeed) external syncClock {
        calls_cancel++;
        uint256 jobId = _pickJob(jobSeed);
        GhostJob storage g = _ghostJobs[jobId];
        uint256 pick = _mix(callerSeed);
        address caller = pick % 4 != 3 && g.submitter != address(0) ? g.submitter : submitterOf(pick >> 2);

        bool exists = jobId <= ghost_jobCount;
        bool isSubmitter = caller == g.submitter;
        bool open = exists && g.status == STATUS_OPEN;
        bool expired = block.timestamp > g.deadline;
        bool expectOk = exists && isSubmitter && open && expired;

        uint256 before = caller.balance;
        vm.prank(caller);
        try jobs.cancelJob(jobId) {
            calls_cancelOk++;
            if (!exists) ghost_unknownJobSettled++;
            if (exists && !isSubmitter) ghost_cancelledByNonSubmitter++;
            if (exists && !open) ghost_settledTwice++;
            if (exists && !expired) ghost_cancelledBeforeDeadline++;
            uint256 received = caller.balance - before;
            if (!exists) {
                ghost_refunded += received;
                return;
            }
            if (open) ghost_escrowed -= g.reward;
            if (received != (open ? g.reward : 0)) ghost_wrongPayout++;
            g.status = uint8(STATUS_CANCELLED);
            g.settledAt = block.timestamp;
            g.payouts++;
            g.paid += received;
            ghost_refunded += received;
        } catch {
            if (expectOk) ghost_validCallReverted++;
        }
    }

    /// @dev Time travel (forward only). 3 in 4: 0 .. 6 hours. Otherwise to the deadline of one of the jobs
    ///      that are still open, exactly (last second to complete) or one second past it (first second to
    ///      cancel), unless that is in the past.
    function warp(uint256 secondsSeed, uint256 modeSeed) external {
        uint256 mode = _mix(modeSeed);
        if (mode % 4 != 3 || ghost_jobCount == 0) {
            ghost_now += _bound(secondsSeed, 0, 6 hours);
        } else {
            GhostJob storage g = _ghostJobs[_pickJob(secondsSeed)];
            uint256 target = uint256(g.deadline) + ((mode >> 2) % 2);
            if (g.status == STATUS_OPEN && target > ghost_now) ghost_now = target;
        }
        vm.warp(ghost_now);
    }

    /// @dev Owner changes to the registry that affect whether enclave2's signatures are accepted.
    function toggleEnclave2(uint256 actionSeed) external syncClock {
        uint256 action = _mix(actionSeed) % 4;
        vm.startPrank(owner);
        if (action == 0) {
            jobs.revokeMeasurement(M2);
            ghost_m2Accepted = false;
        } else if (action == 1) {
            jobs.acceptMeasurement(M2);
            ghost_m2Accepted = true;
        } else if (action == 2) {
            jobs.removeEnclave(enclave2);
            ghost_enclave2Registered = false;
        } else if (ghost_m2Accepted) {
            // A report for a measurement the owner does not accept cannot register (unit-tested).
            _registerAttested(jobs, enclave2, M2);
            ghost_enclave2Registered = true;
        }
        vm.stopPrank();
    }

    // --- views for the invariants ------------------------------------------------------------------

    function ghostJob(uint256 jobId) external view returns (GhostJob memory) {
        return _ghostJobs[jobId];
    }

    function resultKey(uint256 jobId, bytes32 resultHash, address payee) external pure returns (bytes32) {
        return _resultKey(jobId, resultHash, payee);
    }

    function submitterOf(uint256 seed) public pure returns (address) {
        return vm.addr(0x5B0000 + (seed % N_SUBMITTERS));
    }

    function payeeOf(uint256 seed) public pure returns (address) {
        return vm.addr(0xBEEF00 + (seed % N_PAYEES));
    }

    // --- internals ---------------------------------------------------------------------------------

    /// @dev Picks the job, result, payee and signer, signs (recording what an accepted enclave signed), and
    ///      possibly tampers with what gets relayed.
    function _prepareCompletion(
        uint256 jobSeed,
        uint256 resultSeed,
        uint256 payeeSeed,
        uint256 signerSeed,
        uint256 tamperSeed
    ) internal returns (Completion memory c) {
        c.jobId = _pickJob(jobSeed);
        c.resultHash = keccak256(abi.encode("result", resultSeed % 8));
        c.payee = payeeOf(payeeSeed);
        (uint256 pk, bool signerAccepted) = _signer(signerSeed);

        // The enclave signs (jobId, resultHash, payee) ...
        (c.r, c.vs) = _signDigest(pk, _digest(c.jobId, c.resultHash, c.payee));
        if (signerAccepted) ghost_signedByAcceptedEnclave[_resultKey(c.jobId, c.resultHash, c.payee)] = true;
        // ... and the relayer may submit something else.
        uint256 tamper = _mix(tamperSeed);
        bool tampered = tamper % 8 == 7;
        if (tampered) {
            if ((tamper >> 8) % 2 == 0) c.resultHash = keccak256(abi.encode("forged", c.resultHash));
            else c.payee = payeeOf((payeeSeed % N_PAYEES) + 1);
        }
        c.authorized = signerAccepted && !tampered;
    }

    /// @dev Mostly an existing job (biased towards the latest ones), 1 in 16 the next, unknown, id.
    function _pickJob(uint256 seed) internal view returns (uint256) {
        uint256 n = ghost_jobCount;
        seed = _mix(seed);
        if (n == 0 || seed % 16 == 15) return n + 1;
        if (seed % 2 == 0) return n - ((seed >> 1) % (n < 3 ? n : 3)); // one of the last 3
        return _bound(seed >> 1, 1, n);
    }

    function _signer(uint256 seed) internal view returns (uint256 pk, bool accepted) {
        uint256 which = _mix(seed) % 8;
        if (which < 5) return (ENCLAVE_PK, true);
        if (which < 7) return (ENCLAVE2_PK, ghost_m2Accepted && ghost_enclave2Registered);
        return (STRANGER_PK, false);
    }

    /// @dev Independent EIP-712 digest of the JobResult of job `jobId` as the model knows it (abi.encode based):
    ///      jobId, submitter, deadline, data and model roots, resultHash, payee. Unknown jobs have zero fields.
    function _digest(uint256 jobId, bytes32 resultHash, address payee) internal view returns (bytes32) {
        GhostJob storage g = _ghostJobs[jobId];
        bytes32 domain = _eip712DomainSeparator("FLAIComputeJobs", "1", block.chainid, address(jobs));
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "JobResult(uint256 jobId,address submitter,uint64 deadline,bytes32 dataRoot,bytes32 modelRoot,bytes32 resultHash,bytes32 resultRoot,address payee)"
                ),
                jobId,
                g.submitter,
                uint64(g.deadline),
                g.dataRoot,
                g.modelRoot,
                resultHash,
                _rootOf(resultHash),
                payee
            )
        );
        return _eip712Digest(domain, structHash);
    }

    /// @dev The result's storage root, a function of its hash here: tampering with the hash changes both, and the
    ///      invariant can check the stored root without tracking it separately.
    function _rootOf(bytes32 resultHash) internal pure returns (bytes32) {
        return keccak256(abi.encode("root", resultHash));
    }

    function rootOf(bytes32 resultHash) external pure returns (bytes32) {
        return _rootOf(resultHash);
    }

    function _resultKey(uint256 jobId, bytes32 resultHash, address payee) internal pure returns (bytes32) {
        return keccak256(abi.encode(jobId, resultHash, payee));
    }
}

/// @dev The invariant suite.
contract JobsInvariantsTest is InvariantBase {
    FLAIComputeJobs internal jobs;
    JobsHandler internal handler;

    function setUp() public {
        vm.warp(JOBS_INV_START);
        address owner = vm.addr(0x0A11CE);
        jobs = new FLAIComputeJobs(owner, _attestationAuthority());
        handler = new JobsHandler(jobs, owner);
        _registerEnclaves(jobs, EnclaveFixture(address(handler)), owner);
    }

    function _subject() internal pure override returns (string memory) {
        return "job";
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = JobsHandler.submitJob.selector;
        selectors[1] = JobsHandler.completeJob.selector;
        selectors[2] = JobsHandler.cancelJob.selector;
        selectors[3] = JobsHandler.warp.selector;
        selectors[4] = JobsHandler.toggleEnclave2.selector;
        return _onlyTarget(selectors);
    }

    // --- invariants --------------------------------------------------------------------------------

    /// @notice The contract holds exactly the rewards of the jobs that are still open, and every wei that
    ///         came in is either still escrowed or went out to a payee / submitter.
    function invariant_balanceEqualsEscrowedUnpaidRewards() public view {
        uint256 onChainOpen;
        uint256 n = jobs.jobCount();
        for (uint256 id = 1; id <= n; id++) {
            onChainOpen += jobs.getJob(id).reward;
        }
        uint256 balance = address(jobs).balance;
        _eq(balance, onChainOpen, "balance != sum of open rewards (getJob)");
        _eq(balance, handler.ghost_escrowed(), "balance != ghost escrow of open jobs");
        _eq(
            handler.ghost_deposited(),
            balance + handler.ghost_paidToPayees() + handler.ghost_refunded(),
            "deposited != escrowed + paid + refunded"
        );
        _eq(n, handler.ghost_jobCount(), "jobCount");
        _eq(handler.ghost_wrongJobId(), 0, "unexpected job id");
    }

    /// @notice A job's escrow leaves the contract at most once (completion XOR cancellation), in full,
    ///         to the right party; the contract's status matches the model's.
    function invariant_eachRewardPaidAtMostOnce() public view {
        uint256 n = handler.ghost_jobCount();
        for (uint256 id = 1; id <= n; id++) {
            JobsHandler.GhostJob memory g = handler.ghostJob(id);
            FLAIComputeJobs.Job memory j = jobs.getJob(id);
            _le(g.payouts, 1, "job paid out more than once", id);
            _eq(uint256(j.status), g.status, "status differs from model", id);
            _eq(g.paid, g.status == 1 ? 0 : g.reward, "paid amount != reward", id);
            _eq(j.reward, g.status == 1 ? g.reward : 0, "escrow of a settled job not cleared", id);
        }
        _eq(handler.ghost_settledTwice(), 0, "completed/cancelled a job that was not open");
        _eq(handler.ghost_unknownJobSettled(), 0, "settled an unknown job");
        _eq(handler.ghost_wrongPayout(), 0, "payout differs from the escrowed reward");
    }

    /// @notice Nothing changes without the required signature: every completed job carries the result an
    ///         accepted enclave signed (for that job and that payee), and no call relayed with a stranger's,
    ///         a non-accepted enclave's or a tampered signature succeeded.
    function invariant_completionRequiresAcceptedEnclaveSignature() public view {
        uint256 n = handler.ghost_jobCount();
        for (uint256 id = 1; id <= n; id++) {
            JobsHandler.GhostJob memory g = handler.ghostJob(id);
            FLAIComputeJobs.Job memory j = jobs.getJob(id);
            if (j.status == FLAIComputeJobs.JobStatus.Completed) {
                _eq(j.resultHash, g.resultHash, "resultHash differs from the relayed one", id);
                _eq(j.resultRoot, handler.rootOf(g.resultHash), "resultRoot differs from the relayed one", id);
                _true(
                    handler.ghost_signedByAcceptedEnclave(handler.resultKey(id, j.resultHash, g.payee)),
                    "completed with a result no accepted enclave signed",
                    id
                );
            } else {
                _eq(j.resultHash, bytes32(0), "resultHash set on a job that is not completed", id);
                _eq(j.resultRoot, bytes32(0), "resultRoot set on a job that is not completed", id);
            }
        }
        _eq(handler.ghost_completedWithoutAcceptedSignature(), 0, "completion without an accepted signature");
    }

    /// @notice Deadlines: completion only up to and including the deadline, cancellation only strictly
    ///         after it and only by the submitter.
    function invariant_deadlinesRespected() public view {
        uint256 n = handler.ghost_jobCount();
        for (uint256 id = 1; id <= n; id++) {
            JobsHandler.GhostJob memory g = handler.ghostJob(id);
            if (g.status == 2) _le(g.settledAt, g.deadline, "completed after the deadline", id);
            if (g.status == 3) _le(uint256(g.deadline) + 1, g.settledAt, "cancelled before the deadline", id);
        }
        _eq(handler.ghost_completedAfterDeadline(), 0, "completion after deadline succeeded");
        _eq(handler.ghost_cancelledBeforeDeadline(), 0, "cancellation before deadline succeeded");
        _eq(handler.ghost_cancelledByNonSubmitter(), 0, "cancellation by a non-submitter succeeded");
    }

    /// @notice Liveness: every call the model says is valid goes through.
    function invariant_validCallsSucceed() public view {
        _eq(handler.ghost_validCallReverted(), 0, "a valid call reverted");
    }

    /// @notice End of every sequence: the submitters can recover every open escrow once the deadlines pass,
    ///         which drains the contract to exactly 0 (no wei stuck, none missing).
    function afterInvariant() public {
        uint256 n = handler.ghost_jobCount();
        uint256 latest = handler.ghost_now();
        for (uint256 id = 1; id <= n; id++) {
            JobsHandler.GhostJob memory g = handler.ghostJob(id);
            if (g.status != 1) continue;
            if (g.deadline + 1 > latest) latest = uint256(g.deadline) + 1;
        }
        vm.warp(latest);
        for (uint256 id = 1; id <= n; id++) {
            JobsHandler.GhostJob memory g = handler.ghostJob(id);
            if (g.status != 1) continue;
            uint256 before = g.submitter.balance;
            vm.prank(g.submitter);
            jobs.cancelJob(id);
            _eq(g.submitter.balance - before, g.reward, "final refund != reward", id);
        }
        _eq(address(jobs).balance, 0, "wei left in the contract after settling every job");
    }
}
