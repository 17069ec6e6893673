// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EnclaveSigned} from "./EnclaveSigned.sol";

/// @notice The part of FLAIComputeJobs' enclave registry that FLAIFederated reads.
interface IFLAIEnclaveRegistry {
    function enclaveMeasurement(address signer) external view returns (bytes32);
    function isMeasurementAccepted(bytes32 measurement) external view returns (bool);
    function isAcceptedEnclave(address signer) external view returns (bool);
    function enclaveEncryptionKey(address signer) external view returns (bytes32);
}

/// @title FLAIFederated
/// @notice Federated-learning tasks in rounds, with FedAvg aggregation attested by an enclave.
///         A creator escrows a reward pool for `rounds` rounds and names the task's enclave: a signer registered
///         (in the FLAIComputeJobs registry) for the task's measurement. Clients encrypt their updates to that
///         enclave's X25519 key as the registry states it, and record them; the contract keeps one word per
///         client and chains every recorded update into the round's accumulator.
///
///         Round lifecycle (what users see):
///         - open:      from its opening until it closes; each client records at most one update.
///         - closed:    the update set is frozen, by the first of
///                        (a) the deadline passing (implicit: updates after it revert `RoundDeadlinePassed`),
///                        (b) the task's `maxClients`-th update (automatic),
///                        (c) {closeRound}, signed by the task's enclave, once the quorum is recorded.
///                      After (b) or (c) updates revert `UpdatesClosed`.
///         - finalized: {finalizeRound} with the task's enclave's signed `RoundResult`, which binds the previous
///                      global model hash and the frozen update set (accumulator and count); it is accepted only
///                      for a closed round, and nothing can change a closed round's set, so a finalize signed
///                      over it cannot be invalidated. It sets the new global model and opens the next round.
///         - failed:    the deadline passed with fewer than `quorum` updates, or the quorum arrived but no finalize
///                      landed by `finalizeBy = deadline + roundDuration`. Only then may the creator cancel the task
///                      (refund of every unfinalized round's pool).
///         The result commits (Merkle root) to every accepted client's weight and cumulative weight; each client
///         then pulls its share of the round pool with a proof. A weight is not the recorded `numExamples`: it is
///         the weight the enclave gives the update, num_examples capped at the task's maxClientShare (the
///         "num-examples" reward rule), or 1 each (the "equal" rule); `acceptedWeight` is the sum of the
///         accepted updates' weights. The contract pays exactly what that signed
///         commitment says, never more than the round's pool.
/// @dev Storage (all words packed by hand, see the constants):
///        task  slot 0 = creator (160) | rounds (16) | quorum (16) | currentRound (16) | roundDuration (32) | status (8)
///              slot 1 = measurement, slot 2 = globalRoot, slot 3 = globalHash
///              slot 4 = rewardPool (uint128, low) | paidOut (uint128, high)
///              slot 5 = enclave (160) | maxClients (16)
///              slot 6 = updatesAccumulator of the current round (seeded when the round opens, so recordUpdate
///                       only ever rewrites a non-zero word)
///        round slot 0 = deadline (64) | updateCount (32) | maxClients (16) | acceptedCount (32) | acceptedWeight (64)
///                       | finalized (1) | closed (1)
///              slot 1 = commitment (written at finalization)
///        update: ONE word per (task, round, client) = numExamples (64) | claimed (1)
///      Accumulator: acc_0 = keccak256(abi.encode(taskId, round)); each recorded update makes
///      acc = keccak256(abi.encode(acc, client, updateRoot, updateHash, uint64 numExamples)), in record order.
///      A round is open for updates iff its deadline is set, it has not passed, and neither `finalized` nor `closed`
///      (explicit close, maxClients, or the task's cancellation) is set: the update path reads only the round word.
///      Totals cannot overflow: numExamples <= 2^32 - 1 and updateCount <= maxClients <= 2^16 - 1, so any sum of
///      recorded weights is < 2^48 (uint64 weights in the commitment and the round). The reward pool is limited to
///      2^128 - 1 wei, which is more than the total ether supply, so any wei amount is accepted.
///      EIP-712 domain, signature recovery and payouts: see {EnclaveSigned}.
contract FLAIFederated is EnclaveSigned {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    enum TaskStatus {
        None,
        Active,
        Finished,
        Cancelled
    }

    /// @notice ABI view of a task (see {getTask}). `paidOut` counts every wei that left the contract for this
    ///         task (client claims and the cancellation refund), so `rewardPool - paidOut` is still held.
    struct Task {
        address creator;
        uint16 rounds;
        uint16 quorum;
        uint16 maxClients;
        uint16 currentRound;
        uint32 roundDuration;
        TaskStatus status;
        bytes32 measurement;
        address enclave;
        bytes32 globalRoot;
        bytes32 globalHash;
        uint256 rewardPool;
        uint256 paidOut;
    }

    /// @notice ABI view of a round (see {getRound}). `pool` is the round's share of the reward pool. `closed` is
    ///         true once the update set is frozen (closed, full, or past the deadline). `updatesAccumulator` is
    ///         the accumulator of the task's current round (0 for other rounds: a finalized round's is in its
    ///         RoundFinalized event). `finalizeBy` is when a closed, unfinalized round becomes cancellable.
    struct Round {
        uint64 deadline;
        uint64 finalizeBy;
        uint32 updateCount;
        uint16 maxClients;
        bool closed;
        bytes32 updatesAccumulator;
        uint32 acceptedCount;
        uint64 acceptedWeight;
        bool finalized;
        bytes32 commitment;
        uint256 pool;
    }

    /// @notice What the enclave signs for a round (EIP-712 type `RoundResult`, with taskId and round first).
    ///         `previousGlobalHash` is the SHA-256 of the model the enclave started from, `updatesAccumulator`
    ///         and `updateCount` the update set it was handed, recomputed inside the enclave: finalizeRound
    ///         accepts the result only if they are the task's current model and the round's frozen set.
    struct RoundResult {
        bytes32 previousGlobalHash;
        bytes32 updatesAccumulator;
        uint32 updateCount;
        bytes32 globalRoot;
        bytes32 globalHash;
        bytes32 commitment;
        uint64 acceptedWeight;
        uint32 acceptedCount;
        uint32 rejectedCount;
        bytes32 reportRoot;
        bytes32 metrics;
    }

    /// @dev Storage form of a task (see contract docs).
    struct TaskRecord {
        uint256 packed;
        bytes32 measurement;
        bytes32 globalRoot;
        bytes32 globalHash;
        uint256 funds;
        uint256 enclaveWord;
        bytes32 updatesAccumulator;
    }

    /// @dev Storage form of a round (see contract docs).
    struct RoundRecord {
        uint256 packed;
        bytes32 commitment;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    error ZeroAddress();
    error ZeroReward();
    error RewardTooLarge(uint256 value);
    error InvalidTaskParameters();
    error ZeroMeasurement();
    error ZeroRoot();
    error ZeroNumExamples();
    error NumExamplesTooLarge(uint64 numExamples, uint64 max);
    error UnknownTask(uint256 taskId);
    error TaskNotActive(uint256 taskId);
    error WrongRound(uint256 taskId, uint16 round, uint16 currentRound);
    error RoundDeadlinePassed(uint256 taskId, uint16 round, uint64 deadline);
    /// @dev The round's update set is frozen (closed by the enclave once the quorum was met, or full at maxClients).
    error UpdatesClosed(uint256 taskId, uint16 round, uint32 updateCount);
    error AlreadyRecorded(uint256 taskId, uint16 round, address client);
    error RoundAlreadyFinalized(uint256 taskId, uint16 round);
    error RoundNotClosed(uint256 taskId, uint16 round, uint64 deadline);
    error QuorumNotMet(uint256 taskId, uint16 round, uint32 acceptedCount, uint16 quorum);
    /// @dev The result was computed from another model than the task's current one (`globalHash`).
    error PreviousModelMismatch(uint256 taskId, uint16 round, bytes32 globalHash);
    /// @dev The result was computed over another update set than the round's recorded one.
    error UpdateSetMismatch(uint256 taskId, uint16 round, uint32 updateCount, bytes32 updatesAccumulator);
    error InvalidRoundResult();
    error InvalidSignature(); // raised by EnclaveSigned._recover, through _revertInvalidSignature
    error UnacceptedEnclave(address signer);
    error NotTaskEnclave(uint256 taskId, address signer, address enclave);
    error RoundNotFinalized(uint256 taskId, uint16 round);
    error NotRecorded(uint256 taskId, uint16 round, address client);
    error AlreadyClaimed(uint256 taskId, uint16 round, address client);
    error InvalidProof();
    error NotCreator(uint256 taskId, address caller);
    /// @dev A cancelled task admits no more readers (its models stop at the cancelled round anyway).
    error TaskIsCancelled(uint256 taskId);
    error RoundStillOpen(uint256 taskId, uint16 round, uint64 deadline);
    /// @dev The round met its quorum and its enclave still has until `finalizeBy` to finalize it.
    error RoundNotFailed(uint256 taskId, uint16 round, uint32 updateCount, uint64 finalizeBy);
    /// @dev Defence in depth: only reachable if an accepted enclave committed overlapping weight ranges.
    error PoolExceeded(uint256 taskId);
    error PayoutFailed(address payee, uint256 amount); // raised by EnclaveSigned._pay, through _revertPayoutFailed

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    event TaskCreated(
        uint256 indexed taskId,
        address indexed creator,
        address indexed enclave,
        bytes32 initialModelRoot,
        bytes32 initialModelHash,
        uint16 rounds,
        uint16 quorum,
        uint16 maxClients,
        uint32 roundDuration,
        bytes32 measurement,
        uint256 rewardPool
    );
    event RoundOpened(uint256 indexed taskId, uint16 indexed round, uint64 deadline);
    event UpdateRecorded(
        uint256 indexed taskId,
        uint16 indexed round,
        address indexed client,
        bytes32 updateRoot,
        bytes32 updateHash,
        uint64 numExamples
    );
    /// @notice The round's update set is frozen before its deadline: by {closeRound} or at maxClients.
    event RoundClosed(uint256 indexed taskId, uint16 indexed round, uint32 updateCount, bytes32 updatesAccumulator);
    event RoundFinalized(uint256 indexed taskId, uint16 indexed round, address indexed enclave, RoundResult result);
    event TaskFinished(uint256 indexed taskId);
    event RewardClaimed(uint256 indexed taskId, uint16 indexed round, address indexed client, uint256 amount);
    event TaskCancelled(uint256 indexed taskId, uint16 round, uint256 refund);
    /// @notice The creator admitted readers: `keyringRoot` is the 0G root of a `flai-keyring/v1` file wrapping the
    ///         task key (which seals every model of a private task) to each reader's registered key.
    event KeyringPublished(uint256 indexed taskId, bytes32 keyringRoot);

    // ---------------------------------------------------------------------------------------------
    // Constants / immutables
    // ---------------------------------------------------------------------------------------------

    bytes32 private constant _ROUND_RESULT_TYPEHASH = keccak256(
        "RoundResult(uint256 taskId,uint16 round,bytes32 previousGlobalHash,bytes32 updatesAccumulator,uint32 updateCount,bytes32 globalRoot,bytes32 globalHash,bytes32 commitment,uint64 acceptedWeight,uint32 acceptedCount,uint32 rejectedCount,bytes32 reportRoot,bytes32 metrics)"
    );
    bytes32 private constant _ROUND_CLOSE_TYPEHASH = keccak256("RoundClose(uint256 taskId,uint16 round)");

    /// @notice The largest num_examples (the client's training example count, Flower's vocabulary) one update may
    ///         record.
    uint64 public constant MAX_NUM_EXAMPLES = type(uint32).max;

    // task slot 0
    uint256 private constant _ROUNDS_SHIFT = 160;
    uint256 private constant _QUORUM_SHIFT = 176;
    uint256 private constant _CURRENT_SHIFT = 192;
    uint256 private constant _DURATION_SHIFT = 208;
    uint256 private constant _STATUS_SHIFT = 240;
    uint256 private constant _STATUS_MASK = 0xff << _STATUS_SHIFT;

    // task slot 5
    uint256 private constant _TASK_MAX_CLIENTS_SHIFT = 160;

    // round slot 0
    uint256 private constant _COUNT_SHIFT = 64;
    uint256 private constant _MAX_CLIENTS_SHIFT = 96;
    uint256 private constant _ACCEPTED_COUNT_SHIFT = 112;
    uint256 private constant _ACCEPTED_WEIGHT_SHIFT = 144;
    uint256 private constant _FINALIZED = 1 << 208;
    uint256 private constant _CLOSED = 1 << 209;
    uint256 private constant _ONE_UPDATE = 1 << _COUNT_SHIFT;

    // update word
    uint256 private constant _CLAIMED = 1 << 64;

    // funds word
    uint256 private constant _PAID_SHIFT = 128;

    /// @dev Round keys are `taskId << 16 | round`; ids above this bound cannot exist (and would alias).
    uint256 private constant _MAX_TASK_ID = type(uint240).max;

    /// @notice The FLAIComputeJobs contract whose enclave registry attests round results.
    address public immutable registry;

    // ---------------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------------

    uint256 private _taskCount;
    mapping(uint256 taskId => TaskRecord) private _tasks;
    mapping(uint256 roundKey => RoundRecord) private _rounds;
    mapping(uint256 roundKey => mapping(address client => uint256 word)) private _updates;

    // ---------------------------------------------------------------------------------------------
    // Construction
    // ---------------------------------------------------------------------------------------------

    /// @param registry_ the deployed FLAIComputeJobs (enclave registry); it is not duplicated here.
    constructor(address registry_) EnclaveSigned("FLAIFederated", "1") {
        if (registry_ == address(0)) revert ZeroAddress();
        registry = registry_;
    }

    // ---------------------------------------------------------------------------------------------
    // Tasks
    // ---------------------------------------------------------------------------------------------

    /// @notice Create a task with `msg.value` as reward pool (split evenly over the rounds, the last round
    ///         also gets the remainder) and open round 1 until `block.timestamp + roundDuration`.
    /// @param maxClients updates per round at which the round closes by itself (quorum <= maxClients).
    /// @param enclave the only signer whose round results and closes the task accepts; it must be registered
    ///        (and accepted) for `measurement` now, and still be when it signs.
    function createTask(
        bytes32 initialModelRoot,
        bytes32 initialModelHash,
        uint16 rounds,
        uint16 quorum,
        uint16 maxClients,
        uint32 roundDuration,
        bytes32 measurement,
        address enclave
    ) external payable returns (uint256 taskId) {
        uint256 value = msg.value;
        if (value == 0) revert ZeroReward();
        if (value > type(uint128).max) revert RewardTooLarge(value);
        if (rounds == 0 || quorum == 0 || roundDuration == 0 || maxClients < quorum) revert InvalidTaskParameters();
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        if (initialModelRoot == bytes32(0) || initialModelHash == bytes32(0)) revert ZeroRoot();
        _requireAcceptedEnclave(enclave, measurement);

        unchecked {
            taskId = ++_taskCount;
        }
        TaskRecord storage task = _tasks[taskId];
        task.packed = uint256(uint160(msg.sender)) | (uint256(rounds) << _ROUNDS_SHIFT)
            | (uint256(quorum) << _QUORUM_SHIFT) | (uint256(1) << _CURRENT_SHIFT)
            | (uint256(roundDuration) << _DURATION_SHIFT) | (uint256(TaskStatus.Active) << _STATUS_SHIFT);
        task.measurement = measurement;
        task.globalRoot = initialModelRoot;
        task.globalHash = initialModelHash;
        task.funds = value;
        task.enclaveWord = uint256(uint160(enclave)) | (uint256(maxClients) << _TASK_MAX_CLIENTS_SHIFT);
        task.updatesAccumulator = _accumulatorSeed(taskId, 1);

        uint64 deadline = uint64(block.timestamp) + roundDuration;
        _rounds[_roundKey(taskId, 1)].packed = deadline | (uint256(maxClients) << _MAX_CLIENTS_SHIFT);

        _emitTaskCreated(taskId, initialModelRoot, initialModelHash, rounds, quorum, maxClients, roundDuration);
        emit RoundOpened(taskId, 1, deadline);
    }

    /// @notice Record the caller's local update for the current round of a task while the round is open (up to
    ///         and including its deadline, until it is closed). Only `numExamples` is stored; roots and hashes
    ///         are in the event and chained into the round's accumulator. The `maxClients`-th update closes
    ///         the round.
    function recordUpdate(uint256 taskId, uint16 round, bytes32 updateRoot, bytes32 updateHash, uint64 numExamples)
        external
    {
        uint256 key = _roundKey(taskId, round);
        RoundRecord storage rr = _rounds[key];
        uint256 packed = rr.packed;
        uint64 deadline = uint64(packed);
        // Open for updates <=> deadline set and neither finalized nor closed (see contract docs).
        if (deadline == 0 || packed & (_FINALIZED | _CLOSED) != 0) _revertNotOpen(taskId, round, packed);
        if (block.timestamp > deadline) revert RoundDeadlinePassed(taskId, round, deadline);
        mapping(address => uint256) storage updates = _updates[key];
        if (updates[msg.sender] != 0) revert AlreadyRecorded(taskId, round, msg.sender);
        if (updateRoot == bytes32(0) || updateHash == bytes32(0)) revert ZeroRoot();
        if (numExamples == 0) revert ZeroNumExamples();
        if (numExamples > MAX_NUM_EXAMPLES) revert NumExamplesTooLarge(numExamples, MAX_NUM_EXAMPLES);

        updates[msg.sender] = numExamples;
        TaskRecord storage task = _tasks[taskId];
        bytes32 acc = _accumulate(task.updatesAccumulator, msg.sender, updateRoot, updateHash, numExamples);
        task.updatesAccumulator = acc;
        // updateCount (32 bits) never passes maxClients (16 bits): the round closes when they are equal.
        packed += _ONE_UPDATE;
        uint32 count = uint32(packed >> _COUNT_SHIFT);
        bool full = count == uint16(packed >> _MAX_CLIENTS_SHIFT);
        if (full) packed |= _CLOSED;
        rr.packed = packed;

        emit UpdateRecorded(taskId, round, msg.sender, updateRoot, updateHash, numExamples);
        if (full) emit RoundClosed(taskId, round, count, acc);
    }

    /// @notice Freeze the current round's update set before its deadline, once the quorum is recorded. Signed by
    ///         the task's enclave (EIP-712 `RoundClose(uint256 taskId,uint16 round)`), relayed by anyone: the
    ///         aggregator decides when to stop waiting for more clients, and nobody else can cut a round short.
    /// @param r,vs EIP-2098 compact signature over {hashRoundClose}(taskId, round).
    function closeRound(uint256 taskId, uint16 round, bytes32 r, bytes32 vs) external {
        TaskRecord storage task = _tasks[taskId];
        uint256 tp = task.packed;
        _requireCurrentRound(taskId, round, tp);
        RoundRecord storage rr = _rounds[_roundKey(taskId, round)];
        uint256 rp = rr.packed;
        uint32 count = uint32(rp >> _COUNT_SHIFT);
        if (rp & _CLOSED != 0) revert UpdatesClosed(taskId, round, count);
        if (block.timestamp > uint64(rp)) revert RoundDeadlinePassed(taskId, round, uint64(rp));
        uint16 quorum = uint16(tp >> _QUORUM_SHIFT);
        if (count < quorum) revert QuorumNotMet(taskId, round, count, quorum);
        _requireTaskEnclave(taskId, task, _recover(hashRoundClose(taskId, round), r, vs));

        rr.packed = rp | _CLOSED;
        emit RoundClosed(taskId, round, count, task.updatesAccumulator);
    }

    /// @notice Finalize the current, closed round with the task's enclave's signed aggregation result over the
    ///         task's current global model and the round's frozen update set. Opens the next round or finishes
    ///         the task.
    /// @param r,vs EIP-2098 compact signature over {hashRoundResult}(taskId, round, result).
    function finalizeRound(uint256 taskId, uint16 round, RoundResult calldata result, bytes32 r, bytes32 vs)
        external
    {
        TaskRecord storage task = _tasks[taskId];
        uint256 tp = task.packed;
        _requireCurrentRound(taskId, round, tp);
        uint256 key = _roundKey(taskId, round);
        RoundRecord storage rr = _rounds[key];
        uint256 rp = rr.packed;
        if (rp & _CLOSED == 0 && block.timestamp <= uint64(rp)) revert RoundNotClosed(taskId, round, uint64(rp));
        _checkInputs(taskId, round, task, rp, result);
        _checkResult(taskId, round, tp, rp, result);
        _requireTaskEnclave(taskId, task, _recover(hashRoundResult(taskId, round, result), r, vs));

        // Effects.
        rr.packed = rp | (uint256(result.acceptedCount) << _ACCEPTED_COUNT_SHIFT)
            | (uint256(result.acceptedWeight) << _ACCEPTED_WEIGHT_SHIFT) | _FINALIZED;
        rr.commitment = result.commitment;
        task.globalRoot = result.globalRoot;
        task.globalHash = result.globalHash;
        emit RoundFinalized(taskId, round, address(uint160(task.enclaveWord)), result);

        if (round == uint16(tp >> _ROUNDS_SHIFT)) {
            task.packed = _withStatus(tp, TaskStatus.Finished);
            emit TaskFinished(taskId);
        } else {
            _openNextRound(taskId, round, key, tp, rp);
        }
    }

    /// @notice Pull the caller's share of a finalized round's pool. The leaf
    ///         `keccak256(bytes.concat(keccak256(abi.encode(client, updateHash, weight, cumulativeWeightBefore))))`
    ///         must be in the round's commitment (sorted-pair Merkle tree). The share is
    ///         `floor(pool * (cum + weight) / W) - floor(pool * cum / W)` with W the round's accepted weight, so
    ///         the shares of a partition of [0, W) add up to the pool exactly.
    function claim(
        uint256 taskId,
        uint16 round,
        bytes32 updateHash,
        uint64 weight,
        uint64 cumulativeWeightBefore,
        bytes32[] calldata proof
    ) external {
        // Effects first (the claimed flag goes into the client's existing word); any revert below undoes them.
        (uint256 acceptedWeight, bytes32 commitment) = _markClaimed(taskId, round);
        uint256 upper = uint256(cumulativeWeightBefore) + weight;
        if (upper > acceptedWeight) revert InvalidProof();
        bytes32 leaf =
            keccak256(bytes.concat(keccak256(abi.encode(msg.sender, updateHash, weight, cumulativeWeightBefore))));
        if (!_verifyProof(proof, commitment, leaf)) revert InvalidProof();
        uint256 amount = _debitShare(taskId, round, upper, cumulativeWeightBefore, acceptedWeight);
        emit RewardClaimed(taskId, round, msg.sender, amount);

        // Interaction.
        if (amount != 0) _pay(msg.sender, amount);
    }

    /// @notice Creator only, for a failed current round: its deadline passed with fewer than `quorum` updates, or
    ///         it met the quorum but was not finalized by `finalizeBy` (deadline + roundDuration: the enclave's
    ///         time to aggregate). Refunds the pools of every round not finalized (the current one and all later
    ///         ones) and cancels the task. Finalized rounds stay claimable.
    function cancelTask(uint256 taskId) external {
        TaskRecord storage task = _tasks[taskId];
        uint256 tp = task.packed;
        if (tp == 0) revert UnknownTask(taskId);
        address creator = address(uint160(tp));
        if (msg.sender != creator) revert NotCreator(taskId, msg.sender);
        if (_statusOf(tp) != TaskStatus.Active) revert TaskNotActive(taskId);
        uint16 current = uint16(tp >> _CURRENT_SHIFT);
        RoundRecord storage rr = _rounds[_roundKey(taskId, current)];
        uint256 rp = rr.packed;
        _requireFailed(taskId, current, tp, rp);

        uint256 funds = task.funds;
        uint256 rewardPool = uint128(funds);
        // Rounds 1 .. current-1 are finalized (none of them is the last one): each has rewardPool / rounds.
        uint256 refund = rewardPool - uint256(current - 1) * (rewardPool / uint16(tp >> _ROUNDS_SHIFT));

        // Effects.
        task.packed = _withStatus(tp, TaskStatus.Cancelled);
        rr.packed = rp | _CLOSED;
        task.funds = _addPaid(taskId, funds, refund);
        emit TaskCancelled(taskId, current, refund);

        // Interaction.
        _pay(creator, refund);
    }

    /// @notice Creator only: publish a keyring (0G root of a `flai-keyring/v1` file) that admits readers to a
    ///         private task's models. Only the event is kept: readers collect every keyring of the task from the
    ///         logs. Allowed while the task is active or finished (a late reader may read the final model); not
    ///         once cancelled. The contract cannot check the file: it only binds it to the creator, who alone
    ///         holds the task key (the enclave never grants keys on a host's word).
    function publishKeyring(uint256 taskId, bytes32 keyringRoot) external {
        uint256 tp = _tasks[taskId].packed;
        if (tp == 0) revert UnknownTask(taskId);
        if (msg.sender != address(uint160(tp))) revert NotCreator(taskId, msg.sender);
        if (_statusOf(tp) == TaskStatus.Cancelled) revert TaskIsCancelled(taskId);
        if (keyringRoot == bytes32(0)) revert ZeroRoot();
        emit KeyringPublished(taskId, keyringRoot);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    function getTask(uint256 taskId) external view returns (Task memory task) {
        TaskRecord storage record = _tasks[taskId];
        uint256 tp = record.packed;
        if (tp == 0) revert UnknownTask(taskId);
        uint256 funds = record.funds;
        uint256 enclaveWord = record.enclaveWord;
        task.creator = address(uint160(tp));
        task.rounds = uint16(tp >> _ROUNDS_SHIFT);
        task.quorum = uint16(tp >> _QUORUM_SHIFT);
        task.maxClients = uint16(enclaveWord >> _TASK_MAX_CLIENTS_SHIFT);
        task.currentRound = uint16(tp >> _CURRENT_SHIFT);
        task.roundDuration = uint32(tp >> _DURATION_SHIFT);
        task.status = _statusOf(tp);
        task.measurement = record.measurement;
        task.enclave = address(uint160(enclaveWord));
        task.globalRoot = record.globalRoot;
        task.globalHash = record.globalHash;
        task.rewardPool = uint128(funds);
        task.paidOut = funds >> _PAID_SHIFT;
    }

    /// @notice Round `round` of a task; all zero for a round outside 1..rounds. `deadline` is 0 for a round
    ///         not opened yet; `acceptedCount`/`acceptedWeight`/`commitment` are set at finalization.
    function getRound(uint256 taskId, uint16 round) external view returns (Round memory info) {
        uint256 tp = _knownTask(taskId);
        if (round == 0 || round > uint16(tp >> _ROUNDS_SHIFT)) return info;
        TaskRecord storage task = _tasks[taskId];
        RoundRecord storage rr = _rounds[_roundKey(taskId, round)];
        uint256 rp = rr.packed;
        info.deadline = uint64(rp);
        if (info.deadline != 0) info.finalizeBy = info.deadline + uint32(tp >> _DURATION_SHIFT);
        info.updateCount = uint32(rp >> _COUNT_SHIFT);
        info.maxClients = uint16(rp >> _MAX_CLIENTS_SHIFT);
        info.closed = info.deadline != 0 && (rp & _CLOSED != 0 || block.timestamp > info.deadline);
        if (round == uint16(tp >> _CURRENT_SHIFT) && _statusOf(tp) == TaskStatus.Active) {
            info.updatesAccumulator = task.updatesAccumulator;
        }
        info.acceptedCount = uint32(rp >> _ACCEPTED_COUNT_SHIFT);
        info.acceptedWeight = uint64(rp >> _ACCEPTED_WEIGHT_SHIFT);
        info.finalized = rp & _FINALIZED != 0;
        info.commitment = rr.commitment;
        info.pool = _roundPool(tp, uint128(task.funds), round);
    }

    /// @notice The update `client` recorded in a round: (0, false) if none.
    function getUpdate(uint256 taskId, uint16 round, address client)
        external
        view
        returns (uint64 numExamples, bool claimed)
    {
        if (taskId > _MAX_TASK_ID) return (0, false);
        uint256 word = _updates[_roundKey(taskId, round)][client];
        return (uint64(word), word & _CLAIMED != 0);
    }

    /// @notice The round's share of the reward pool: rewardPool / rounds, the last round also gets the
    ///         remainder. 0 for a round outside 1..rounds.
    function roundPool(uint256 taskId, uint16 round) external view returns (uint256) {
        uint256 tp = _knownTask(taskId);
        if (round == 0 || round > uint16(tp >> _ROUNDS_SHIFT)) return 0;
        return _roundPool(tp, uint128(_tasks[taskId].funds), round);
    }

    /// @notice What {claim} pays for a leaf (weight, cumulativeWeightBefore) of a finalized round. Reverts like
    ///         claim: RoundNotFinalized, or InvalidProof if cumulativeWeightBefore + weight > acceptedWeight.
    function rewardOf(uint256 taskId, uint16 round, uint64 weight, uint64 cumulativeWeightBefore)
        external
        view
        returns (uint256)
    {
        uint256 tp = _knownTask(taskId);
        uint256 rp = _rounds[_roundKey(taskId, round)].packed;
        if (rp & _FINALIZED == 0) revert RoundNotFinalized(taskId, round);
        uint256 acceptedWeight = uint64(rp >> _ACCEPTED_WEIGHT_SHIFT);
        uint256 upper = uint256(cumulativeWeightBefore) + weight;
        if (upper > acceptedWeight) revert InvalidProof();
        uint256 pool = _roundPool(tp, uint128(_tasks[taskId].funds), round);
        return _share(pool, upper, cumulativeWeightBefore, acceptedWeight);
    }

    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @notice The accumulator a round starts from: keccak256(abi.encode(taskId, round)).
    function accumulatorSeed(uint256 taskId, uint16 round) external pure returns (bytes32) {
        return _accumulatorSeed(taskId, round);
    }

    // ---------------------------------------------------------------------------------------------
    // EIP-712
    // ---------------------------------------------------------------------------------------------

    /// @notice The EIP-712 digest an enclave signs: `RoundResult(uint256 taskId,uint16 round,bytes32 previousGlobalHash,
    ///         bytes32 updatesAccumulator,uint32 updateCount,bytes32 globalRoot,bytes32 globalHash,bytes32 commitment,
    ///         uint64 acceptedWeight,uint32 acceptedCount,uint32 rejectedCount,bytes32 reportRoot,bytes32 metrics)`
    ///         under the domain (name "FLAIFederated", version "1", chainId, this contract).
    function hashRoundResult(uint256 taskId, uint16 round, RoundResult calldata result)
        public
        view
        returns (bytes32 digest)
    {
        // RoundResult has only static fields: abi.encode(result) is its 11 words, in EIP-712 order.
        digest = _hashTypedData(keccak256(abi.encode(_ROUND_RESULT_TYPEHASH, taskId, round, result)));
    }

    /// @notice The EIP-712 digest an enclave signs to close a round: `RoundClose(uint256 taskId,uint16 round)`.
    function hashRoundClose(uint256 taskId, uint16 round) public view returns (bytes32 digest) {
        digest = _hashTypedData(keccak256(abi.encode(_ROUND_CLOSE_TYPEHASH, taskId, round)));
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev The signer must be registered for exactly the task's measurement, unexpired, and accepted.
    function _requireAcceptedEnclave(address signer, bytes32 measurement) private view {
        IFLAIEnclaveRegistry reg = IFLAIEnclaveRegistry(registry);
        if (signer == address(0) || reg.enclaveMeasurement(signer) != measurement || !reg.isAcceptedEnclave(signer)) {
            revert UnacceptedEnclave(signer);
        }
    }

    /// @dev Only the enclave named at createTask signs for a task, and only while the registry still accepts it.
    function _requireTaskEnclave(uint256 taskId, TaskRecord storage task, address signer) private view {
        address enclave = address(uint160(task.enclaveWord));
        if (signer != enclave) revert NotTaskEnclave(taskId, signer, enclave);
        _requireAcceptedEnclave(signer, task.measurement);
    }

    /// @dev The result's inputs are the task's current model and the round's frozen update set.
    function _checkInputs(uint256 taskId, uint16 round, TaskRecord storage task, uint256 rp, RoundResult calldata result)
        private
        view
    {
        bytes32 globalHash = task.globalHash;
        if (result.previousGlobalHash != globalHash) revert PreviousModelMismatch(taskId, round, globalHash);
        uint32 count = uint32(rp >> _COUNT_SHIFT);
        bytes32 acc = task.updatesAccumulator;
        if (result.updateCount != count || result.updatesAccumulator != acc) {
            revert UpdateSetMismatch(taskId, round, count, acc);
        }
    }

    /// @dev The next round inherits maxClients, gets a fresh deadline and a fresh accumulator seed.
    function _openNextRound(uint256 taskId, uint16 round, uint256 key, uint256 tp, uint256 rp) private {
        TaskRecord storage task = _tasks[taskId];
        unchecked {
            // round < rounds <= type(uint16).max: no carry into roundDuration, key + 1 is the next round.
            task.packed = tp + (uint256(1) << _CURRENT_SHIFT);
            uint64 deadline = uint64(block.timestamp) + uint32(tp >> _DURATION_SHIFT);
            _rounds[key + 1].packed = deadline | (rp & (uint256(type(uint16).max) << _MAX_CLIENTS_SHIFT));
            task.updatesAccumulator = _accumulatorSeed(taskId, round + 1);
            emit RoundOpened(taskId, round + 1, deadline);
        }
    }

    /// @dev Cancellation needs a failed round: past its deadline, and either short of quorum or not finalized by
    ///      deadline + roundDuration.
    function _requireFailed(uint256 taskId, uint16 round, uint256 tp, uint256 rp) private view {
        uint64 deadline = uint64(rp);
        if (block.timestamp <= deadline) revert RoundStillOpen(taskId, round, deadline);
        uint32 count = uint32(rp >> _COUNT_SHIFT);
        if (count < uint16(tp >> _QUORUM_SHIFT)) return;
        uint64 finalizeBy = deadline + uint32(tp >> _DURATION_SHIFT);
        if (block.timestamp <= finalizeBy) revert RoundNotFailed(taskId, round, count, finalizeBy);
    }

    function _accumulatorSeed(uint256 taskId, uint16 round) private pure returns (bytes32 seed) {
        assembly ("memory-safe") {
            mstore(0x00, taskId)
            mstore(0x20, round)
            seed := keccak256(0x00, 0x40)
        }
    }

    /// @dev keccak256(abi.encode(acc, client, updateRoot, updateHash, numExamples)), built in scratch memory.
    function _accumulate(bytes32 acc, address client, bytes32 updateRoot, bytes32 updateHash, uint64 numExamples)
        private
        pure
        returns (bytes32 next)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, acc)
            mstore(add(ptr, 0x20), client)
            mstore(add(ptr, 0x40), updateRoot)
            mstore(add(ptr, 0x60), updateHash)
            mstore(add(ptr, 0x80), numExamples)
            next := keccak256(ptr, 0xa0)
        }
    }

    function _emitTaskCreated(
        uint256 taskId,
        bytes32 initialModelRoot,
        bytes32 initialModelHash,
        uint16 rounds,
        uint16 quorum,
        uint16 maxClients,
        uint32 roundDuration
    ) private {
        TaskRecord storage task = _tasks[taskId];
        emit TaskCreated(
            taskId,
            msg.sender,
            address(uint160(task.enclaveWord)),
            initialModelRoot,
            initialModelHash,
            rounds,
            quorum,
            maxClients,
            roundDuration,
            task.measurement,
            uint128(task.funds)
        );
    }

    function _roundKey(uint256 taskId, uint16 round) private pure returns (uint256) {
        if (taskId > _MAX_TASK_ID) revert UnknownTask(taskId);
        return (taskId << 16) | round;
    }

    function _knownTask(uint256 taskId) private view returns (uint256 tp) {
        tp = _tasks[taskId].packed;
        if (tp == 0) revert UnknownTask(taskId);
    }

    function _statusOf(uint256 tp) private pure returns (TaskStatus) {
        return TaskStatus(uint8(tp >> _STATUS_SHIFT));
    }

    function _withStatus(uint256 tp, TaskStatus status) private pure returns (uint256) {
        return (tp & ~_STATUS_MASK) | (uint256(status) << _STATUS_SHIFT);
    }

    /// @dev Reverts UnknownTask / TaskNotActive / RoundAlreadyFinalized (a past round) / WrongRound (round 0 or later).
    function _requireCurrentRound(uint256 taskId, uint16 round, uint256 tp) private pure {
        if (tp == 0) revert UnknownTask(taskId);
        if (_statusOf(tp) != TaskStatus.Active) revert TaskNotActive(taskId);
        uint16 current = uint16(tp >> _CURRENT_SHIFT);
        if (round != current) {
            if (round != 0 && round < current) revert RoundAlreadyFinalized(taskId, round);
            revert WrongRound(taskId, round, current);
        }
    }

    /// @dev Slow path of recordUpdate: the round word says "not open", find out why.
    function _revertNotOpen(uint256 taskId, uint16 round, uint256 rp) private view {
        uint256 tp = _tasks[taskId].packed;
        if (tp == 0) revert UnknownTask(taskId);
        if (_statusOf(tp) != TaskStatus.Active) revert TaskNotActive(taskId);
        uint16 current = uint16(tp >> _CURRENT_SHIFT);
        if (round != current) revert WrongRound(taskId, round, current);
        revert UpdatesClosed(taskId, round, uint32(rp >> _COUNT_SHIFT));
    }

    function _checkResult(uint256 taskId, uint16 round, uint256 tp, uint256 rp, RoundResult calldata result)
        private
        pure
    {
        uint256 updateCount = uint32(rp >> _COUNT_SHIFT);
        uint16 quorum = uint16(tp >> _QUORUM_SHIFT);
        uint32 acceptedCount = result.acceptedCount;
        if (acceptedCount < quorum || updateCount < quorum) {
            revert QuorumNotMet(taskId, round, acceptedCount, quorum);
        }
        if (
            uint256(acceptedCount) + result.rejectedCount != updateCount || result.acceptedWeight == 0
                || result.globalRoot == bytes32(0) || result.globalHash == bytes32(0)
                || result.commitment == bytes32(0)
        ) revert InvalidRoundResult();
    }

    /// @dev Claim checks on the round and the caller's update word, then sets the claimed flag in that word.
    function _markClaimed(uint256 taskId, uint16 round) private returns (uint256 acceptedWeight, bytes32 commitment) {
        uint256 key = _roundKey(taskId, round);
        RoundRecord storage rr = _rounds[key];
        uint256 rp = rr.packed;
        if (rp & _FINALIZED == 0) revert RoundNotFinalized(taskId, round);
        mapping(address => uint256) storage updates = _updates[key];
        uint256 word = updates[msg.sender];
        if (word == 0) revert NotRecorded(taskId, round, msg.sender);
        if (word & _CLAIMED != 0) revert AlreadyClaimed(taskId, round, msg.sender);
        updates[msg.sender] = word | _CLAIMED;
        acceptedWeight = uint64(rp >> _ACCEPTED_WEIGHT_SHIFT);
        commitment = rr.commitment;
    }

    /// @dev The share of [lower, upper) of the round's pool, added to the task's paidOut.
    function _debitShare(uint256 taskId, uint16 round, uint256 upper, uint256 lower, uint256 acceptedWeight)
        private
        returns (uint256 amount)
    {
        TaskRecord storage task = _tasks[taskId];
        uint256 funds = task.funds;
        amount = _share(_roundPool(task.packed, uint128(funds), round), upper, lower, acceptedWeight);
        task.funds = _addPaid(taskId, funds, amount);
    }

    /// @dev rewardPool / rounds for rounds 1 .. rounds-1; the last round gets the rest.
    function _roundPool(uint256 tp, uint256 rewardPool, uint16 round) private pure returns (uint256) {
        uint256 rounds = uint16(tp >> _ROUNDS_SHIFT);
        uint256 base = rewardPool / rounds;
        if (round == rounds) return rewardPool - base * (rounds - 1);
        return base;
    }

    /// @dev floor(pool * upper / W) - floor(pool * lower / W); pool < 2^128 and upper <= W < 2^64: no overflow.
    function _share(uint256 pool, uint256 upper, uint256 lower, uint256 acceptedWeight)
        private
        pure
        returns (uint256)
    {
        return (pool * upper) / acceptedWeight - (pool * lower) / acceptedWeight;
    }

    /// @dev Adds `amount` to paidOut (high half of the funds word), never beyond rewardPool.
    function _addPaid(uint256 taskId, uint256 funds, uint256 amount) private pure returns (uint256) {
        uint256 paid = (funds >> _PAID_SHIFT) + amount;
        if (paid > uint128(funds)) revert PoolExceeded(taskId);
        return (paid << _PAID_SHIFT) | uint128(funds);
    }

    /// @dev Sorted-pair Merkle proof (OpenZeppelin MerkleProof compatible); a single-leaf tree has root = leaf.
    function _verifyProof(bytes32[] calldata proof, bytes32 root, bytes32 leaf) private pure returns (bool) {
        bytes32 node = leaf;
        for (uint256 i; i < proof.length; ) {
            bytes32 sibling = proof[i];
            assembly ("memory-safe") {
                switch lt(node, sibling)
                case 1 {
                    mstore(0x00, node)
                    mstore(0x20, sibling)
                }
                default {
                    mstore(0x00, sibling)
                    mstore(0x20, node)
                }
                node := keccak256(0x00, 0x40)
            }
            unchecked {
                ++i;
            }
        }
        return node == root;
    }

    function _revertInvalidSignature() internal pure override {
        revert InvalidSignature();
    }

    function _revertPayoutFailed(address payee, uint256 amount) internal pure override {
        revert PayoutFailed(payee, amount);
    }
}
