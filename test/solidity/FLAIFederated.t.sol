// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../contracts/FLAIComputeJobs.sol";
import {FLAIFederated} from "../../contracts/FLAIFederated.sol";
import {SigningHelpers} from "./SigningHelpers.sol";
import {MerkleHelpers} from "./MerkleHelpers.sol";

// -------------------------------------------------------------------------------------------------
// Helper actor
// -------------------------------------------------------------------------------------------------

/// @dev A contract creator/client whose receive() accepts, rejects, or re-enters claim().
contract FederatedActor {
    enum Mode {
        Accept,
        Reject,
        Reenter
    }

    FLAIFederated internal immutable fed;
    Mode public mode;
    uint256 public receivedCount;
    bytes public reentryRevertData;

    uint256 internal rTask;
    uint16 internal rRound;
    bytes32 internal rHash;
    uint64 internal rWeight;
    uint64 internal rCum;
    bytes32[] internal rProof;

    constructor(FLAIFederated fed_) {
        fed = fed_;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function create(uint16 rounds, uint16 quorum, uint32 duration, bytes32 measurement, address enclave)
        external
        payable
        returns (uint256)
    {
        return fed.createTask{value: msg.value}(
            keccak256("m-root"), keccak256("m-hash"), rounds, quorum, 1000, duration, measurement, enclave
        );
    }

    function record(uint256 taskId, uint16 round, bytes32 updateHash, uint64 numExamples) external {
        fed.recordUpdate(taskId, round, keccak256(abi.encode(updateHash)), updateHash, numExamples);
    }

    function claim(uint256 taskId, uint16 round, bytes32 updateHash, uint64 weight, uint64 cum, bytes32[] memory proof)
        external
    {
        rTask = taskId;
        rRound = round;
        rHash = updateHash;
        rWeight = weight;
        rCum = cum;
        rProof = proof;
        fed.claim(taskId, round, updateHash, weight, cum, proof);
    }

    function cancel(uint256 taskId) external {
        fed.cancelTask(taskId);
    }

    receive() external payable {
        receivedCount++;
        if (mode == Mode.Reject) revert("no thanks");
        if (mode == Mode.Reenter) {
            try fed.claim(rTask, rRound, rHash, rWeight, rCum, rProof) {}
            catch (bytes memory data) {
                reentryRevertData = data;
            }
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Shared fixture
// -------------------------------------------------------------------------------------------------

abstract contract FLAIFederatedFixture is SigningHelpers, MerkleHelpers {
    uint256 internal constant ENCLAVE_PK = 0xE1C1A7E;
    uint256 internal constant OTHER_ENCLAVE_PK = 0x0E1C1A7E2;
    uint256 internal constant STRANGER_PK = 0xBAD5161;
    bytes32 internal constant MEASUREMENT = keccak256("flai-fedavg-enclave-v1");
    bytes32 internal constant OTHER_MEASUREMENT = keccak256("flai-fedavg-enclave-v2");

    bytes32 internal constant MODEL_ROOT = keccak256("initial-model-root");
    bytes32 internal constant MODEL_HASH = keccak256("initial-model-hash");
    uint256 internal constant POOL = 3 ether + 2; // not divisible by 2 or 3 rounds: exercises remainders
    uint32 internal constant DURATION = 1 days;
    /// @dev Large enough that no test fills a round by accident; the maxClients tests set their own.
    uint16 internal constant MAX_CLIENTS = 1000;
    uint256 internal constant START = 1_700_000_000;

    FLAIComputeJobs internal registry;
    FLAIFederated internal fed;
    address internal owner;
    address internal enclave;
    address internal otherEnclave;
    address internal creator;
    address internal relayer;

    function setUp() public virtual {
        vm.warp(START);
        owner = vm.addr(0x0A11CE);
        enclave = vm.addr(ENCLAVE_PK);
        otherEnclave = vm.addr(OTHER_ENCLAVE_PK);
        creator = vm.addr(0xC4EA7);
        relayer = vm.addr(0x7E1A);

        registry = new FLAIComputeJobs(owner, _attestationAuthority());
        vm.startPrank(owner);
        registry.acceptMeasurement(MEASUREMENT);
        registry.acceptMeasurement(OTHER_MEASUREMENT);
        vm.stopPrank();
        _registerAttested(registry, enclave, MEASUREMENT);
        _registerAttested(registry, otherEnclave, OTHER_MEASUREMENT);

        fed = new FLAIFederated(address(registry));
        vm.deal(creator, type(uint128).max);
    }

    // --- actors ------------------------------------------------------------------------------------

    function _client(uint256 i) internal pure returns (address) {
        return vm.addr(0xC11E0000 + i);
    }

    function _updateHash(uint256 taskId, uint16 round, address client) internal pure returns (bytes32) {
        return keccak256(abi.encode("update", taskId, round, client));
    }

    // --- task / round helpers ------------------------------------------------------------------------

    function _create(uint16 rounds, uint16 quorum, uint256 pool) internal returns (uint256 taskId) {
        vm.prank(creator);
        taskId = fed.createTask{value: pool}(
            MODEL_ROOT, MODEL_HASH, rounds, quorum, MAX_CLIENTS, DURATION, MEASUREMENT, enclave
        );
    }

    function _createCapped(uint16 rounds, uint16 quorum, uint16 maxClients) internal returns (uint256 taskId) {
        vm.prank(creator);
        taskId =
            fed.createTask{value: POOL}(MODEL_ROOT, MODEL_HASH, rounds, quorum, maxClients, DURATION, MEASUREMENT, enclave);
    }

    function _record(uint256 taskId, uint16 round, address client, uint64 numExamples) internal {
        vm.prank(client);
        fed.recordUpdate(taskId, round, keccak256(abi.encode("root", client)), _updateHash(taskId, round, client), numExamples);
    }

    /// @dev Records clients 0 .. n-1 in `round`.
    function _recordN(uint256 taskId, uint16 round, uint256 n) internal {
        for (uint256 i; i < n; i++) {
            _record(taskId, round, _client(i), uint64(100 + i));
        }
    }

    /// @dev A valid result for `round`: clients 0 .. weights.length-1 accepted with `weights` (in order), the
    ///      `rejected` other recorded clients rejected. Returns the leaves too. As the aggregator does before it
    ///      aggregates, it first freezes the round when it can (open, before the deadline, quorum recorded), then
    ///      binds the result to the task's current model and the round's recorded update set, read from the chain.
    function _result(uint256 taskId, uint16 round, uint64[] memory weights, uint256 rejected)
        internal
        returns (FLAIFederated.RoundResult memory res, bytes32[] memory leaves)
    {
        _closeIfPossible(taskId, round);
        leaves = new bytes32[](weights.length);
        uint64 cum;
        for (uint256 i; i < weights.length; i++) {
            leaves[i] = _leaf(_client(i), _updateHash(taskId, round, _client(i)), weights[i], cum);
            cum += weights[i];
        }
        FLAIFederated.Round memory info = fed.getRound(taskId, round);
        res = FLAIFederated.RoundResult({
            previousGlobalHash: fed.getTask(taskId).globalHash,
            updatesAccumulator: info.updatesAccumulator,
            updateCount: info.updateCount,
            globalRoot: keccak256(abi.encode("global-root", taskId, round)),
            globalHash: keccak256(abi.encode("global-hash", taskId, round)),
            commitment: _merkleRoot(leaves),
            acceptedWeight: cum,
            acceptedCount: uint32(weights.length),
            rejectedCount: uint32(rejected),
            reportRoot: keccak256(abi.encode("report", taskId, round)),
            metrics: keccak256(abi.encode("metrics", taskId, round))
        });
    }

    function _weights(uint256 n) internal pure returns (uint64[] memory w) {
        w = new uint64[](n);
        for (uint256 i; i < n; i++) {
            w[i] = uint64(100 + i);
        }
    }

    /// @dev Records n clients in `round` and finalizes it with all of them accepted (weights 100, 101, ...).
    function _playRound(uint256 taskId, uint16 round, uint256 n)
        internal
        returns (FLAIFederated.RoundResult memory res, bytes32[] memory leaves)
    {
        _recordN(taskId, round, n);
        (res, leaves) = _result(taskId, round, _weights(n), 0);
        _finalize(taskId, round, res);
    }

    /// @dev closeRound signed by the task's enclave, when the contract would accept it.
    function _closeIfPossible(uint256 taskId, uint16 round) internal {
        if (taskId == 0 || taskId > fed.taskCount()) return;
        FLAIFederated.Task memory t = fed.getTask(taskId);
        if (t.status != FLAIFederated.TaskStatus.Active || t.currentRound != round) return;
        FLAIFederated.Round memory info = fed.getRound(taskId, round);
        if (info.closed || info.updateCount < t.quorum) return;
        _close(taskId, round);
    }

    function _close(uint256 taskId, uint16 round) internal {
        (bytes32 r, bytes32 vs) = _signDigest(ENCLAVE_PK, fed.hashRoundClose(taskId, round));
        vm.prank(relayer);
        fed.closeRound(taskId, round, r, vs);
    }

    /// @dev Spec of the accumulator, independent of the contract's assembly: the seed, then one step per update.
    function _accumulate(bytes32 acc, address client, bytes32 root, bytes32 hash_, uint64 numExamples)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(acc, client, root, hash_, numExamples));
    }

    function _seed(uint256 taskId, uint16 round) internal pure returns (bytes32) {
        return keccak256(abi.encode(taskId, round));
    }

    /// @dev The accumulator over clients 0 .. n-1 recorded with {_recordN}.
    function _accumulatorOfN(uint256 taskId, uint16 round, uint256 n) internal pure returns (bytes32 acc) {
        acc = _seed(taskId, round);
        for (uint256 i; i < n; i++) {
            address c = _client(i);
            acc = _accumulate(acc, c, keccak256(abi.encode("root", c)), _updateHash(taskId, round, c), uint64(100 + i));
        }
    }

    function _finalize(uint256 taskId, uint16 round, FLAIFederated.RoundResult memory res) internal {
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, taskId, round, res);
        vm.prank(relayer);
        fed.finalizeRound(taskId, round, res, r, vs);
    }

    function _claim(uint256 taskId, uint16 round, uint256 i, uint64 weight, uint64 cum, bytes32[] memory leaves)
        internal
        returns (uint256 amount)
    {
        address client = _client(i);
        uint256 before = client.balance;
        vm.prank(client);
        fed.claim(taskId, round, _updateHash(taskId, round, client), weight, cum, _merkleProof(leaves, i));
        amount = client.balance - before;
    }

    // --- signatures --------------------------------------------------------------------------------

    function _signResult(uint256 pk, uint256 taskId, uint16 round, FLAIFederated.RoundResult memory res)
        internal
        view
        returns (bytes32 r, bytes32 vs)
    {
        return _signDigest(pk, fed.hashRoundResult(taskId, round, res));
    }

    /// @dev Independent EIP-712 computation (abi.encode based) to cross-check the contract.
    function _expectedDomainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return _eip712DomainSeparator("FLAIFederated", "1", chainId, verifyingContract);
    }



    // --- misc --------------------------------------------------------------------------------------

    function _copy(FLAIFederated.RoundResult memory a) internal pure returns (FLAIFederated.RoundResult memory) {
        return FLAIFederated.RoundResult({
            previousGlobalHash: a.previousGlobalHash,
            updatesAccumulator: a.updatesAccumulator,
            updateCount: a.updateCount,
            globalRoot: a.globalRoot,
            globalHash: a.globalHash,
            commitment: a.commitment,
            acceptedWeight: a.acceptedWeight,
            acceptedCount: a.acceptedCount,
            rejectedCount: a.rejectedCount,
            reportRoot: a.reportRoot,
            metrics: a.metrics
        });
    }

    function _status(uint256 taskId) internal view returns (FLAIFederated.TaskStatus) {
        return fed.getTask(taskId).status;
    }

    function _unaccepted(address signer) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(FLAIFederated.UnacceptedEnclave.selector, signer);
    }

    function _notTaskEnclave(uint256 taskId, address signer) internal view returns (bytes memory) {
        return abi.encodeWithSelector(FLAIFederated.NotTaskEnclave.selector, taskId, signer, enclave);
    }
}

// -------------------------------------------------------------------------------------------------
// Construction, task creation, views
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedCreateTest is FLAIFederatedFixture {
    function test_constructor_setsRegistry() public {
        _assertEq(fed.registry(), address(registry), "registry");
        _assertEq(fed.taskCount(), 0, "no tasks");
        vm.expectRevert(FLAIFederated.ZeroAddress.selector);
        new FLAIFederated(address(0));
    }

    function test_create_storesTaskOpensRound1AndEmits() public {
        vm.expectEmit(address(fed));
        emit FLAIFederated.TaskCreated(
            1, creator, enclave, MODEL_ROOT, MODEL_HASH, 3, 2, MAX_CLIENTS, DURATION, MEASUREMENT, POOL
        );
        vm.expectEmit(address(fed));
        emit FLAIFederated.RoundOpened(1, 1, uint64(START + DURATION));
        uint256 id = _create(3, 2, POOL);
        _assertEq(id, 1, "ids start at 1");
        _assertEq(fed.taskCount(), 1, "taskCount");
        _assertEq(address(fed).balance, POOL, "escrowed");

        FLAIFederated.Task memory t = fed.getTask(id);
        _assertEq(t.creator, creator, "creator");
        _assertEq(t.rounds, 3, "rounds");
        _assertEq(t.quorum, 2, "quorum");
        _assertEq(t.currentRound, 1, "currentRound");
        _assertEq(t.roundDuration, DURATION, "duration");
        require(t.status == FLAIFederated.TaskStatus.Active, "Active");
        _assertEq(t.measurement, MEASUREMENT, "measurement");
        _assertEq(t.enclave, enclave, "enclave");
        _assertEq(t.maxClients, MAX_CLIENTS, "maxClients");
        _assertEq(t.globalRoot, MODEL_ROOT, "globalRoot");
        _assertEq(t.globalHash, MODEL_HASH, "globalHash");
        _assertEq(t.rewardPool, POOL, "rewardPool");
        _assertEq(t.paidOut, 0, "paidOut");

        FLAIFederated.Round memory r1 = fed.getRound(id, 1);
        _assertEq(r1.deadline, START + DURATION, "round 1 deadline");
        _assertEq(r1.updateCount, 0, "no updates");
        _assertEq(r1.maxClients, MAX_CLIENTS, "round 1 maxClients");
        _assertEq(r1.finalizeBy, START + 2 * DURATION, "finalizeBy = deadline + duration");
        require(!r1.closed, "open");
        _assertEq(r1.updatesAccumulator, _seed(id, 1), "accumulator seeded");
        require(!r1.finalized, "not finalized");
        _assertEq(r1.pool, POOL / 3, "round 1 pool");
        _assertEq(fed.getRound(id, 2).deadline, 0, "round 2 not opened");
        _assertEq(fed.getRound(id, 3).pool, POOL - 2 * (POOL / 3), "last round gets the remainder");

        _assertEq(_create(1, 1, 1), 2, "sequential ids");
    }

    function test_create_rejectsInvalidParameters() public {
        vm.startPrank(creator);
        vm.expectRevert(FLAIFederated.ZeroReward.selector);
        fed.createTask(MODEL_ROOT, MODEL_HASH, 1, 1, 1, DURATION, MEASUREMENT, enclave);
        vm.expectRevert(FLAIFederated.InvalidTaskParameters.selector);
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 0, 1, 1, DURATION, MEASUREMENT, enclave);
        vm.expectRevert(FLAIFederated.InvalidTaskParameters.selector);
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 0, 1, DURATION, MEASUREMENT, enclave);
        vm.expectRevert(FLAIFederated.InvalidTaskParameters.selector);
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 1, 1, 0, MEASUREMENT, enclave);
        vm.expectRevert(FLAIFederated.ZeroMeasurement.selector);
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 1, 1, DURATION, bytes32(0), enclave);
        vm.expectRevert(FLAIFederated.ZeroRoot.selector);
        fed.createTask{value: 1}(bytes32(0), MODEL_HASH, 1, 1, 1, DURATION, MEASUREMENT, enclave);
        vm.expectRevert(FLAIFederated.ZeroRoot.selector);
        fed.createTask{value: 1}(MODEL_ROOT, bytes32(0), 1, 1, 1, DURATION, MEASUREMENT, enclave);
        vm.expectRevert(FLAIFederated.InvalidTaskParameters.selector); // maxClients below the quorum
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 3, 2, DURATION, MEASUREMENT, enclave);
        // the task's enclave must be registered, accepted, and for the task's measurement
        vm.expectRevert(_unaccepted(address(0)));
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 1, 1, DURATION, MEASUREMENT, address(0));
        vm.expectRevert(_unaccepted(vm.addr(STRANGER_PK)));
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 1, 1, DURATION, MEASUREMENT, vm.addr(STRANGER_PK));
        vm.expectRevert(_unaccepted(otherEnclave));
        fed.createTask{value: 1}(MODEL_ROOT, MODEL_HASH, 1, 1, 1, DURATION, MEASUREMENT, otherEnclave);
        vm.stopPrank();
        _assertEq(fed.taskCount(), 0, "nothing created");
        _assertEq(address(fed).balance, 0, "nothing escrowed");
    }

    function test_create_rewardBound() public {
        uint256 max = type(uint128).max;
        vm.deal(creator, max + 1);
        uint256 id = _create(1, 1, max);
        _assertEq(fed.getTask(id).rewardPool, max, "2^128-1 wei round-trips");
        vm.deal(creator, max + 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RewardTooLarge.selector, max + 1));
        _create(1, 1, max + 1);
    }

    function test_views_unknownTask() public {
        bytes memory err0 = abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 0);
        bytes memory err1 = abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 1);
        vm.expectRevert(err0);
        fed.getTask(0);
        vm.expectRevert(err1);
        fed.getTask(1);
        vm.expectRevert(err1);
        fed.getRound(1, 1);
        vm.expectRevert(err1);
        fed.roundPool(1, 1);
        vm.expectRevert(err1);
        fed.rewardOf(1, 1, 1, 0);
        (uint64 numExamples, bool claimed) = fed.getUpdate(1, 1, address(this));
        require(numExamples == 0 && !claimed, "no update");
        (numExamples, claimed) = fed.getUpdate(type(uint256).max, 1, address(this));
        require(numExamples == 0 && !claimed, "no update for huge ids");
    }

    function test_views_roundsOutOfRange() public {
        uint256 id = _create(2, 1, POOL);
        _assertEq(fed.roundPool(id, 0), 0, "round 0");
        _assertEq(fed.roundPool(id, 3), 0, "round 3");
        FLAIFederated.Round memory r0 = fed.getRound(id, 0);
        require(r0.deadline == 0 && r0.pool == 0 && !r0.finalized, "round 0 empty");
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundNotFinalized.selector, id, 1));
        fed.rewardOf(id, 1, 1, 0);
    }

    /// @dev Rounds' pools add up to the reward pool exactly; all but the last are equal.
    function testFuzz_roundPoolsSumToPool(uint256 pool, uint16 rounds) public {
        pool = _bound(pool, 1, type(uint128).max);
        rounds = uint16(_bound(rounds, 1, 100));
        uint256 id = _create(rounds, 1, pool);
        uint256 sum;
        uint256 base = fed.roundPool(id, 1);
        for (uint16 r = 1; r <= rounds; r++) {
            uint256 p = fed.roundPool(id, r);
            if (r < rounds) _assertEq(p, base, "equal pools");
            sum += p;
        }
        _assertEq(sum, pool, "rounds sum to the pool");
        _assertEq(base, pool / rounds, "base pool");
    }

    function test_plainEthTransferRejected() public {
        (bool ok,) = address(fed).call{value: 1 ether}("");
        require(!ok, "contract must not accept stray ETH");
    }
}

// -------------------------------------------------------------------------------------------------
// Recording updates
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedRecordTest is FLAIFederatedFixture {
    function test_record_storesOneWordAndEmits() public {
        uint256 id = _create(2, 2, POOL);
        address c = _client(0);
        bytes32 root = keccak256("u-root");
        bytes32 h = keccak256("u-hash");
        vm.expectEmit(address(fed));
        emit FLAIFederated.UpdateRecorded(id, 1, c, root, h, 1234);
        vm.prank(c);
        fed.recordUpdate(id, 1, root, h, 1234);

        (uint64 numExamples, bool claimed) = fed.getUpdate(id, 1, c);
        _assertEq(numExamples, 1234, "numExamples");
        require(!claimed, "not claimed");
        _assertEq(fed.getRound(id, 1).updateCount, 1, "count 1");
        _record(id, 1, _client(1), 7);
        _assertEq(fed.getRound(id, 1).updateCount, 2, "count 2");
        (numExamples,) = fed.getUpdate(id, 2, c);
        _assertEq(numExamples, 0, "nothing in round 2");
    }

    function testFuzz_record_twiceReverts(address client, uint64 numExamples) public {
        numExamples = uint64(_bound(numExamples, 1, fed.MAX_NUM_EXAMPLES()));
        uint256 id = _create(2, 1, POOL);
        _record(id, 1, client, numExamples);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.AlreadyRecorded.selector, id, 1, client));
        _record(id, 1, client, numExamples);
        _assertEq(fed.getRound(id, 1).updateCount, 1, "counted once");
    }

    function test_record_deadlineBoundary() public {
        uint256 id = _create(2, 1, POOL);
        vm.warp(START + DURATION); // at the deadline: still allowed
        _record(id, 1, _client(0), 1);
        vm.warp(START + DURATION + 1);
        vm.expectRevert(
            abi.encodeWithSelector(FLAIFederated.RoundDeadlinePassed.selector, id, 1, uint64(START + DURATION))
        );
        _record(id, 1, _client(1), 1);
    }

    function testFuzz_record_afterDeadlineReverts(uint256 lateBy) public {
        lateBy = _bound(lateBy, 1, 10 * 365 days);
        uint256 id = _create(2, 1, POOL);
        vm.warp(START + DURATION + lateBy);
        vm.expectRevert(
            abi.encodeWithSelector(FLAIFederated.RoundDeadlinePassed.selector, id, 1, uint64(START + DURATION))
        );
        _record(id, 1, _client(0), 1);
    }

    function testFuzz_record_wrongRoundReverts(uint16 round) public {
        vm.assume(round != 1);
        uint256 id = _create(3, 1, POOL);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.WrongRound.selector, id, round, 1));
        _record(id, round, _client(0), 1);
    }

    function test_record_pastRoundReverts() public {
        uint256 id = _create(3, 1, POOL);
        _playRound(id, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.WrongRound.selector, id, 1, 2));
        _record(id, 1, _client(5), 1);
        _record(id, 2, _client(5), 1); // the new round is open
    }

    function test_record_unknownTaskReverts() public {
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 0));
        _record(0, 1, _client(0), 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 7));
        _record(7, 1, _client(0), 1);
        // ids that would alias a real task's round key are rejected too
        uint256 id = _create(1, 1, POOL);
        uint256 alias_ = id + (uint256(1) << 240);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, alias_));
        _record(alias_, 1, _client(0), 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, type(uint256).max));
        _record(type(uint256).max, 1, _client(0), 1);
        _assertEq(fed.getRound(id, 1).updateCount, 0, "real task untouched");
    }

    function test_record_rejectsZeroInputs() public {
        uint256 id = _create(2, 1, POOL);
        vm.startPrank(_client(0));
        vm.expectRevert(FLAIFederated.ZeroRoot.selector);
        fed.recordUpdate(id, 1, bytes32(0), keccak256("h"), 1);
        vm.expectRevert(FLAIFederated.ZeroRoot.selector);
        fed.recordUpdate(id, 1, keccak256("r"), bytes32(0), 1);
        vm.expectRevert(FLAIFederated.ZeroNumExamples.selector);
        fed.recordUpdate(id, 1, keccak256("r"), keccak256("h"), 0);
        vm.stopPrank();
        _assertEq(fed.getRound(id, 1).updateCount, 0, "nothing recorded");
    }

    function test_record_finishedOrCancelledTaskReverts() public {
        uint256 done = _create(1, 1, POOL);
        _playRound(done, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, done));
        _record(done, 1, _client(9), 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, done));
        _record(done, 2, _client(9), 1);

        uint256 gone = _create(2, 1, POOL);
        vm.warp(block.timestamp + DURATION + 1);
        vm.prank(creator);
        fed.cancelTask(gone);
        vm.warp(START); // even "back in time", the cancelled round stays closed
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, gone));
        _record(gone, 1, _client(9), 1);
    }
}

// -------------------------------------------------------------------------------------------------
// Finalization
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedFinalizeTest is FLAIFederatedFixture {
    function test_domainSeparatorAndDigest_matchEip712() public {
        uint256 id = _create(2, 1, POOL);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(3), 1);
        bytes32 sep = _expectedDomainSeparator(block.chainid, address(fed));
        _assertEq(fed.domainSeparator(), sep, "domain separator");
        _assertEq(fed.hashRoundResult(id, 1, res), _roundResultDigest(sep, id, 1, res), "digest");
        _assertEq(fed.hashRoundResult(9, 65535, res), _roundResultDigest(sep, 9, 65535, res), "digest, other ids");
    }

    function test_domainSeparator_followsChainId() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 2);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);

        vm.chainId(block.chainid + 1000);
        bytes32 newSep = fed.domainSeparator();
        _assertEq(newSep, _expectedDomainSeparator(block.chainid, address(fed)), "recomputed on new chain");
        bytes32 newDigest = fed.hashRoundResult(id, 1, res);
        _assertEq(newDigest, _roundResultDigest(newSep, id, 1, res), "new digest");
        vm.expectRevert(_notTaskEnclave(id, _recoverCompact(newDigest, r, vs)));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function test_finalize_opensNextRoundAndEmits() public {
        uint256 id = _create(3, 2, POOL);
        _recordN(id, 1, 3);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 1);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.warp(START + 100);

        vm.expectEmit(address(fed));
        emit FLAIFederated.RoundFinalized(id, 1, enclave, res);
        vm.expectEmit(address(fed));
        emit FLAIFederated.RoundOpened(id, 2, uint64(START + 100 + DURATION));
        vm.prank(relayer); // anyone can relay
        fed.finalizeRound(id, 1, res, r, vs);

        FLAIFederated.Round memory r1 = fed.getRound(id, 1);
        require(r1.finalized, "finalized");
        _assertEq(r1.commitment, res.commitment, "commitment");
        _assertEq(r1.acceptedWeight, res.acceptedWeight, "acceptedWeight");
        _assertEq(r1.acceptedCount, 2, "acceptedCount");
        _assertEq(r1.updateCount, 3, "updateCount kept");
        _assertEq(r1.deadline, START + DURATION, "deadline kept");

        FLAIFederated.Task memory t = fed.getTask(id);
        _assertEq(t.currentRound, 2, "round 2 current");
        _assertEq(t.globalRoot, res.globalRoot, "global root updated");
        _assertEq(t.globalHash, res.globalHash, "global hash updated");
        require(t.status == FLAIFederated.TaskStatus.Active, "still active");

        FLAIFederated.Round memory r2 = fed.getRound(id, 2);
        _assertEq(r2.deadline, START + 100 + DURATION, "round 2 deadline = now + duration");
        require(!r2.finalized && r2.updateCount == 0 && !r2.closed, "round 2 fresh");
        _assertEq(r2.maxClients, MAX_CLIENTS, "maxClients carried over");
        _assertEq(r2.updatesAccumulator, _seed(id, 2), "round 2 accumulator seeded");
    }

    function test_finalize_lastRoundFinishesTask() public {
        uint256 id = _create(2, 1, POOL);
        _playRound(id, 1, 2);
        _recordN(id, 2, 3);
        (FLAIFederated.RoundResult memory res,) = _result(id, 2, _weights(3), 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 2, res);

        vm.expectEmit(address(fed));
        emit FLAIFederated.TaskFinished(id);
        fed.finalizeRound(id, 2, res, r, vs);

        FLAIFederated.Task memory t = fed.getTask(id);
        require(t.status == FLAIFederated.TaskStatus.Finished, "Finished");
        _assertEq(t.currentRound, 2, "current round stays at the last one");
        _assertEq(t.globalRoot, res.globalRoot, "final model");
        require(fed.getRound(id, 2).finalized, "last round finalized");

        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, id));
        fed.finalizeRound(id, 2, res, r, vs);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, id));
        vm.prank(creator);
        fed.cancelTask(id);
    }

    /// @dev Every round opens the next, the last one finishes the task; the model chain follows.
    function testFuzz_roundsChain(uint16 rounds, uint8 clients) public {
        rounds = uint16(_bound(rounds, 1, 8));
        uint256 n = _bound(clients, 1, 4);
        uint256 id = _create(rounds, 1, POOL);
        for (uint16 r = 1; r <= rounds; r++) {
            _assertEq(fed.getTask(id).currentRound, r, "current round");
            require(fed.getTask(id).status == FLAIFederated.TaskStatus.Active, "active");
            vm.warp(block.timestamp + 1 hours);
            (FLAIFederated.RoundResult memory res,) = _playRound(id, r, n);
            _assertEq(fed.getTask(id).globalRoot, res.globalRoot, "model follows");
            if (r < rounds) _assertEq(fed.getRound(id, r + 1).deadline, block.timestamp + DURATION, "next opened");
        }
        require(fed.getTask(id).status == FLAIFederated.TaskStatus.Finished, "finished");
        _assertEq(fed.getTask(id).currentRound, rounds, "stays at last");
    }

    function test_finalize_allowedAfterDeadline() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 2);
        vm.warp(START + DURATION + 5 days);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 0);
        _finalize(id, 1, res);
        _assertEq(fed.getRound(id, 2).deadline, START + 5 days + 2 * DURATION, "next round from now");
    }

    function test_finalize_wrongOrPastRound() public {
        uint256 id = _create(3, 1, POOL);
        (FLAIFederated.RoundResult memory res1,) = _playRound(id, 1, 1);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundAlreadyFinalized.selector, id, 1));
        fed.finalizeRound(id, 1, res1, r, vs);

        (FLAIFederated.RoundResult memory res3,) = _result(id, 3, _weights(1), 0);
        (r, vs) = _signResult(ENCLAVE_PK, id, 3, res3);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.WrongRound.selector, id, 3, 2));
        fed.finalizeRound(id, 3, res3, r, vs);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.WrongRound.selector, id, 0, 2));
        fed.finalizeRound(id, 0, res3, r, vs);
    }

    function test_finalize_unknownOrCancelledTask() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 1);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(1), 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 2));
        fed.finalizeRound(2, 1, res, r, vs);

        vm.warp(START + 2 * DURATION + 1); // quorum met but not finalized in time: the round failed
        vm.prank(creator);
        fed.cancelTask(id);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, id));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    // --- quorum and result validity ----------------------------------------------------------------

    function test_finalize_belowQuorumReverts() public {
        uint256 id = _create(2, 3, POOL);
        _recordN(id, 1, 4);
        // only 2 accepted (quorum 3)
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 2);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.QuorumNotMet.selector, id, 1, uint32(2), uint16(3)));
        fed.finalizeRound(id, 1, res, r, vs);
        require(!fed.getRound(id, 1).finalized, "not finalized");
    }

    function test_finalize_fewerRecordedThanQuorumReverts() public {
        uint256 id = _create(2, 3, POOL);
        _recordN(id, 1, 2);
        // the enclave claims 3 accepted but only 2 updates were recorded
        vm.warp(START + DURATION + 1); // closed by the deadline (it cannot be closed earlier without the quorum)
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(3), 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.QuorumNotMet.selector, id, 1, uint32(3), uint16(3)));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function testFuzz_finalize_quorum(uint8 quorum, uint8 recorded, uint8 accepted) public {
        uint16 q = uint16(_bound(quorum, 1, 6));
        uint256 n = _bound(recorded, 0, 6);
        uint256 a = _bound(accepted, 1, 6);
        vm.assume(a <= n || n < q); // a > n with n >= q is InvalidRoundResult (tested below)
        uint256 id = _create(2, q, POOL);
        _recordN(id, 1, n);
        vm.warp(START + DURATION + 1); // closed by the deadline, whatever was recorded
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(a), a <= n ? n - a : 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        if (a < q || n < q) {
            vm.expectRevert(abi.encodeWithSelector(FLAIFederated.QuorumNotMet.selector, id, 1, uint32(a), q));
        }
        fed.finalizeRound(id, 1, res, r, vs);
        require(fed.getRound(id, 1).finalized == (a >= q && n >= q), "finalized iff quorum met");
    }

    function test_finalize_invalidResultReverts() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 3);
        (FLAIFederated.RoundResult memory good,) = _result(id, 1, _weights(2), 1);

        FLAIFederated.RoundResult[] memory bad = new FLAIFederated.RoundResult[](8);
        for (uint256 i; i < bad.length; i++) {
            bad[i] = _copy(good);
        }
        bad[0].rejectedCount = 0; // 2 + 0 != 3
        bad[1].rejectedCount = 2; // 2 + 2 != 3
        bad[2].acceptedCount = 4; // more accepted than recorded
        bad[2].rejectedCount = 0;
        bad[3].acceptedWeight = 0;
        bad[4].globalRoot = bytes32(0);
        bad[5].globalHash = bytes32(0);
        bad[6].commitment = bytes32(0);
        bad[7].rejectedCount = type(uint32).max; // no overflow in acceptedCount + rejectedCount
        for (uint256 i; i < bad.length; i++) {
            (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, bad[i]);
            vm.expectRevert(FLAIFederated.InvalidRoundResult.selector);
            fed.finalizeRound(id, 1, bad[i], r, vs);
        }
        // zero reportRoot / metrics are allowed (optional audit data)
        good.reportRoot = bytes32(0);
        good.metrics = bytes32(0);
        _finalize(id, 1, good);
    }

    // --- enclave attestation -----------------------------------------------------------------------

    function _readyRound() internal returns (uint256 id, FLAIFederated.RoundResult memory res) {
        id = _create(2, 2, POOL);
        _recordN(id, 1, 3);
        (res,) = _result(id, 1, _weights(3), 0);
    }

    function test_finalize_rejectsUnregisteredSigner() public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        (bytes32 r, bytes32 vs) = _signResult(STRANGER_PK, id, 1, res);
        vm.expectRevert(_notTaskEnclave(id, vm.addr(STRANGER_PK)));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function test_finalize_rejectsSignerOfAnotherMeasurement() public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        // otherEnclave is registered and its measurement is accepted, but the task asks for MEASUREMENT
        require(registry.isAcceptedEnclave(otherEnclave), "other enclave accepted in the registry");
        (bytes32 r, bytes32 vs) = _signResult(OTHER_ENCLAVE_PK, id, 1, res);
        vm.expectRevert(_notTaskEnclave(id, otherEnclave));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function test_finalize_rejectsRevokedMeasurement() public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.prank(owner);
        registry.revokeMeasurement(MEASUREMENT);
        vm.expectRevert(_unaccepted(enclave));
        fed.finalizeRound(id, 1, res, r, vs);
        // accepted again: the same signature now works
        vm.prank(owner);
        registry.acceptMeasurement(MEASUREMENT);
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function test_finalize_rejectsRemovedOrMovedEnclave() public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.prank(owner);
        registry.removeEnclave(enclave);
        vm.expectRevert(_unaccepted(enclave));
        fed.finalizeRound(id, 1, res, r, vs);
        _registerAttested(registry, enclave, OTHER_MEASUREMENT); // registered, accepted, but another measurement
        vm.expectRevert(_unaccepted(enclave));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function testFuzz_finalize_rejectsTamperedResult(uint8 field, bytes32 salt) public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        FLAIFederated.RoundResult memory t = _copy(res);
        uint256 which = field % 7;
        if (which == 0) t.globalRoot = salt;
        else if (which == 1) t.globalHash = salt;
        else if (which == 2) t.commitment = salt;
        else if (which == 3) t.acceptedWeight = uint64(uint256(salt));
        else if (which == 4) (t.acceptedCount, t.rejectedCount) = (2, 1); // still valid and above quorum
        else if (which == 5) t.reportRoot = salt;
        else t.metrics = salt;
        vm.assume(keccak256(abi.encode(t)) != keccak256(abi.encode(res)));
        vm.assume(
            t.globalRoot != bytes32(0) && t.globalHash != bytes32(0) && t.commitment != bytes32(0)
                && t.acceptedWeight != 0
        );

        address rec = _recoverCompact(fed.hashRoundResult(id, 1, t), r, vs);
        require(rec != enclave, "tampered digest must not recover the enclave");
        vm.expectRevert(_notTaskEnclave(id, rec));
        fed.finalizeRound(id, 1, t, r, vs);
        require(!fed.getRound(id, 1).finalized, "not finalized");
        fed.finalizeRound(id, 1, res, r, vs); // the genuine result still works
    }

    function test_finalize_rejectsSignatureForAnotherTaskOrRound() public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        uint256 id2 = _create(2, 2, POOL);
        _recordN(id2, 1, 3);
        (FLAIFederated.RoundResult memory res2,) = _result(id2, 1, _weights(3), 0);
        // task id2's result, but signed as if for task id: recovers someone else
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res2);
        vm.expectRevert(_notTaskEnclave(id2, _recoverCompact(fed.hashRoundResult(id2, 1, res2), r, vs)));
        fed.finalizeRound(id2, 1, res2, r, vs);
        // signed for round 2, used for round 1
        (r, vs) = _signResult(ENCLAVE_PK, id, 2, res);
        vm.expectRevert(_notTaskEnclave(id, _recoverCompact(fed.hashRoundResult(id, 1, res), r, vs)));
        fed.finalizeRound(id, 1, res, r, vs);
    }

    function testFuzz_finalize_rejectsHighS(uint256 s, bool parity) public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        s = _bound(s, HALF_N + 1, (1 << 255) - 1);
        vm.expectRevert(FLAIFederated.InvalidSignature.selector);
        fed.finalizeRound(id, 1, res, keccak256("r"), bytes32(s | (parity ? 1 << 255 : 0)));
    }

    function test_finalize_rejectsUnrecoverableSignature() public {
        (uint256 id, FLAIFederated.RoundResult memory res) = _readyRound();
        (, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.expectRevert(FLAIFederated.InvalidSignature.selector);
        fed.finalizeRound(id, 1, res, bytes32(0), vs);
        vm.expectRevert(FLAIFederated.InvalidSignature.selector);
        fed.finalizeRound(id, 1, res, bytes32(SECP256K1_N), vs);
        vm.expectRevert(FLAIFederated.InvalidSignature.selector);
        fed.finalizeRound(id, 1, res, keccak256("r"), bytes32(0));
    }
}

// -------------------------------------------------------------------------------------------------
// Claims
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedClaimTest is FLAIFederatedFixture {
    function test_claim_paysShareAndEmits() public {
        uint256 id = _create(2, 1, POOL);
        (, bytes32[] memory leaves) = _playRound(id, 1, 3); // weights 100, 101, 102 => W = 303
        uint256 pool = fed.roundPool(id, 1);
        uint256 expected = (pool * 201) / 303 - (pool * 100) / 303;
        _assertEq(fed.rewardOf(id, 1, 101, 100), expected, "rewardOf");

        address c = _client(1);
        vm.expectEmit(address(fed));
        emit FLAIFederated.RewardClaimed(id, 1, c, expected);
        _assertEq(_claim(id, 1, 1, 101, 100, leaves), expected, "client 1 paid its share");

        (uint64 numExamples, bool claimed) = fed.getUpdate(id, 1, c);
        _assertEq(numExamples, 101, "numExamples kept");
        require(claimed, "claimed flag");
        _assertEq(fed.getTask(id).paidOut, expected, "paidOut");
        _assertEq(address(fed).balance, POOL - expected, "escrow");
    }

    function test_claim_singleLeafTree() public {
        uint256 id = _create(1, 1, POOL);
        (FLAIFederated.RoundResult memory res, bytes32[] memory leaves) = _playRound(id, 1, 1);
        _assertEq(res.commitment, leaves[0], "root = leaf");
        _assertEq(_claim(id, 1, 0, 100, 0, leaves), POOL, "the only client gets the whole pool");
        _assertEq(address(fed).balance, 0, "nothing left");
    }

    function test_claim_twiceReverts() public {
        uint256 id = _create(2, 1, POOL);
        (, bytes32[] memory leaves) = _playRound(id, 1, 2);
        uint256 first = _claim(id, 1, 0, 100, 0, leaves);
        require(first > 0, "paid");
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.AlreadyClaimed.selector, id, 1, _client(0)));
        _claim(id, 1, 0, 100, 0, leaves);
    }

    function test_claim_rejectsBadLeaves() public {
        uint256 id = _create(2, 1, POOL);
        (, bytes32[] memory leaves) = _playRound(id, 1, 4); // weights 100..103, cums 0, 100, 201, 303; W = 406
        address c1 = _client(1);
        bytes32 h1 = _updateHash(id, 1, c1);
        bytes32[] memory proof1 = _merkleProof(leaves, 1);

        vm.startPrank(c1);
        // wrong proof
        bytes32[] memory wrong = _merkleProof(leaves, 2);
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, 101, 100, wrong);
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, 101, 100, new bytes32[](0));
        // wrong weight (more and less), wrong cumulative weight, wrong update hash
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, 102, 100, proof1);
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, 100, 100, proof1);
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, 101, 0, proof1);
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, keccak256("other"), 101, 100, proof1);
        // beyond the accepted weight
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, 407, 0, proof1);
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, h1, type(uint64).max, type(uint64).max, proof1);
        // another client's leaf and proof (client 2's), submitted by client 1
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        fed.claim(id, 1, _updateHash(id, 1, _client(2)), 102, 201, _merkleProof(leaves, 2));
        vm.stopPrank();

        (, bool claimed) = fed.getUpdate(id, 1, c1);
        require(!claimed, "nothing claimed");
        _assertEq(address(fed).balance, POOL, "nothing paid");
        // the genuine claim still works
        _claim(id, 1, 1, 101, 100, leaves);
    }

    function test_claim_requiresRecordedUpdate() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 2);
        // an outsider is included in the commitment by a (faulty) enclave: still NotRecorded
        address outsider = vm.addr(0x0715);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(_client(0), _updateHash(id, 1, _client(0)), 100, 0);
        leaves[1] = _leaf(outsider, keccak256("x"), 100, 100);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(1), 1);
        res.commitment = _merkleRoot(leaves);
        res.acceptedWeight = 200;
        _finalize(id, 1, res);
        bytes32[] memory proof = _merkleProof(leaves, 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.NotRecorded.selector, id, 1, outsider));
        vm.prank(outsider);
        fed.claim(id, 1, keccak256("x"), 100, 100, proof);
        // a client that never recorded, with any leaf
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.NotRecorded.selector, id, 1, _client(5)));
        vm.prank(_client(5));
        fed.claim(id, 1, keccak256("x"), 100, 0, proof);
    }

    function test_claim_requiresFinalizedRound() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 2);
        bytes32[] memory none = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundNotFinalized.selector, id, 1));
        vm.prank(_client(0));
        fed.claim(id, 1, _updateHash(id, 1, _client(0)), 100, 0, none);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundNotFinalized.selector, 42, 1));
        vm.prank(_client(0));
        fed.claim(42, 1, bytes32(0), 1, 0, none);
    }

    /// @dev A rejected client (recorded, not in the commitment) cannot forge a leaf.
    function testFuzz_claim_rejectsForgedLeaf(uint64 weight, uint64 cum, bytes32 updateHash, uint8 proofOf) public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 4);
        (FLAIFederated.RoundResult memory res, bytes32[] memory leaves) = _result(id, 1, _weights(3), 1);
        _finalize(id, 1, res);
        address rejected = _client(3);
        bytes32[] memory proof = _merkleProof(leaves, _bound(proofOf, 0, 2));
        vm.expectRevert(FLAIFederated.InvalidProof.selector);
        vm.prank(rejected);
        fed.claim(id, 1, updateHash, weight, cum, proof);
    }

    function test_claim_payoutFailureRollsBack() public {
        FederatedActor actor = new FederatedActor(fed);
        uint256 id = _create(2, 1, POOL);
        bytes32 h = keccak256("actor-update");
        actor.record(id, 1, h, 10);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = _leaf(address(actor), h, 10, 0);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, new uint64[](0), 0);
        res.commitment = leaves[0];
        res.acceptedWeight = 10;
        res.acceptedCount = 1;
        _finalize(id, 1, res);

        actor.setMode(FederatedActor.Mode.Reject);
        uint256 pool = fed.roundPool(id, 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.PayoutFailed.selector, address(actor), pool));
        actor.claim(id, 1, h, 10, 0, new bytes32[](0));
        (, bool claimed) = fed.getUpdate(id, 1, address(actor));
        require(!claimed, "rolled back");

        actor.setMode(FederatedActor.Mode.Accept);
        actor.claim(id, 1, h, 10, 0, new bytes32[](0));
        _assertEq(address(actor).balance, pool, "paid when it accepts");
    }

    function test_claim_reentrantClientPaidOnce() public {
        FederatedActor actor = new FederatedActor(fed);
        uint256 id = _create(2, 1, POOL);
        bytes32 h = keccak256("actor-update");
        actor.record(id, 1, h, 10);
        _record(id, 1, _client(0), 5);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(address(actor), h, 10, 0);
        leaves[1] = _leaf(_client(0), _updateHash(id, 1, _client(0)), 5, 10);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, new uint64[](0), 0);
        res.commitment = _merkleRoot(leaves);
        res.acceptedWeight = 15;
        res.acceptedCount = 2;
        _finalize(id, 1, res);

        actor.setMode(FederatedActor.Mode.Reenter);
        uint256 expected = fed.rewardOf(id, 1, 10, 0);
        actor.claim(id, 1, h, 10, 0, _merkleProof(leaves, 0));
        _assertEq(address(actor).balance, expected, "paid exactly once");
        _assertEq(actor.receivedCount(), 1, "one payment");
        require(
            keccak256(actor.reentryRevertData())
                == keccak256(abi.encodeWithSelector(FLAIFederated.AlreadyClaimed.selector, id, 1, address(actor))),
            "re-entrant claim saw AlreadyClaimed"
        );
    }

    /// @dev The core accounting property: for any client count and weights (zero weights included), the
    ///      accepted clients' rewards add up exactly to each round's pool, and the rounds to the task pool.
    function testFuzz_rewardsSumExactlyToPools(uint256 seed, uint8 nClients, uint8 nRejected, uint256 pool, uint8 rounds)
        public
    {
        uint256 n = _bound(nClients, 1, 12);
        uint256 rej = _bound(nRejected, 0, 3);
        pool = _bound(pool, 1, type(uint128).max);
        uint16 nRounds = uint16(_bound(rounds, 1, 3));
        uint256 id = _create(nRounds, 1, pool);

        uint256 total;
        for (uint16 r = 1; r <= nRounds; r++) {
            uint64[] memory weights = new uint64[](n);
            for (uint256 i; i < n; i++) {
                // mixed magnitudes, zeros included; first weight >= 1 so the accepted weight is > 0
                uint256 x = uint256(keccak256(abi.encode(seed, r, i)));
                weights[i] = uint64(x % 3 == 0 ? x % 4 : x % (uint256(1) << (x % 56 + 1)));
            }
            if (weights[0] == 0) weights[0] = 1;
            _recordN(id, r, n + rej);
            (FLAIFederated.RoundResult memory res, bytes32[] memory leaves) = _result(id, r, weights, rej);
            _finalize(id, r, res);

            uint256 roundSum;
            uint64 cum;
            for (uint256 i; i < n; i++) {
                uint256 expected = fed.rewardOf(id, r, weights[i], cum);
                uint256 paid = _claim(id, r, i, weights[i], cum, leaves);
                _assertEq(paid, expected, "claim pays rewardOf");
                roundSum += paid;
                cum += weights[i];
            }
            _assertEq(roundSum, fed.roundPool(id, r), "round rewards sum exactly to the round pool");
            total += roundSum;
        }
        _assertEq(total, pool, "rounds sum exactly to the task pool");
        _assertEq(fed.getTask(id).paidOut, pool, "paidOut");
        _assertEq(address(fed).balance, 0, "nothing stuck");
    }
}

// -------------------------------------------------------------------------------------------------
// Cancellation
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedCancelTest is FLAIFederatedFixture {
    function test_cancel_refundsUnfinalizedPoolsAfterMissedDeadline() public {
        uint256 id = _create(3, 1, POOL);
        (, bytes32[] memory leaves) = _playRound(id, 1, 2); // round 1 finalized at START
        uint64 deadline2 = uint64(START + DURATION);

        vm.warp(deadline2 + 1);
        uint256 expectedRefund = POOL - POOL / 3; // rounds 2 and 3
        _assertEq(expectedRefund, fed.roundPool(id, 2) + fed.roundPool(id, 3), "unfinalized pools");
        uint256 before = creator.balance;
        vm.expectEmit(address(fed));
        emit FLAIFederated.TaskCancelled(id, 2, expectedRefund);
        vm.prank(creator);
        fed.cancelTask(id);

        _assertEq(creator.balance, before + expectedRefund, "refunded exactly");
        FLAIFederated.Task memory t = fed.getTask(id);
        require(t.status == FLAIFederated.TaskStatus.Cancelled, "Cancelled");
        _assertEq(t.currentRound, 2, "round kept");
        _assertEq(t.paidOut, expectedRefund, "paidOut counts the refund");
        _assertEq(address(fed).balance, POOL / 3, "round 1 pool still held");

        // the finalized round stays claimable, and pays out to the last wei
        uint256 a = _claim(id, 1, 0, 100, 0, leaves);
        uint256 b = _claim(id, 1, 1, 101, 100, leaves);
        _assertEq(a + b, POOL / 3, "round 1 fully paid");
        _assertEq(address(fed).balance, 0, "empty");
    }

    function test_cancel_notBeforeOrAtDeadline() public {
        uint256 id = _create(2, 1, POOL);
        bytes memory err = abi.encodeWithSelector(FLAIFederated.RoundStillOpen.selector, id, 1, uint64(START + DURATION));
        vm.expectRevert(err);
        vm.prank(creator);
        fed.cancelTask(id);
        vm.warp(START + DURATION);
        vm.expectRevert(err);
        vm.prank(creator);
        fed.cancelTask(id);
        vm.warp(START + DURATION + 1);
        vm.prank(creator);
        fed.cancelTask(id);
    }

    function testFuzz_cancel_onlyCreator(address caller) public {
        vm.assume(caller != creator);
        uint256 id = _create(2, 1, POOL);
        vm.warp(START + DURATION + 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.NotCreator.selector, id, caller));
        vm.prank(caller);
        fed.cancelTask(id);
        require(_status(id) == FLAIFederated.TaskStatus.Active, "still active");
        _assertEq(address(fed).balance, POOL, "escrow kept");
    }

    /// @dev Refund == the pools of the current and later rounds, for any pool / rounds / progress.
    function testFuzz_cancel_refundsExactlyUnfinalizedPools(uint256 pool, uint16 rounds, uint16 done, uint256 lateBy)
        public
    {
        pool = _bound(pool, 1, type(uint128).max);
        rounds = uint16(_bound(rounds, 1, 6));
        done = uint16(_bound(done, 0, rounds - 1));
        lateBy = _bound(lateBy, 1, 365 days);
        uint256 id = _create(rounds, 1, pool);
        for (uint16 r = 1; r <= done; r++) {
            _playRound(id, r, 1);
        }
        uint256 expected;
        for (uint16 r = done + 1; r <= rounds; r++) {
            expected += fed.roundPool(id, r);
        }
        vm.warp(fed.getRound(id, done + 1).deadline + lateBy);
        uint256 before = creator.balance;
        vm.prank(creator);
        fed.cancelTask(id);
        _assertEq(creator.balance - before, expected, "refund");
        _assertEq(address(fed).balance, pool - expected, "finalized pools kept");
        _assertEq(pool - expected, uint256(done) * (pool / rounds), "kept = done rounds' pools");
    }

    function test_cancel_twiceOrFinishedOrUnknownReverts() public {
        uint256 id = _create(2, 1, POOL);
        vm.warp(START + DURATION + 1);
        vm.startPrank(creator);
        fed.cancelTask(id);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskNotActive.selector, id));
        fed.cancelTask(id);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 9));
        fed.cancelTask(9);
        vm.stopPrank();
    }

    function test_cancel_refundFailureReverts() public {
        FederatedActor actor = new FederatedActor(fed);
        vm.deal(address(this), POOL);
        uint256 id = actor.create{value: POOL}(2, 1, DURATION, MEASUREMENT, enclave);
        actor.setMode(FederatedActor.Mode.Reject);
        vm.warp(START + DURATION + 1);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.PayoutFailed.selector, address(actor), POOL));
        actor.cancel(id);
        require(_status(id) == FLAIFederated.TaskStatus.Active, "rolled back");
        actor.setMode(FederatedActor.Mode.Accept);
        actor.cancel(id);
        _assertEq(address(actor).balance, POOL, "refunded");
    }

    function test_cancel_afterLateFinalizationOpensNewDeadline() public {
        uint256 id = _create(2, 1, POOL);
        _recordN(id, 1, 1);
        vm.warp(START + DURATION + 10);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(1), 0);
        _finalize(id, 1, res); // late but valid: round 2 opens with a fresh deadline
        uint64 d2 = fed.getRound(id, 2).deadline;
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundStillOpen.selector, id, 2, d2));
        vm.prank(creator);
        fed.cancelTask(id);
    }
}

// -------------------------------------------------------------------------------------------------
// Trust boundaries (issue 11): one test per attack, named after it
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedTrustBoundaryTest is FLAIFederatedFixture {
    /// @dev The contract's accumulator is the documented hash chain, in record order, from the round's seed.
    function test_accumulator_isTheDocumentedChainInRecordOrder() public {
        uint256 id = _create(2, 1, POOL);
        _assertEq(fed.accumulatorSeed(id, 1), _seed(id, 1), "seed");
        for (uint256 n = 1; n <= 4; n++) {
            _record(id, 1, _client(n - 1), uint64(100 + n - 1));
            _assertEq(fed.getRound(id, 1).updatesAccumulator, _accumulatorOfN(id, 1, n), "accumulator after n updates");
        }
        // the same updates in another order give another accumulator
        uint256 id2 = _create(2, 1, POOL);
        _record(id2, 1, _client(1), 101);
        _record(id2, 1, _client(0), 100);
        require(fed.getRound(id2, 1).updatesAccumulator != _accumulatorOfN(id2, 1, 2), "order matters");
    }

    function test_attack_fakePreviousModel_finalizeReverts() public {
        uint256 id = _create(2, 2, POOL);
        _recordN(id, 1, 3);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(3), 0);
        // The host fed the enclave a model of its own: the enclave (honestly) signs that model's hash.
        res.previousGlobalHash = keccak256("the host's fake previous model");
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.PreviousModelMismatch.selector, id, 1, MODEL_HASH));
        fed.finalizeRound(id, 1, res, r, vs);
        require(!fed.getRound(id, 1).finalized, "not finalized");
        _assertEq(fed.getTask(id).globalHash, MODEL_HASH, "model not replaced");
    }

    /// @dev Round 2's previous model must be round 1's result, not the initial model (the chain is followed).
    function test_attack_fakePreviousModel_chainFollowsEachRound() public {
        uint256 id = _create(2, 1, POOL);
        (FLAIFederated.RoundResult memory res1,) = _playRound(id, 1, 1);
        _recordN(id, 2, 1);
        (FLAIFederated.RoundResult memory res2,) = _result(id, 2, _weights(1), 0);
        _assertEq(res2.previousGlobalHash, res1.globalHash, "round 2 starts from round 1's model");
        res2.previousGlobalHash = MODEL_HASH; // the initial model: a real but stale one
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 2, res2);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.PreviousModelMismatch.selector, id, 2, res1.globalHash));
        fed.finalizeRound(id, 2, res2, r, vs);
    }

    function test_attack_fakeOrExtraUpdates_signatureOverAnotherAccumulatorReverts() public {
        uint256 id = _create(2, 2, POOL);
        _recordN(id, 1, 3);
        (FLAIFederated.RoundResult memory good,) = _result(id, 1, _weights(3), 0);
        bytes32 onChain = good.updatesAccumulator;
        bytes memory mismatch = abi.encodeWithSelector(FLAIFederated.UpdateSetMismatch.selector, id, 1, uint32(3), onChain);

        // 1. Fake clients' updates in place of the recorded ones (same count): another accumulator.
        FLAIFederated.RoundResult memory fake = _copy(good);
        bytes32 acc = _seed(id, 1);
        for (uint256 i; i < 3; i++) {
            address sybil = vm.addr(0x5B11 + i);
            acc = _accumulate(acc, sybil, keccak256(abi.encode("root", sybil)), keccak256(abi.encode("h", sybil)), 1e9);
        }
        fake.updatesAccumulator = acc;
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, fake);
        vm.expectRevert(mismatch);
        fed.finalizeRound(id, 1, fake, r, vs);

        // 2. One extra (unrecorded) update appended to the genuine set.
        FLAIFederated.RoundResult memory extra = _copy(good);
        address extraClient = vm.addr(0x5B99);
        extra.updatesAccumulator =
            _accumulate(onChain, extraClient, keccak256("x-root"), keccak256("x-hash"), 1e9);
        extra.updateCount = 4;
        extra.rejectedCount = 1;
        (r, vs) = _signResult(ENCLAVE_PK, id, 1, extra);
        vm.expectRevert(mismatch);
        fed.finalizeRound(id, 1, extra, r, vs);

        // 3. A recorded update dropped (the accumulator of the first two only).
        FLAIFederated.RoundResult memory dropped = _copy(good);
        dropped.updatesAccumulator = _accumulatorOfN(id, 1, 2);
        dropped.updateCount = 2;
        (r, vs) = _signResult(ENCLAVE_PK, id, 1, dropped);
        vm.expectRevert(mismatch);
        fed.finalizeRound(id, 1, dropped, r, vs);

        // 4. The genuine set: the contract's accumulator is the spec's, and the result lands.
        _assertEq(onChain, _accumulatorOfN(id, 1, 3), "accumulator = spec");
        _finalize(id, 1, good);
        require(fed.getRound(id, 1).finalized, "genuine result finalized");
    }

    function test_attack_lateUpdateAfterClose_revertsAndPendingFinalizeLands() public {
        uint256 id = _create(2, 2, POOL);
        _recordN(id, 1, 2);
        vm.expectEmit(address(fed));
        emit FLAIFederated.RoundClosed(id, 1, 2, _accumulatorOfN(id, 1, 2));
        _close(id, 1);
        require(fed.getRound(id, 1).closed, "closed");
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res);

        // A front-runner records one more update just before the finalize lands: refused, set unchanged.
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UpdatesClosed.selector, id, 1, uint32(2)));
        _record(id, 1, _client(7), 1);
        _assertEq(fed.getRound(id, 1).updatesAccumulator, res.updatesAccumulator, "frozen set");

        vm.prank(relayer);
        fed.finalizeRound(id, 1, res, r, vs);
        require(fed.getRound(id, 1).finalized, "the pending finalize landed");
    }

    function test_attack_lateUpdateAtMaxClients_roundClosesItself() public {
        uint256 id = _createCapped(2, 2, 3);
        _recordN(id, 1, 2);
        require(!fed.getRound(id, 1).closed, "open below maxClients");
        vm.expectEmit(address(fed));
        emit FLAIFederated.RoundClosed(id, 1, 3, _accumulatorOfN(id, 1, 3));
        _record(id, 1, _client(2), 102);
        require(fed.getRound(id, 1).closed, "closed at maxClients");
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UpdatesClosed.selector, id, 1, uint32(3)));
        _record(id, 1, _client(3), 1);
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(3), 0);
        _finalize(id, 1, res);
        // the next round inherits maxClients and is open again
        _assertEq(fed.getRound(id, 2).maxClients, 3, "round 2 maxClients");
        _record(id, 2, _client(3), 1);
    }

    function test_close_rules() public {
        uint256 id = _create(2, 2, POOL);
        _recordN(id, 1, 1);
        // not before the quorum
        (bytes32 r, bytes32 vs) = _signDigest(ENCLAVE_PK, fed.hashRoundClose(id, 1));
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.QuorumNotMet.selector, id, 1, uint32(1), uint16(2)));
        fed.closeRound(id, 1, r, vs);
        _record(id, 1, _client(1), 101);
        // a finalize over an open round is refused, whoever signs it
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 0); // this closes the round...
        uint256 id2 = _create(2, 2, POOL);
        _recordN(id2, 1, 2);
        (bytes32 r2, bytes32 vs2) = _signResult(ENCLAVE_PK, id2, 1, res);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundNotClosed.selector, id2, 1, uint64(START + DURATION)));
        fed.finalizeRound(id2, 1, res, r2, vs2); // ...but task id2's round is still open
        // only the task's enclave can close: a client, another registered enclave, a stranger cannot
        (r2, vs2) = _signDigest(OTHER_ENCLAVE_PK, fed.hashRoundClose(id2, 1));
        vm.expectRevert(_notTaskEnclave(id2, otherEnclave));
        fed.closeRound(id2, 1, r2, vs2);
        (r2, vs2) = _signDigest(0xC11E0000, fed.hashRoundClose(id2, 1));
        vm.expectRevert(_notTaskEnclave(id2, _client(0)));
        fed.closeRound(id2, 1, r2, vs2);
        // a close signed for task id does not close task id2
        vm.expectRevert(_notTaskEnclave(id2, _recoverCompact(fed.hashRoundClose(id2, 1), r, vs)));
        fed.closeRound(id2, 1, r, vs);
        // once closed, closing again says so; past the deadline the round is closed anyway
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UpdatesClosed.selector, id, 1, uint32(2)));
        fed.closeRound(id, 1, r, vs);
        vm.warp(START + DURATION + 1);
        (r2, vs2) = _signDigest(ENCLAVE_PK, fed.hashRoundClose(id2, 1));
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.RoundDeadlinePassed.selector, id2, 1, uint64(START + DURATION)));
        fed.closeRound(id2, 1, r2, vs2);
        require(fed.getRound(id2, 1).closed, "closed by the deadline");
    }

    function test_attack_cancelAfterQuorum_reverts() public {
        uint256 id = _create(2, 2, POOL);
        _recordN(id, 1, 2); // quorum arrived in time
        (FLAIFederated.RoundResult memory res,) = _result(id, 1, _weights(2), 0);
        (bytes32 r, bytes32 vs) = _signResult(ENCLAVE_PK, id, 1, res); // a signed result is pending
        uint64 finalizeBy = uint64(START + 2 * DURATION);
        bytes memory notFailed =
            abi.encodeWithSelector(FLAIFederated.RoundNotFailed.selector, id, 1, uint32(2), finalizeBy);
        vm.warp(START + DURATION + 1);
        vm.expectRevert(notFailed);
        vm.prank(creator);
        fed.cancelTask(id);
        vm.warp(finalizeBy); // the whole finalize window
        vm.expectRevert(notFailed);
        vm.prank(creator);
        fed.cancelTask(id);
        fed.finalizeRound(id, 1, res, r, vs);
        require(fed.getRound(id, 1).finalized, "the work is paid for");
    }

    function test_cancel_failedRound_noQuorumByDeadline() public {
        uint256 id = _create(2, 3, POOL);
        _recordN(id, 1, 2); // one short
        vm.warp(START + DURATION + 1);
        uint256 before = creator.balance;
        vm.prank(creator);
        fed.cancelTask(id);
        _assertEq(creator.balance - before, POOL, "whole pool refunded");
    }

    function test_cancel_failedRound_enclaveMissedFinalizeWindow() public {
        uint256 id = _create(2, 2, POOL);
        _recordN(id, 1, 2);
        _close(id, 1);
        vm.warp(START + 2 * DURATION + 1); // nobody finalized within deadline + roundDuration
        vm.prank(creator);
        fed.cancelTask(id);
        require(_status(id) == FLAIFederated.TaskStatus.Cancelled, "cancelled");
    }

    function test_attack_hugeNumExamples_rejected() public {
        uint256 id = _create(2, 1, POOL);
        uint64 max = fed.MAX_NUM_EXAMPLES();
        _assertEq(max, type(uint32).max, "2^32 - 1");
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.NumExamplesTooLarge.selector, uint64(2 ** 53 - 1), max));
        _record(id, 1, _client(0), uint64(2 ** 53 - 1));
        _record(id, 1, _client(0), max); // the bound itself is fine
    }

    /// @dev 2,049 updates at the largest num_examples (the attack overflowed uint64 at 2,049 × 2^53): the recorded
    ///      total stays far below 2^64, a result over all of them finalizes, and claims pay the pool exactly.
    function test_attack_totalWeightOverflow_impossible() public {
        uint256 n = 2049;
        uint64 max = fed.MAX_NUM_EXAMPLES();
        uint256 id = _createCapped(1, 1, uint16(n));
        for (uint256 i; i < n; i++) {
            _record(id, 1, _client(i), max);
        }
        require(fed.getRound(id, 1).closed, "full at maxClients");
        uint256 total = n * uint256(max);
        require(total < type(uint64).max, "fits in uint64");
        require(uint256(type(uint16).max) * max < type(uint64).max, "even maxClients = 2^16 - 1 fits");
        // the enclave accepts two of them at the full weight and rejects the rest (the shares are what matters)
        uint64[] memory weights = new uint64[](2);
        weights[0] = max;
        weights[1] = max;
        (FLAIFederated.RoundResult memory res, bytes32[] memory leaves) = _result(id, 1, weights, n - 2);
        _finalize(id, 1, res);
        uint256 a = _claim(id, 1, 0, max, 0, leaves);
        uint256 b = _claim(id, 1, 1, max, max, leaves);
        _assertEq(a + b, POOL, "pool paid exactly");
    }
}

// -------------------------------------------------------------------------------------------------
// Keyrings (issue 17): the creator admits readers of a private task's models
// -------------------------------------------------------------------------------------------------

contract FLAIFederatedKeyringTest is FLAIFederatedFixture {
    bytes32 internal constant KEYRING = keccak256("keyring-root");

    function test_publishKeyring_emitsForCreatorWhileActiveOrFinished() public {
        uint256 id = _create(1, 1, POOL);
        vm.expectEmit(address(fed));
        emit FLAIFederated.KeyringPublished(id, KEYRING);
        vm.prank(creator);
        fed.publishKeyring(id, KEYRING);

        _playRound(id, 1, 1);
        require(_status(id) == FLAIFederated.TaskStatus.Finished, "finished");
        // a late reader may still be admitted to read the final model
        vm.expectEmit(address(fed));
        emit FLAIFederated.KeyringPublished(id, keccak256("second"));
        vm.prank(creator);
        fed.publishKeyring(id, keccak256("second"));
    }

    function testFuzz_publishKeyring_onlyCreator(address caller) public {
        vm.assume(caller != creator);
        uint256 id = _create(2, 1, POOL);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.NotCreator.selector, id, caller));
        vm.prank(caller);
        fed.publishKeyring(id, KEYRING);
    }

    function test_publishKeyring_rejectsZeroRootUnknownOrCancelledTask() public {
        uint256 id = _create(2, 1, POOL);
        vm.startPrank(creator);
        vm.expectRevert(FLAIFederated.ZeroRoot.selector);
        fed.publishKeyring(id, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, 9));
        fed.publishKeyring(9, KEYRING);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.UnknownTask.selector, type(uint256).max));
        fed.publishKeyring(type(uint256).max, KEYRING);
        vm.warp(START + DURATION + 1);
        fed.cancelTask(id);
        vm.expectRevert(abi.encodeWithSelector(FLAIFederated.TaskIsCancelled.selector, id));
        fed.publishKeyring(id, KEYRING);
        vm.stopPrank();
    }
}
