// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../../contracts/FLAIComputeJobs.sol";
import {EnclaveFixture, InvariantBase} from "./InvariantBase.sol";
import {FLAIFederated} from "../../../contracts/FLAIFederated.sol";
import {SigningHelpers} from "../SigningHelpers.sol";
import {MerkleHelpers} from "../MerkleHelpers.sol";

// =================================================================================================
// Invariant (stateful fuzz) tests of FLAIFederated.
//
// Same set-up as JobsInvariants.t.sol: every `invariant_*` function is its own campaign of `runs` random
// sequences of `depth` calls to {FederatedHandler} (the only target, see `targetContracts()` /
// `targetSelectors()`), `afterInvariant()` runs at the end of every sequence, and runs/depth come from
// `test.solidity.invariant` in hardhat.config.ts (FLAI_INVARIANT_RUNS / FLAI_INVARIANT_DEPTH).
//
// The handler creates tasks, records client updates, finalizes rounds with enclave-signed results (the
// Merkle commitment to the accepted clients' (weight, cumulative weight) leaves is built here, in
// Solidity), closes rounds early (enclave-signed) or lets them fill up to maxClients, relays results over
// genuine or fake inputs (previous model, update accumulator), lets clients claim with proofs, cancels tasks,
// moves time and changes the enclave registry.
// It predicts every outcome from its own ghost model (independent EIP-712 digests, pools, shares, clock,
// registry view) and counts each disagreement; it never reverts itself (`failOnRevert: true`).
// =================================================================================================

/// @dev Time of setUp; the handler's clock starts there.
uint256 constant FED_INV_START = 1_700_000_000;

/// @dev The handler: the only contract the invariant fuzzer calls.
contract FederatedHandler is SigningHelpers, MerkleHelpers {
    // --- fixture -----------------------------------------------------------------------------------

    uint256 internal constant ENCLAVE_PK = 0xE1C1A7E; // registered for M1 (always accepted), never moved
    uint256 internal constant ENCLAVE2_PK = 0xE1C1A7E2; // registered for M2; the fuzzer moves / removes it
    uint256 internal constant STRANGER_PK = 0xBAD5161; // never registered
    bytes32 public constant M1 = keccak256("flai-fedavg-enclave-v1");
    bytes32 public constant M2 = keccak256("flai-fedavg-enclave-v2");
    uint256 public constant N_CLIENTS = 4;
    uint256 internal constant N_CREATORS = 2;
    uint256 internal constant MAX_POOL = 100 ether;
    uint256 internal constant MAX_NUM_EXAMPLES = 1000;
    uint256 internal constant MAX_ACTIVE_TASKS = 3;

    uint8 internal constant ACTIVE = 1;
    uint8 internal constant FINISHED = 2;
    uint8 internal constant CANCELLED = 3;

    FLAIComputeJobs public immutable registry;
    FLAIFederated public immutable fed;
    address public immutable owner;
    address public immutable enclave;
    address public immutable enclave2;
    address public immutable relayer;

    // --- ghost model -------------------------------------------------------------------------------

    struct GhostTask {
        address creator;
        uint16 rounds;
        uint16 quorum;
        uint32 duration;
        uint16 maxClients;
        bytes32 measurement;
        address enclave; // the task's enclave: `enclave` for M1 tasks, `enclave2` for M2 tasks
        uint256 rewardPool;
        uint16 current;
        uint8 status; // ACTIVE / FINISHED / CANCELLED
        bytes32 globalRoot;
        bytes32 globalHash;
        uint256 paidOut; // wei received by clients and the creator for this task
        uint256 refunds; // successful cancellations
        uint256 refunded; // wei received by the creator on cancellation
    }

    struct GhostRound {
        uint64 deadline;
        uint32 updateCount;
        bytes32 accumulator; // the model's own accumulator over the recorded updates
        bool finalized;
        bool closed; // closed by closeRound, at maxClients, or at cancellation (the deadline is separate)
        uint64 acceptedWeight;
        uint32 acceptedCount;
        bytes32 commitment;
        uint256 pool; // the round's share of the reward pool, computed by the handler
        uint256 claimed; // wei received by claiming clients
        uint256 claims; // successful claims
    }

    struct GhostUpdate {
        uint64 numExamples; // 0 = not recorded
        bytes32 updateHash;
        bool accepted; // in the finalized result
        uint64 weight;
        uint64 cum;
        uint256 leafIndex;
        uint256 claims; // successful claims by this client for this round
        uint256 received; // wei received by those claims
    }

    uint256 public ghost_now = FED_INV_START;
    uint256 public ghost_taskCount;
    mapping(uint256 taskId => GhostTask) internal _tasks;
    mapping(uint256 taskId => mapping(uint16 round => GhostRound)) internal _rounds;
    mapping(uint256 taskId => mapping(uint16 round => mapping(uint256 client => GhostUpdate))) internal _updates;
    mapping(uint256 taskId => mapping(uint16 round => bytes32[])) internal _leaves;
    /// @dev (taskId << 16 | round) of every round the model saw finalized, for {claim}.
    uint256[] internal _finalized;

    bool public ghost_m2Accepted = true; // M1 is always accepted
    bytes32 public ghost_enclave2Measurement = M2; // 0 = removed

    /// @dev {resultKey}(taskId, round, commitment, acceptedWeight, acceptedCount) => an enclave that the model
    ///      considers accepted for the task signed a RoundResult with these fields.
    mapping(bytes32 => bool) public ghost_signedByAcceptedEnclave;
    /// @dev {modelKey}(taskId, round, globalRoot, globalHash) => idem, for the new global model.
    mapping(bytes32 => bool) public ghost_signedModelByAcceptedEnclave;

    uint256 public ghost_deposited;
    uint256 public ghost_paid;

    // Disagreements between the model and the contract (all must stay 0).
    uint256 public ghost_recordedAfterDeadline;
    uint256 public ghost_recordedOutsideCurrentRound;
    uint256 public ghost_recordedTwice;
    uint256 public ghost_recordedAfterClose;
    uint256 public ghost_closedWithoutQuorumOrEnclave;
    uint256 public ghost_finalizedOpenRound;
    uint256 public ghost_finalizedFakeInputs;
    uint256 public ghost_cancelledAfterQuorum;
    uint256 public ghost_finalizedWithoutAcceptedSignature;
    uint256 public ghost_finalizedInvalidResult;
    uint256 public ghost_finalizedOutsideCurrentRound;
    uint256 public ghost_claimedTwice;
    uint256 public ghost_claimedWithoutValidLeaf;
    uint256 public ghost_claimedUnfinalized;
    uint256 public ghost_wrongClaimAmount;
    uint256 public ghost_cancelledBeforeDeadline;
    uint256 public ghost_cancelledByNonCreator;
    uint256 public ghost_cancelledInactive;
    uint256 public ghost_wrongRefund;
    uint256 public ghost_wrongTaskId;
    uint256 public ghost_validCallReverted;

    // Call statistics (not asserted; handy when tuning the handler).
    uint256 public calls_recordOk;
    uint256 public calls_finalize;
    uint256 public calls_finalizeOk;
    uint256 public calls_claim;
    uint256 public calls_claimOk;
    uint256 public calls_cancelOk;
    uint256 public calls_closeOk;

    constructor(FLAIComputeJobs registry_, FLAIFederated fed_, address owner_) {
        registry = registry_;
        fed = fed_;
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

    // =============================================================================================
    // Actions (targeted by the fuzzer)
    // =============================================================================================

    function createTask(uint256 creatorSeed, uint256 poolSeed, uint256 shapeSeed, uint256 durationSeed)
        external
        syncClock
    {
        if (_activeTasks() >= MAX_ACTIVE_TASKS) return; // keep the sequence focused on a few tasks
        GhostTask memory t = _newTask(creatorSeed, poolSeed, shapeSeed, durationSeed);
        bool enclaveOk = _acceptedFor(t.enclave, t.measurement);

        vm.deal(t.creator, t.creator.balance + t.rewardPool);
        vm.prank(t.creator);
        try fed.createTask{value: t.rewardPool}(
            t.globalRoot, t.globalHash, t.rounds, t.quorum, t.maxClients, t.duration, t.measurement, t.enclave
        ) returns (uint256 id) {
            if (!enclaveOk) ghost_finalizedWithoutAcceptedSignature++; // a task bound to an unaccepted enclave
            uint256 taskId = ++ghost_taskCount;
            if (id != taskId) ghost_wrongTaskId++;
            _tasks[taskId] = t;
            _openRound(taskId, 1);
            ghost_deposited += t.rewardPool;
        } catch {
            if (enclaveOk) ghost_validCallReverted++;
        }
    }

    /// @dev The model of a task about to be created.
    function _newTask(uint256 creatorSeed, uint256 poolSeed, uint256 shapeSeed, uint256 durationSeed)
        internal
        view
        returns (GhostTask memory t)
    {
        uint256 shape = _mix(shapeSeed);
        uint256 q = (shape >> 8) % 8;
        t.creator = creatorOf(creatorSeed);
        t.rounds = uint16(1 + shape % 3);
        t.quorum = q < 5 ? 1 : (q < 7 ? 2 : 3);
        t.measurement = (shape >> 16) % 4 == 3 ? M2 : M1;
        t.enclave = t.measurement == M1 ? enclave : enclave2;
        t.duration = uint32(_bound(_mix(durationSeed), 1 hours, 3 days));
        // Half of the tasks fill up (and close) within the handler's 4 clients.
        t.maxClients = uint16(t.quorum + (shape >> 24) % 6);
        t.rewardPool = _bound(poolSeed, 1, MAX_POOL);
        t.globalRoot = keccak256(abi.encode("initial-root", poolSeed));
        t.globalHash = keccak256(abi.encode("initial-hash", poolSeed));
        t.current = 1;
        t.status = ACTIVE;
    }

    /// @notice The task's enclave (7 in 8; otherwise another signer) closes the current round of a task early.
    function closeRound(uint256 taskSeed, uint256 signerSeed) external syncClock {
        uint256 taskId = _pickTaskToFinalize(taskSeed);
        GhostTask storage t = _tasks[taskId];
        uint16 round = t.current == 0 ? 1 : t.current;
        GhostRound storage gr = _rounds[taskId][round];
        (uint256 pk, address signer) = _mix(signerSeed) % 8 == 7 ? _signer(signerSeed >> 3) : (_pkOf(t.enclave), t.enclave);
        bool enclaveOk = signer == t.enclave && _acceptedFor(signer, t.measurement);
        bool closable = taskId <= ghost_taskCount && t.status == ACTIVE && !gr.closed
            && block.timestamp <= gr.deadline && gr.updateCount >= t.quorum;
        (bytes32 r, bytes32 vs) = _signDigest(pk, _closeDigest(taskId, round));
        vm.prank(relayer);
        try fed.closeRound(taskId, round, r, vs) {
            calls_closeOk++;
            if (!closable || !enclaveOk) ghost_closedWithoutQuorumOrEnclave++;
            gr.closed = true;
        } catch {
            if (closable && enclaveOk) ghost_validCallReverted++;
        }
    }

    /// @notice Every client that has not recorded yet (half of the time) or some clients (bit mask) record an
    ///         update for a round of a task: its current round, or 1 in 16 a neighbouring (wrong) one.
    function recordUpdates(uint256 taskSeed, uint256 clientMask, uint256 numExamplesSeed, uint256 roundSeed)
        external
        syncClock
    {
        uint256 taskId = _pickTask(taskSeed);
        uint16 round = _tasks[taskId].current;
        uint256 rmix = _mix(roundSeed);
        if (rmix % 16 == 15) round = (rmix >> 8) % 2 == 0 ? round + 1 : (round == 0 ? 0 : round - 1);
        uint256 mix = _mix(clientMask);
        bool everyone = mix % 2 == 0; // every client that has not recorded yet
        uint256 mask = everyone ? 15 : (mix >> 1) % 16;
        if (mask == 0) mask = 1 << (clientMask % N_CLIENTS);
        for (uint256 i; i < N_CLIENTS; i++) {
            if (mask & (1 << i) == 0 || (everyone && _updates[taskId][round][i].numExamples != 0)) continue;
            _record(taskId, round, i, uint64(1 + (numExamplesSeed >> (16 * i)) % MAX_NUM_EXAMPLES));
        }
    }

    /// @dev What {finalizeRound} relays, and what the model thinks of it.
    struct Finalization {
        uint256 taskId;
        uint16 round;
        FLAIFederated.RoundResult result;
        bytes32[] leaves;
        bytes32 r;
        bytes32 vs;
        bool signerAccepted; // the signer is registered for the task's measurement, and it is accepted
        bool relayTampered; // the relayed result differs from the signed one
        bool consistent; // counts, quorum and weight are valid for the round
        bool fakeInputs; // the enclave was fed another previous model or another update set
        bool closed; // the round's update set is frozen (explicitly, full, or past the deadline)
        uint256 acceptedMask; // bit i: client i accepted
        uint64[N_CLIENTS] cums; // cumulative weight before client i (accepted clients only)
    }

    /// @notice Relays an enclave-signed result for the current round of a task: each recorded client is
    ///         accepted with probability 7/8 (weight = its num_examples), the others rejected. 1 in 8 the
    ///         enclave signs inconsistent counts, 1 in 8 the relayer alters the signed result.
    function finalizeRound(uint256 taskSeed, uint256 acceptSeed, uint256 signerSeed, uint256 tamperSeed)
        external
        syncClock
    {
        calls_finalize++;
        uint256 taskId = _pickTaskToFinalize(taskSeed);
        Finalization memory f = _prepareFinalization(taskId, acceptSeed, signerSeed, tamperSeed);
        GhostTask storage t = _tasks[f.taskId];
        bool isCurrent = f.taskId <= ghost_taskCount && t.status == ACTIVE && f.round == t.current;
        f.closed = _rounds[f.taskId][f.round].closed || block.timestamp > _rounds[f.taskId][f.round].deadline;

        vm.prank(relayer);
        try fed.finalizeRound(f.taskId, f.round, f.result, f.r, f.vs) {
            calls_finalizeOk++;
            if (!f.signerAccepted || f.relayTampered) ghost_finalizedWithoutAcceptedSignature++;
            if (!f.consistent) ghost_finalizedInvalidResult++;
            if (f.fakeInputs) ghost_finalizedFakeInputs++;
            if (!f.closed) ghost_finalizedOpenRound++;
            if (!isCurrent) {
                ghost_finalizedOutsideCurrentRound++;
                return;
            }
            _applyFinalization(f);
        } catch {
            if (isCurrent && f.signerAccepted && !f.relayTampered && f.consistent && !f.fakeInputs && f.closed) {
                ghost_validCallReverted++;
            }
        }
    }

    /// @notice A client (3 in 4: one that can still claim) claims its share of a finalized round. 3 in 4 it
    ///         relays its own leaf honestly (a client the round did not accept then borrows another client's
    ///         leaf); otherwise it inflates its weight or shifts its range. 1 in 16 the claim targets a round
    ///         that is not finalized.
    function claim(uint256 entrySeed, uint256 clientSeed, uint256 cheatSeed) external syncClock {
        calls_claim++;
        uint256 pick = _mix(entrySeed);
        uint256 cmix = _mix(clientSeed);
        uint256 client = cmix % N_CLIENTS;
        if (_finalized.length == 0 || pick % 16 == 15) {
            _claimUnfinalized(_pickTask(entrySeed), client);
            return;
        }
        uint256 key = _finalized[(pick >> 4) % _finalized.length];
        if ((cmix >> 8) % 4 != 3) client = _unclaimedClient(key >> 16, uint16(key), client);
        _claimFinalized(key >> 16, uint16(key), client, _mix(cheatSeed) % 8);
    }

    /// @param callerSeed 3 in 4: the task's creator; otherwise some creator (maybe the same one).
    function cancelTask(uint256 taskSeed, uint256 callerSeed) external syncClock {
        uint256 taskId = _pickTask(taskSeed);
        GhostTask storage t = _tasks[taskId];
        uint256 pick = _mix(callerSeed);
        address caller = pick % 4 != 3 && t.creator != address(0) ? t.creator : creatorOf(pick >> 2);

        bool exists = taskId <= ghost_taskCount;
        bool isCreator = caller == t.creator;
        bool active = t.status == ACTIVE;
        GhostRound storage cr = _rounds[taskId][t.current];
        bool expired = block.timestamp > cr.deadline;
        // A round that met its quorum has failed only once its finalize window (one more duration) has passed.
        bool failed = cr.updateCount < t.quorum || block.timestamp > uint256(cr.deadline) + t.duration;
        uint256 expectedRefund = t.rewardPool - uint256(t.current == 0 ? 0 : t.current - 1) * _base(t);

        uint256 before = caller.balance;
        vm.prank(caller);
        try fed.cancelTask(taskId) {
            calls_cancelOk++;
            if (!isCreator) ghost_cancelledByNonCreator++;
            if (!active) ghost_cancelledInactive++;
            if (!expired) ghost_cancelledBeforeDeadline++;
            if (!failed) ghost_cancelledAfterQuorum++;
            uint256 received = caller.balance - before;
            ghost_paid += received;
            if (!exists) return;
            if (received != expectedRefund) ghost_wrongRefund++;
            t.status = CANCELLED;
            _rounds[taskId][t.current].closed = true;
            t.refunds++;
            t.refunded += received;
            t.paidOut += received;
        } catch {
            if (exists && isCreator && active && expired && failed) ghost_validCallReverted++;
        }
    }

    /// @dev Time travel (forward only). 7 in 8: 0 .. 3 hours. Otherwise to the current round deadline of an
    ///      active task, exactly (last second to record) or one second past it (first second to cancel),
    ///      unless that is in the past.
    function warp(uint256 secondsSeed, uint256 modeSeed) external {
        uint256 mode = _mix(modeSeed);
        if (mode % 8 != 7 || ghost_taskCount == 0) {
            ghost_now += _bound(secondsSeed, 0, 3 hours);
        } else {
            uint256 taskId = _pickTask(secondsSeed);
            GhostTask storage t = _tasks[taskId];
            uint256 target = uint256(_rounds[taskId][t.current].deadline) + ((mode >> 3) % 2);
            if (t.status == ACTIVE && target > ghost_now) ghost_now = target;
        }
        vm.warp(ghost_now);
    }

    /// @dev Owner changes to the registry: revoke / accept M2, move enclave2 to M1 or M2, remove it.
    function changeRegistry(uint256 actionSeed) external syncClock {
        uint256 action = _mix(actionSeed) % 5;
        vm.startPrank(owner);
        if (action == 0) {
            registry.revokeMeasurement(M2);
            ghost_m2Accepted = false;
        } else if (action == 1) {
            registry.acceptMeasurement(M2);
            ghost_m2Accepted = true;
        } else if (action == 2) {
            _registerAttested(registry, enclave2, M1);
            ghost_enclave2Measurement = M1;
        } else if (action == 3 && ghost_m2Accepted) {
            // A report for a measurement the owner does not accept cannot register (unit-tested).
            _registerAttested(registry, enclave2, M2);
            ghost_enclave2Measurement = M2;
        } else if (action == 4) {
            registry.removeEnclave(enclave2);
            ghost_enclave2Measurement = bytes32(0);
        }
        vm.stopPrank();
    }

    // =============================================================================================
    // Views for the invariants
    // =============================================================================================

    function ghostTask(uint256 taskId) external view returns (GhostTask memory) {
        return _tasks[taskId];
    }

    function ghostRound(uint256 taskId, uint16 round) external view returns (GhostRound memory) {
        return _rounds[taskId][round];
    }

    function ghostUpdate(uint256 taskId, uint16 round, uint256 client) external view returns (GhostUpdate memory) {
        return _updates[taskId][round][client];
    }

    function ghostLeaves(uint256 taskId, uint16 round) external view returns (bytes32[] memory) {
        return _leaves[taskId][round];
    }

    function resultKey(uint256 taskId, uint16 round, bytes32 commitment, uint64 acceptedWeight, uint32 acceptedCount)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, round, commitment, acceptedWeight, acceptedCount));
    }

    function modelKey(uint256 taskId, uint16 round, bytes32 globalRoot, bytes32 globalHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, round, globalRoot, globalHash));
    }

    function clientOf(uint256 i) public pure returns (address) {
        return vm.addr(0xC11E00 + (i % N_CLIENTS));
    }

    function creatorOf(uint256 seed) public pure returns (address) {
        return vm.addr(0xC4EA70 + (seed % N_CREATORS));
    }

    /// @notice floor(pool * (cum + weight) / W) - floor(pool * cum / W), computed independently.
    function expectedShare(uint256 pool, uint256 weight, uint256 cum, uint256 acceptedWeight)
        public
        pure
        returns (uint256)
    {
        return (pool * (cum + weight)) / acceptedWeight - (pool * cum) / acceptedWeight;
    }

    /// @notice Sorted-pair Merkle proof of leaf `index` (odd last node promoted), as the contract verifies.
    function merkleProof(bytes32[] memory leaves, uint256 index) public pure returns (bytes32[] memory proof) {
        return _merkleProof(leaves, index);
    }

    function leafOf(address client, bytes32 updateHash, uint64 weight, uint64 cum) public pure returns (bytes32) {
        return _leaf(client, updateHash, weight, cum);
    }

    // =============================================================================================
    // Internals
    // =============================================================================================

    function _record(uint256 taskId, uint16 round, uint256 client, uint64 numExamples) internal {
        GhostTask storage t = _tasks[taskId];
        GhostRound storage gr = _rounds[taskId][round];
        GhostUpdate storage u = _updates[taskId][round][client];
        bool isCurrent = taskId <= ghost_taskCount && t.status == ACTIVE && round == t.current;
        bool inTime = block.timestamp <= gr.deadline;
        bool fresh = u.numExamples == 0;
        bool open = !gr.closed;
        bytes32 updateHash = keccak256(abi.encode("update", taskId, round, client, numExamples));

        vm.prank(clientOf(client));
        try fed.recordUpdate(taskId, round, keccak256(abi.encode("root", updateHash)), updateHash, numExamples) {
            calls_recordOk++;
            if (!isCurrent) ghost_recordedOutsideCurrentRound++;
            if (!inTime) ghost_recordedAfterDeadline++;
            if (!fresh) ghost_recordedTwice++;
            if (!open) ghost_recordedAfterClose++;
            if (!isCurrent || !fresh) return;
            u.numExamples = numExamples;
            u.updateHash = updateHash;
            gr.updateCount++;
            gr.accumulator = keccak256(
                abi.encode(gr.accumulator, clientOf(client), keccak256(abi.encode("root", updateHash)), updateHash, numExamples)
            );
            if (gr.updateCount == t.maxClients) gr.closed = true;
        } catch {
            if (isCurrent && inTime && fresh && open) ghost_validCallReverted++;
        }
    }

    function _prepareFinalization(uint256 taskId, uint256 acceptSeed, uint256 signerSeed, uint256 tamperSeed)
        internal
        returns (Finalization memory f)
    {
        GhostTask storage t = _tasks[taskId];
        f.taskId = taskId;
        f.round = t.current == 0 ? 1 : t.current;
        _buildResult(f, _mix(acceptSeed));

        uint256 tamper = _mix(tamperSeed) % 8;
        if (tamper == 5) {
            // A malicious host feeds the enclave a fake previous model or a fake/extra update set: the enclave
            // signs what it was given, and the signature is genuine.
            if ((tamperSeed >> 4) % 3 == 0) f.result.previousGlobalHash = keccak256(abi.encode("fake", t.globalHash));
            else if ((tamperSeed >> 4) % 3 == 1) f.result.updatesAccumulator = keccak256(abi.encode("fake", tamperSeed));
            else f.result.updateCount += 1;
            f.fakeInputs = true;
        }
        if (tamper == 6) {
            // The enclave itself signs counts that do not add up to the recorded updates.
            if ((tamperSeed & 1) == 0) f.result.rejectedCount += 1;
            else if (f.result.rejectedCount > 0) f.result.rejectedCount -= 1;
            else f.result.acceptedCount += 1;
            f.consistent = false;
        }

        (uint256 pk, address signer) = _mix(signerSeed) % 4 == 0 ? _signer(signerSeed >> 2) : (_pkOf(t.enclave), t.enclave);
        f.signerAccepted = signer == t.enclave && _acceptedFor(signer, t.measurement);
        (f.r, f.vs) = _signDigest(pk, _digest(taskId, f.round, f.result));
        if (f.signerAccepted) {
            ghost_signedByAcceptedEnclave[resultKey(
                taskId, f.round, f.result.commitment, f.result.acceptedWeight, f.result.acceptedCount
            )] = true;
            ghost_signedModelByAcceptedEnclave[modelKey(taskId, f.round, f.result.globalRoot, f.result.globalHash)] =
                true;
        }

        if (tamper == 7) {
            // The relayer alters the signed result.
            uint256 what = (tamperSeed >> 1) % 3;
            if (what == 0) f.result.acceptedWeight += 1;
            else if (what == 1) f.result.commitment = keccak256(abi.encode("forged", f.result.commitment));
            else f.result.globalRoot = keccak256(abi.encode("forged", f.result.globalRoot));
            f.relayTampered = true;
        }
    }

    /// @dev Accepted clients (in client order) with weight = num_examples; leaves and commitment built here.
    function _buildResult(Finalization memory f, uint256 acceptBits) internal view {
        GhostTask storage t = _tasks[f.taskId];
        uint256 recorded;
        uint256 accepted;
        uint64 cum;
        bytes32[] memory leaves = new bytes32[](N_CLIENTS);
        for (uint256 i; i < N_CLIENTS; i++) {
            GhostUpdate storage u = _updates[f.taskId][f.round][i];
            if (u.numExamples == 0) continue;
            recorded++;
            if ((acceptBits >> (3 * i)) % 8 == 0) continue; // rejected (1 in 8)
            leaves[accepted++] = leafOf(clientOf(i), u.updateHash, u.numExamples, cum);
            f.acceptedMask |= 1 << i;
            f.cums[i] = cum;
            cum += u.numExamples;
        }
        assembly ("memory-safe") {
            mstore(leaves, accepted)
        }
        f.leaves = leaves;
        GhostRound storage gr = _rounds[f.taskId][f.round];
        f.result = FLAIFederated.RoundResult({
            previousGlobalHash: t.globalHash,
            updatesAccumulator: gr.accumulator,
            updateCount: uint32(recorded),
            globalRoot: keccak256(abi.encode("global-root", f.taskId, f.round, acceptBits)),
            globalHash: keccak256(abi.encode("global-hash", f.taskId, f.round, acceptBits)),
            commitment: _merkleRoot(leaves),
            acceptedWeight: cum,
            acceptedCount: uint32(accepted),
            rejectedCount: uint32(recorded - accepted),
            reportRoot: keccak256(abi.encode("report", f.taskId, f.round)),
            metrics: keccak256(abi.encode("metrics", f.taskId, f.round))
        });
        f.consistent = accepted >= t.quorum && cum > 0;
    }

    function _applyFinalization(Finalization memory f) internal {
        GhostTask storage t = _tasks[f.taskId];
        GhostRound storage gr = _rounds[f.taskId][f.round];
        gr.finalized = true;
        gr.acceptedWeight = f.result.acceptedWeight;
        gr.acceptedCount = f.result.acceptedCount;
        gr.commitment = f.result.commitment;
        gr.pool = _roundPool(t, f.round);
        uint256 leafIndex;
        for (uint256 i; i < N_CLIENTS; i++) {
            if (f.acceptedMask & (1 << i) == 0) continue;
            GhostUpdate storage u = _updates[f.taskId][f.round][i];
            u.accepted = true;
            u.weight = u.numExamples;
            u.cum = f.cums[i];
            u.leafIndex = leafIndex++;
        }
        _leaves[f.taskId][f.round] = f.leaves;
        _finalized.push((f.taskId << 16) | f.round);
        t.globalRoot = f.result.globalRoot;
        t.globalHash = f.result.globalHash;
        if (f.round == t.rounds) {
            t.status = FINISHED;
        } else {
            t.current = f.round + 1;
            _openRound(f.taskId, f.round + 1);
        }
    }

    /// @dev One claim, as prepared by {_claimFinalized}.
    struct Claim {
        uint256 taskId;
        uint16 round;
        address who;
        bytes32 updateHash;
        uint64 weight;
        uint64 cum;
        bytes32[] proof;
        bool honest; // the client's own leaf, unaltered
        bool expectOk; // honest and not claimed yet
        uint256 expected; // the client's share
    }

    function _claimFinalized(uint256 taskId, uint16 round, uint256 client, uint256 cheat) internal {
        Claim memory c = _prepareClaim(taskId, round, client, cheat);
        GhostRound storage gr = _rounds[taskId][round];
        GhostUpdate storage u = _updates[taskId][round][client];

        uint256 before = c.who.balance;
        vm.prank(c.who);
        try fed.claim(taskId, round, c.updateHash, c.weight, c.cum, c.proof) {
            calls_claimOk++;
            if (!c.honest) ghost_claimedWithoutValidLeaf++;
            if (u.claims != 0) ghost_claimedTwice++;
            uint256 received = c.who.balance - before;
            if (received != (c.expectOk ? c.expected : 0)) ghost_wrongClaimAmount++;
            u.claims++;
            u.received += received;
            gr.claims++;
            gr.claimed += received;
            _tasks[taskId].paidOut += received;
            ghost_paid += received;
        } catch {
            if (c.expectOk) ghost_validCallReverted++;
        }
    }

    /// @dev The leaf relayed: the client's own, or (client not accepted) the first accepted client's; cheat
    ///      6 inflates the weight, 7 shifts the range.
    function _prepareClaim(uint256 taskId, uint16 round, uint256 client, uint256 cheat)
        internal
        view
        returns (Claim memory c)
    {
        GhostUpdate storage u = _updates[taskId][round][client];
        uint256 leafOwner = client;
        if (!u.accepted) {
            for (uint256 j; j < N_CLIENTS; j++) {
                if (_updates[taskId][round][j].accepted) {
                    leafOwner = j;
                    break;
                }
            }
        }
        GhostUpdate storage o = _updates[taskId][round][leafOwner];
        c.taskId = taskId;
        c.round = round;
        c.who = clientOf(client);
        c.updateHash = o.updateHash;
        c.weight = o.weight + (cheat == 6 ? 1 : 0);
        c.cum = o.cum + (cheat == 7 ? 1 : 0);
        c.proof = merkleProof(_leaves[taskId][round], o.leafIndex);
        c.honest = u.accepted && cheat < 6;
        c.expectOk = c.honest && u.claims == 0;
        GhostRound storage gr = _rounds[taskId][round];
        if (c.honest) c.expected = expectedShare(gr.pool, c.weight, c.cum, gr.acceptedWeight);
    }

    /// @dev The first accepted client that has not claimed yet, from `start` on (`start` if there is none).
    function _unclaimedClient(uint256 taskId, uint16 round, uint256 start) internal view returns (uint256) {
        for (uint256 k; k < N_CLIENTS; k++) {
            uint256 i = (start + k) % N_CLIENTS;
            GhostUpdate storage u = _updates[taskId][round][i];
            if (u.accepted && u.claims == 0) return i;
        }
        return start;
    }

    /// @dev A claim on a round that is not finalized (the current round of a task) must revert.
    function _claimUnfinalized(uint256 taskId, uint256 client) internal {
        uint16 round = _tasks[taskId].current == 0 ? 1 : _tasks[taskId].current;
        if (_rounds[taskId][round].finalized) return; // a finished task's last round
        GhostUpdate storage u = _updates[taskId][round][client];
        address who = clientOf(client);
        bytes32[] memory proof = new bytes32[](0);
        uint256 before = who.balance;
        vm.prank(who);
        try fed.claim(taskId, round, u.updateHash, u.numExamples, 0, proof) {
            ghost_claimedUnfinalized++;
            ghost_paid += who.balance - before;
        } catch {}
    }

    function _openRound(uint256 taskId, uint16 round) internal {
        _rounds[taskId][round].deadline = uint64(block.timestamp) + _tasks[taskId].duration;
        _rounds[taskId][round].accumulator = keccak256(abi.encode(taskId, round));
    }

    function _pkOf(address signer) internal view returns (uint256) {
        return signer == enclave2 ? ENCLAVE2_PK : ENCLAVE_PK;
    }

    /// @dev Independent EIP-712 digest of RoundClose(taskId, round).
    function _closeDigest(uint256 taskId, uint16 round) internal view returns (bytes32) {
        bytes32 domain = _eip712DomainSeparator("FLAIFederated", "1", block.chainid, address(fed));
        bytes32 structHash = keccak256(abi.encode(keccak256("RoundClose(uint256 taskId,uint16 round)"), taskId, uint256(round)));
        return _eip712Digest(domain, structHash);
    }

    function _base(GhostTask storage t) internal view returns (uint256) {
        return t.rounds == 0 ? 0 : t.rewardPool / t.rounds;
    }

    /// @dev rewardPool / rounds, the last round gets the remainder (computed independently).
    function _roundPool(GhostTask storage t, uint16 round) internal view returns (uint256) {
        uint256 base = _base(t);
        return round == t.rounds ? t.rewardPool - base * (t.rounds - 1) : base;
    }

    /// @dev 1 in 16 the next, unknown, id; 1 in 16 any task; otherwise one of the two latest active tasks
    ///      (the latest task if none is active).
    function _pickTask(uint256 seed) internal view returns (uint256) {
        uint256 n = ghost_taskCount;
        seed = _mix(seed);
        if (n == 0 || seed % 16 == 15) return n + 1;
        if (seed % 16 == 14) return 1 + (seed >> 8) % n;
        uint256 skip = (seed >> 8) % 2;
        uint256 found = n;
        for (uint256 id = n; id >= 1; id--) {
            if (_tasks[id].status != ACTIVE) continue;
            found = id;
            if (skip == 0) break;
            skip--;
        }
        return found;
    }

    /// @dev 3 in 4 the latest active task whose current round has a quorum of updates (if any), else {_pickTask}.
    function _pickTaskToFinalize(uint256 seed) internal view returns (uint256) {
        if (_mix(seed ^ 1) % 4 != 3) {
            for (uint256 id = ghost_taskCount; id >= 1; id--) {
                GhostTask storage t = _tasks[id];
                if (t.status == ACTIVE && _rounds[id][t.current].updateCount >= t.quorum) return id;
            }
        }
        return _pickTask(seed);
    }

    function _activeTasks() internal view returns (uint256 count) {
        for (uint256 id = ghost_taskCount; id >= 1; id--) {
            if (_tasks[id].status == ACTIVE) count++;
        }
    }

    /// @dev 5/8 the M1 enclave, 2/8 enclave2 (wherever the registry has it), 1/8 a stranger.
    function _signer(uint256 seed) internal view returns (uint256 pk, address signer) {
        uint256 which = _mix(seed) % 8;
        if (which < 5) return (ENCLAVE_PK, enclave);
        if (which < 7) return (ENCLAVE2_PK, enclave2);
        return (STRANGER_PK, vm.addr(STRANGER_PK));
    }

    /// @dev The model's registry: enclave -> M1 always; enclave2 -> wherever it was moved; M1 always accepted.
    function _acceptedFor(address signer, bytes32 measurement) internal view returns (bool) {
        bytes32 registered;
        if (signer == enclave) registered = M1;
        else if (signer == enclave2) registered = ghost_enclave2Measurement;
        if (registered == bytes32(0) || registered != measurement) return false;
        return measurement == M1 || ghost_m2Accepted;
    }

    /// @dev Independent EIP-712 digest of RoundResult(taskId, round, ...) (abi.encode based).
    function _digest(uint256 taskId, uint16 round, FLAIFederated.RoundResult memory res)
        internal
        view
        returns (bytes32)
    {
        bytes32 domain = _eip712DomainSeparator("FLAIFederated", "1", block.chainid, address(fed));
        return _roundResultDigest(domain, taskId, round, res);
    }
}

/// @dev The invariant suite.
contract FederatedInvariantsTest is InvariantBase {
    FLAIComputeJobs internal registry;
    FLAIFederated internal fed;
    FederatedHandler internal handler;

    function setUp() public {
        vm.warp(FED_INV_START);
        address owner = vm.addr(0x0A11CE);
        registry = new FLAIComputeJobs(owner, _attestationAuthority());
        fed = new FLAIFederated(address(registry));
        handler = new FederatedHandler(registry, fed, owner);
        _registerEnclaves(registry, EnclaveFixture(address(handler)), owner);
    }

    function _subject() internal pure override returns (string memory) {
        return "task";
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = FederatedHandler.createTask.selector;
        selectors[1] = FederatedHandler.recordUpdates.selector;
        selectors[2] = FederatedHandler.finalizeRound.selector;
        selectors[3] = FederatedHandler.claim.selector;
        selectors[4] = FederatedHandler.cancelTask.selector;
        selectors[5] = FederatedHandler.warp.selector;
        selectors[6] = FederatedHandler.changeRegistry.selector;
        selectors[7] = FederatedHandler.closeRound.selector;
        return _onlyTarget(selectors);
    }

    // --- invariants --------------------------------------------------------------------------------

    /// @notice The contract holds exactly Σ over tasks (rewardPool − paidOut), and every wei that came in
    ///         is either still held or was received by a client / creator.
    function invariant_balanceEqualsUnpaidPools() public view {
        uint256 n = fed.taskCount();
        _eq(n, handler.ghost_taskCount(), "taskCount", 0);
        _eq(handler.ghost_wrongTaskId(), 0, "unexpected task id", 0);
        uint256 held;
        for (uint256 id = 1; id <= n; id++) {
            FLAIFederated.Task memory t = fed.getTask(id);
            FederatedHandler.GhostTask memory g = handler.ghostTask(id);
            _le(t.paidOut, t.rewardPool, "paidOut > rewardPool", id);
            _eq(t.rewardPool, g.rewardPool, "rewardPool differs from the deposit", id);
            _eq(t.paidOut, g.paidOut, "paidOut != wei received for the task", id);
            held += t.rewardPool - t.paidOut;
        }
        uint256 balance = address(fed).balance;
        _eq(balance, held, "balance != sum of (rewardPool - paidOut)", 0);
        _eq(handler.ghost_deposited(), balance + handler.ghost_paid(), "deposited != held + paid", 0);
    }

    /// @notice Each (task, round, client) reward is paid at most once and is exactly the client's share;
    ///         a task is refunded at most once, exactly the pools of its unfinalized rounds.
    function invariant_eachRewardPaidAtMostOnce() public view {
        uint256 n = handler.ghost_taskCount();
        for (uint256 id = 1; id <= n; id++) {
            FederatedHandler.GhostTask memory t = handler.ghostTask(id);
            _le(t.refunds, 1, "task refunded more than once", id);
            for (uint16 r = 1; r <= t.rounds; r++) {
                FederatedHandler.GhostRound memory gr = handler.ghostRound(id, r);
                for (uint256 c; c < handler.N_CLIENTS(); c++) {
                    FederatedHandler.GhostUpdate memory u = handler.ghostUpdate(id, r, c);
                    (, bool claimed) = fed.getUpdate(id, r, handler.clientOf(c));
                    _le(u.claims, 1, "client claimed a round more than once", id);
                    _true(claimed == (u.claims == 1), "claimed flag differs from the claims seen", id);
                    uint256 expected = u.claims == 1
                        ? handler.expectedShare(gr.pool, u.weight, u.cum, gr.acceptedWeight)
                        : 0;
                    _eq(u.received, expected, "client received != its share", id);
                }
            }
        }
        _eq(handler.ghost_claimedTwice(), 0, "second claim succeeded", 0);
        _eq(handler.ghost_wrongClaimAmount(), 0, "claim paid a wrong amount", 0);
        _eq(handler.ghost_wrongRefund(), 0, "refund paid a wrong amount", 0);
        _eq(handler.ghost_cancelledInactive(), 0, "cancelled a task that was not active", 0);
    }

    /// @notice What clients claim from a round never exceeds the round's pool (and equals it once every
    ///         accepted client has claimed); claims + refund make up paidOut; a cancelled task's refund plus
    ///         its finalized rounds' pools is exactly its reward pool.
    function invariant_claimsNeverExceedRoundPools() public view {
        uint256 n = handler.ghost_taskCount();
        for (uint256 id = 1; id <= n; id++) {
            FederatedHandler.GhostTask memory t = handler.ghostTask(id);
            uint256 claimedTotal;
            uint256 finalizedPools;
            for (uint16 r = 1; r <= t.rounds; r++) {
                FederatedHandler.GhostRound memory gr = handler.ghostRound(id, r);
                if (!gr.finalized) {
                    _eq(gr.claimed, 0, "claims paid from an unfinalized round", id);
                    continue;
                }
                uint256 pool = fed.roundPool(id, r);
                _eq(pool, gr.pool, "roundPool differs from the model", id);
                _le(gr.claimed, pool, "claims exceed the round pool", id);
                if (gr.claims == gr.acceptedCount) _eq(gr.claimed, pool, "all claimed but pool not exhausted", id);
                claimedTotal += gr.claimed;
                finalizedPools += pool;
            }
            _eq(claimedTotal + t.refunded, fed.getTask(id).paidOut, "paidOut != claims + refund", id);
            if (t.status == 3) _eq(t.refunded + finalizedPools, t.rewardPool, "refund + finalized pools != pool", id);
        }
        _eq(handler.ghost_claimedUnfinalized(), 0, "claim on an unfinalized round succeeded", 0);
    }

    /// @notice Nothing changes without the required signature: every finalized round carries a result
    ///         (commitment, accepted weight and count) that an enclave accepted for the task's measurement
    ///         signed; the task's global model is the last such result's; unfinalized rounds carry nothing;
    ///         no tampered, foreign or inconsistent result went through and no claim without a valid leaf.
    function invariant_finalizationRequiresAcceptedEnclaveSignature() public view {
        uint256 n = handler.ghost_taskCount();
        for (uint256 id = 1; id <= n; id++) {
            FLAIFederated.Task memory t = fed.getTask(id);
            FederatedHandler.GhostTask memory g = handler.ghostTask(id);
            _eq(t.globalRoot, g.globalRoot, "globalRoot differs from the last relayed result", id);
            _eq(t.globalHash, g.globalHash, "globalHash differs from the last relayed result", id);
            uint16 last = g.status == 2 ? g.rounds : g.current - 1; // last finalized round, 0 = none
            if (last != 0) {
                _true(
                    handler.ghost_signedModelByAcceptedEnclave(handler.modelKey(id, last, t.globalRoot, t.globalHash)),
                    "global model no accepted enclave signed",
                    id
                );
            }
            for (uint16 r = 1; r <= g.rounds; r++) {
                FLAIFederated.Round memory info = fed.getRound(id, r);
                if (!info.finalized) {
                    _eq(info.commitment, bytes32(0), "commitment on an unfinalized round", id);
                    continue;
                }
                _true(
                    handler.ghost_signedByAcceptedEnclave(
                        handler.resultKey(id, r, info.commitment, info.acceptedWeight, info.acceptedCount)
                    ),
                    "finalized with a result no accepted enclave signed",
                    id
                );
                _eq(info.commitment, handler.ghostRound(id, r).commitment, "commitment differs from the relayed", id);
            }
        }
        _eq(handler.ghost_finalizedWithoutAcceptedSignature(), 0, "finalization without an accepted signature", 0);
        _eq(handler.ghost_finalizedInvalidResult(), 0, "inconsistent result accepted", 0);
        _eq(handler.ghost_finalizedOutsideCurrentRound(), 0, "finalized a round that is not current", 0);
        _eq(handler.ghost_claimedWithoutValidLeaf(), 0, "claim without a valid leaf succeeded", 0);
    }

    /// @notice Deadlines and rounds: updates only in the current round of an active task, up to and including
    ///         its deadline, once per client; cancellation only by the creator, strictly after the deadline.
    ///         Round deadlines, update counts, task status and current round match the model.
    function invariant_deadlinesRespected() public view {
        uint256 n = handler.ghost_taskCount();
        for (uint256 id = 1; id <= n; id++) {
            FLAIFederated.Task memory t = fed.getTask(id);
            FederatedHandler.GhostTask memory g = handler.ghostTask(id);
            _eq(uint256(t.status), g.status, "status differs from the model", id);
            _eq(t.currentRound, g.current, "currentRound differs from the model", id);
            for (uint16 r = 1; r <= g.rounds; r++) {
                FLAIFederated.Round memory info = fed.getRound(id, r);
                FederatedHandler.GhostRound memory gr = handler.ghostRound(id, r);
                _eq(info.deadline, gr.deadline, "round deadline differs from the model", id);
                _eq(info.updateCount, gr.updateCount, "updateCount differs from the model", id);
                if (r == g.current && g.status == 1) {
                    _eq(info.updatesAccumulator, gr.accumulator, "accumulator differs from the model's", id);
                }
            }
        }
        _eq(handler.ghost_recordedAfterClose(), 0, "update recorded after the round closed", 0);
        _eq(handler.ghost_closedWithoutQuorumOrEnclave(), 0, "round closed without quorum or the task's enclave", 0);
        _eq(handler.ghost_finalizedOpenRound(), 0, "finalized a round that was still open", 0);
        _eq(handler.ghost_finalizedFakeInputs(), 0, "finalized a result over a fake model or update set", 0);
        _eq(handler.ghost_cancelledAfterQuorum(), 0, "cancelled a round that met its quorum in its finalize window", 0);
        _eq(handler.ghost_recordedAfterDeadline(), 0, "update recorded after the deadline", 0);
        _eq(handler.ghost_recordedOutsideCurrentRound(), 0, "update recorded outside the current round", 0);
        _eq(handler.ghost_recordedTwice(), 0, "update recorded twice", 0);
        _eq(handler.ghost_cancelledBeforeDeadline(), 0, "cancellation before the deadline succeeded", 0);
        _eq(handler.ghost_cancelledByNonCreator(), 0, "cancellation by a non-creator succeeded", 0);
    }

    /// @notice Liveness: every call the model says is valid goes through.
    function invariant_validCallsSucceed() public view {
        _eq(handler.ghost_validCallReverted(), 0, "a valid call reverted", 0);
    }

    /// @notice End of every sequence: creators cancel every active task once its round deadline passes and
    ///         every accepted client claims every finalized round, which drains the contract to exactly 0.
    function afterInvariant() public {
        uint256 n = handler.ghost_taskCount();
        uint256 latest = handler.ghost_now();
        for (uint256 id = 1; id <= n; id++) {
            FederatedHandler.GhostTask memory g = handler.ghostTask(id);
            // past the finalize window too: a round that met its quorum is cancellable only then
            uint256 deadline = uint256(handler.ghostRound(id, g.current).deadline) + g.duration;
            if (g.status == 1 && deadline + 1 > latest) latest = deadline + 1;
        }
        vm.warp(latest);
        for (uint256 id = 1; id <= n; id++) {
            FederatedHandler.GhostTask memory g = handler.ghostTask(id);
            if (g.status == 1) {
                vm.prank(g.creator);
                fed.cancelTask(id);
            }
            for (uint16 r = 1; r <= g.rounds; r++) {
                _claimAll(id, r);
            }
        }
        _eq(address(fed).balance, 0, "wei left in the contract after settling every task", 0);
    }

    function _claimAll(uint256 id, uint16 r) internal {
        FederatedHandler.GhostRound memory gr = handler.ghostRound(id, r);
        if (!gr.finalized) return;
        bytes32[] memory leaves = handler.ghostLeaves(id, r);
        for (uint256 c; c < handler.N_CLIENTS(); c++) {
            FederatedHandler.GhostUpdate memory u = handler.ghostUpdate(id, r, c);
            if (!u.accepted || u.claims != 0) continue;
            address client = handler.clientOf(c);
            bytes32[] memory proof = handler.merkleProof(leaves, u.leafIndex); // (external calls before the prank)
            vm.prank(client);
            fed.claim(id, r, u.updateHash, u.weight, u.cum, proof);
        }
    }
}
