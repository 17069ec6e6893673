// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EnclaveSigned} from "./EnclaveSigned.sol";

/// @title FLAIComputeJobs
/// @notice Escrow for off-chain (TEE) compute jobs. A submitter escrows a reward for a job described by
///         a data root and a model root; an attested enclave (registered signer whose measurement is
///         accepted by the owner) signs an EIP-712 `JobResult(jobId, resultHash, payee)` and anyone may
///         relay that signature to complete the job and pay the signed payee. If no result arrives by the
///         deadline, the submitter can cancel and get the escrow back.
/// @dev Storage per job: exactly 3 fresh slots at submission
///        slot A = submitter (160 bits, low) | deadline (uint40) | rewardGwei (uint56, high)
///        slot B = dataRoot, slot C = modelRoot
///      and a 4th slot (resultHash) written only at completion. Status is derived, not stored:
///        Completed  if resultHash != 0
///        Cancelled  if rewardGwei == 0 and resultHash == 0
///        Open       otherwise (rewardGwei > 0 is enforced at submission)
///      EIP-712 domain, signature recovery and payouts: see {EnclaveSigned}.
contract FLAIComputeJobs is EnclaveSigned {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    enum JobStatus {
        None,
        Open,
        Completed,
        Cancelled
    }

    /// @notice ABI view of a job (see {getJob}). `reward` is in wei; it is 0 once the job is no longer open.
    struct Job {
        address submitter;
        uint64 deadline;
        uint256 reward;
        bytes32 dataRoot;
        bytes32 modelRoot;
        bytes32 resultHash;
        JobStatus status;
    }

    /// @dev Storage form of a job. `packed` is slot A (see contract docs).
    struct JobRecord {
        uint256 packed;
        bytes32 dataRoot;
        bytes32 modelRoot;
        bytes32 resultHash;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    error NotOwner(address caller);
    error ZeroAddress();
    error ZeroMeasurement();
    error ZeroReward();
    error RewardNotGweiMultiple(uint256 value);
    error RewardTooLarge(uint256 value);
    error ZeroRoot();
    error DeadlineInPast(uint256 deadline, uint256 nowTs);
    error UnknownJob(uint256 jobId);
    error JobNotOpen(uint256 jobId, JobStatus status);
    error DeadlinePassed(uint256 jobId, uint256 deadline);
    error DeadlineNotReached(uint256 jobId, uint256 deadline);
    error NotSubmitter(uint256 jobId, address caller);
    error ZeroResultHash();
    error ZeroPayee();
    error InvalidSignature(); // raised by EnclaveSigned._recover, through _revertInvalidSignature
    error UnacceptedEnclave(address signer);
    error PayoutFailed(address payee, uint256 amount); // raised by EnclaveSigned._pay, through _revertPayoutFailed

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event MeasurementAccepted(bytes32 indexed measurement);
    event MeasurementRevoked(bytes32 indexed measurement);
    event EnclaveRegistered(address indexed signer, bytes32 indexed measurement);
    event EnclaveRemoved(address indexed signer);
    event JobSubmitted(
        uint256 indexed jobId,
        address indexed submitter,
        bytes32 dataRoot,
        bytes32 modelRoot,
        uint256 reward,
        uint64 deadline
    );
    event JobCompleted(
        uint256 indexed jobId,
        address indexed payee,
        address indexed enclave,
        bytes32 resultHash,
        uint256 reward
    );
    event JobCancelled(uint256 indexed jobId, address indexed submitter, uint256 refund);

    // ---------------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------------

    bytes32 private constant _JOB_RESULT_TYPEHASH = keccak256("JobResult(uint256 jobId,bytes32 resultHash,address payee)");

    uint256 private constant _DEADLINE_SHIFT = 160;
    uint256 private constant _REWARD_SHIFT = 200;
    uint256 private constant _DEADLINE_MASK = (1 << 40) - 1;
    /// @dev Keeps submitter and deadline, clears rewardGwei.
    uint256 private constant _CLEAR_REWARD_MASK = (1 << 200) - 1;
    uint256 private constant _MAX_REWARD_GWEI = (1 << 56) - 1;

    // ---------------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------------

    address private _owner;
    uint256 private _jobCount;
    mapping(bytes32 measurement => bool accepted) private _acceptedMeasurements;
    mapping(address signer => bytes32 measurement) private _enclaveMeasurements;
    mapping(uint256 jobId => JobRecord) private _jobs;

    // ---------------------------------------------------------------------------------------------
    // Construction / ownership
    // ---------------------------------------------------------------------------------------------

    constructor(address initialOwner) EnclaveSigned("FLAIComputeJobs", "1") {
        if (initialOwner == address(0)) revert ZeroAddress();
        _owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    modifier onlyOwner() {
        if (msg.sender != _owner) revert NotOwner(msg.sender);
        _;
    }

    function owner() external view returns (address) {
        return _owner;
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        address previous = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previous, newOwner);
    }

    // ---------------------------------------------------------------------------------------------
    // Enclave registry
    // ---------------------------------------------------------------------------------------------

    function acceptMeasurement(bytes32 measurement) external onlyOwner {
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        _acceptedMeasurements[measurement] = true;
        emit MeasurementAccepted(measurement);
    }

    function revokeMeasurement(bytes32 measurement) external onlyOwner {
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        _acceptedMeasurements[measurement] = false;
        emit MeasurementRevoked(measurement);
    }

    function registerEnclave(address signer, bytes32 measurement) external onlyOwner {
        if (signer == address(0)) revert ZeroAddress();
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        _enclaveMeasurements[signer] = measurement;
        emit EnclaveRegistered(signer, measurement);
    }

    function removeEnclave(address signer) external onlyOwner {
        if (signer == address(0)) revert ZeroAddress();
        delete _enclaveMeasurements[signer];
        emit EnclaveRemoved(signer);
    }

    function isMeasurementAccepted(bytes32 measurement) external view returns (bool) {
        return _acceptedMeasurements[measurement];
    }

    function enclaveMeasurement(address signer) external view returns (bytes32) {
        return _enclaveMeasurements[signer];
    }

    function isAcceptedEnclave(address signer) public view returns (bool) {
        bytes32 measurement = _enclaveMeasurements[signer];
        return measurement != bytes32(0) && _acceptedMeasurements[measurement];
    }

    // ---------------------------------------------------------------------------------------------
    // Jobs
    // ---------------------------------------------------------------------------------------------

    /// @notice Escrow `msg.value` (a whole number of gwei, > 0, < 2^56 gwei) as the reward for a job.
    /// @param deadline absolute unix time (seconds); must be in the future. Completion is possible up to
    ///        and including `deadline`; cancellation only strictly after it.
    function submitJob(bytes32 dataRoot, bytes32 modelRoot, uint40 deadline) external payable returns (uint256 jobId) {
        uint256 value = msg.value;
        if (value == 0) revert ZeroReward();
        if (value % 1 gwei != 0) revert RewardNotGweiMultiple(value);
        uint256 rewardGwei = value / 1 gwei;
        if (rewardGwei > _MAX_REWARD_GWEI) revert RewardTooLarge(value);
        if (dataRoot == bytes32(0) || modelRoot == bytes32(0)) revert ZeroRoot();
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline, block.timestamp);

        unchecked {
            jobId = ++_jobCount;
        }
        JobRecord storage job = _jobs[jobId];
        job.packed =
            uint256(uint160(msg.sender)) | (uint256(deadline) << _DEADLINE_SHIFT) | (rewardGwei << _REWARD_SHIFT);
        job.dataRoot = dataRoot;
        job.modelRoot = modelRoot;

        emit JobSubmitted(jobId, msg.sender, dataRoot, modelRoot, value, deadline);
    }

    /// @notice Complete an open job with a result signed by an accepted enclave and pay the signed payee.
    /// @param r,vs EIP-2098 compact signature over {hashJobResult}(jobId, resultHash, payee).
    function completeJob(uint256 jobId, bytes32 resultHash, address payee, bytes32 r, bytes32 vs) external {
        JobRecord storage job = _jobs[jobId];
        uint256 packed = job.packed;
        uint256 rewardGwei = packed >> _REWARD_SHIFT;
        if (rewardGwei == 0) _revertNotOpen(jobId, packed, job);
        uint256 deadline = (packed >> _DEADLINE_SHIFT) & _DEADLINE_MASK;
        if (block.timestamp > deadline) revert DeadlinePassed(jobId, deadline);
        if (resultHash == bytes32(0)) revert ZeroResultHash();
        if (payee == address(0)) revert ZeroPayee();

        address signer = _recover(hashJobResult(jobId, resultHash, payee), r, vs);
        if (!isAcceptedEnclave(signer)) revert UnacceptedEnclave(signer);

        // Effects (the job is no longer Open from here on: resultHash != 0 and rewardGwei == 0).
        job.resultHash = resultHash;
        job.packed = packed & _CLEAR_REWARD_MASK;
        uint256 reward = rewardGwei * 1 gwei;
        emit JobCompleted(jobId, payee, signer, resultHash, reward);

        // Interaction.
        _pay(payee, reward);
    }

    /// @notice Refund the escrow of an open job to its submitter once the deadline has passed.
    function cancelJob(uint256 jobId) external {
        JobRecord storage job = _jobs[jobId];
        uint256 packed = job.packed;
        if (packed == 0) revert UnknownJob(jobId);
        address submitter = address(uint160(packed));
        if (msg.sender != submitter) revert NotSubmitter(jobId, msg.sender);
        uint256 rewardGwei = packed >> _REWARD_SHIFT;
        if (rewardGwei == 0) _revertNotOpen(jobId, packed, job);
        uint256 deadline = (packed >> _DEADLINE_SHIFT) & _DEADLINE_MASK;
        if (block.timestamp <= deadline) revert DeadlineNotReached(jobId, deadline);

        // Effects (rewardGwei == 0 and resultHash == 0 => Cancelled).
        job.packed = packed & _CLEAR_REWARD_MASK;
        uint256 refund = rewardGwei * 1 gwei;
        emit JobCancelled(jobId, submitter, refund);

        // Interaction.
        _pay(submitter, refund);
    }

    function getJob(uint256 jobId) external view returns (Job memory job) {
        JobRecord storage record = _jobs[jobId];
        uint256 packed = record.packed;
        if (packed == 0) revert UnknownJob(jobId);
        bytes32 resultHash = record.resultHash;
        uint256 rewardGwei = packed >> _REWARD_SHIFT;

        job.submitter = address(uint160(packed));
        job.deadline = uint64((packed >> _DEADLINE_SHIFT) & _DEADLINE_MASK);
        job.reward = rewardGwei * 1 gwei;
        job.dataRoot = record.dataRoot;
        job.modelRoot = record.modelRoot;
        job.resultHash = resultHash;
        job.status = _status(rewardGwei, resultHash);
    }

    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    // ---------------------------------------------------------------------------------------------
    // EIP-712
    // ---------------------------------------------------------------------------------------------

    /// @notice The EIP-712 digest an enclave signs: `JobResult(uint256 jobId,bytes32 resultHash,address payee)`
    ///         under the domain (name "FLAIComputeJobs", version "1", chainId, this contract).
    function hashJobResult(uint256 jobId, bytes32 resultHash, address payee) public view returns (bytes32 digest) {
        bytes32 typeHash = _JOB_RESULT_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            // structHash = keccak256(abi.encode(TYPEHASH, jobId, resultHash, payee))
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), jobId)
            mstore(add(ptr, 0x40), resultHash)
            mstore(add(ptr, 0x60), and(payee, 0xffffffffffffffffffffffffffffffffffffffff))
            structHash := keccak256(ptr, 0x80)
        }
        digest = _hashTypedData(structHash);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _status(uint256 rewardGwei, bytes32 resultHash) private pure returns (JobStatus) {
        if (resultHash != bytes32(0)) return JobStatus.Completed;
        if (rewardGwei == 0) return JobStatus.Cancelled;
        return JobStatus.Open;
    }

    /// @dev Called when rewardGwei == 0: the job is unknown, completed or cancelled.
    function _revertNotOpen(uint256 jobId, uint256 packed, JobRecord storage job) private view {
        if (packed == 0) revert UnknownJob(jobId);
        revert JobNotOpen(jobId, _status(0, job.resultHash));
    }

    function _revertInvalidSignature() internal pure override {
        revert InvalidSignature();
    }

    function _revertPayoutFailed(address payee, uint256 amount) internal pure override {
        revert PayoutFailed(payee, amount);
    }
}
